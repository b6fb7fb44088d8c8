// `ctrdoc cri images`: like `crictl images`.
import type { CliIO, Command } from '../command.ts';
import { out } from '../command.ts';
import { parseFlags, outputFormat } from '../flags.ts';
import { criFlags, criFlagsUsage, withCri } from './connect.ts';
import { renderStructured } from '../../report/structured.ts';
import { humanBytes, renderTable, truncateId } from '../../report/table.ts';

const usage = `Usage: ctrdoc cri images [flags]

List images, as crictl images does.

Flags:
  -o, --output FORMAT   table | json | yaml
  -q, --quiet           print image ids only
      --no-trunc        show whole ids
      --no-headers      no header line
${criFlagsUsage}`;

function splitTag(tag: string): [string, string] {
  const i = tag.lastIndexOf(':');
  return i > tag.lastIndexOf('/') ? [tag.slice(0, i), tag.slice(i + 1)] : [tag, '<none>'];
}

const images: Command = {
  summary: 'list images',
  usage,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values } = parseFlags(args, criFlags, false);
    const format = outputFormat(values.output);
    const list = await withCri(values, (c) => c.listImages());
    if (values.quiet) {
      out(io, list.map((i) => i.id).join('\n'));
      return 0;
    }
    if (format !== 'table') {
      io.stdout.write(await renderStructured({ images: list }, format));
      return 0;
    }
    const rows: string[][] = [];
    for (const img of list) {
      const id = truncateId(img.id.replace(/^sha256:/, ''), values['no-trunc']);
      const tags = img.repoTags.length ? img.repoTags : ['<none>:<none>'];
      for (const t of tags) {
        const [repo, tag] = splitTag(t);
        rows.push([repo, tag, id, humanBytes(Number(img.size))]);
      }
    }
    io.stdout.write(renderTable(['IMAGE', 'TAG', 'IMAGE ID', 'SIZE'], rows, { noHeaders: values['no-headers'], minWidth: 20 }));
    return 0;
  },
};

export default images;
