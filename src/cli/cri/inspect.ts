// `ctrdoc cri inspect ID...`: a container's verbose status (with its pid), like `crictl inspect`.
import type { CliIO, Command } from '../command.ts';
import { parseFlags, outputFormat } from '../flags.ts';
import { criFlags, criFlagsUsage, withCri } from './connect.ts';
import { renderStructured } from '../../report/structured.ts';
import { agoFromNanos, renderTable, truncateId } from '../../report/table.ts';
import { CtrdocError } from '../../errors.ts';

const usage = `Usage: ctrdoc cri inspect [flags] CONTAINER-ID...

Each container's status as the runtime reports it, verbose (its pid, runtime, spec), like
crictl inspect. Ids may be unique prefixes.

Flags:
  -o, --output FORMAT   json (default) | yaml | table
${criFlagsUsage}`;

const inspect: Command = {
  summary: 'status of containers',
  usage,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseFlags(args, criFlags);
    if (!positionals.length) throw new CtrdocError('invalid-argument', 'cri inspect needs at least one container id', 'list them with: ctrdoc cri ps -a');
    const format = outputFormat(values.output ?? 'json');
    const results = await withCri(values, (c) => Promise.all(positionals.map((id) => c.rawContainerStatus(id, format !== 'table'))));
    if (format !== 'table') {
      io.stdout.write(await renderStructured(results.length === 1 ? results[0] : results, format));
      return 0;
    }
    io.stdout.write(renderTable(['CONTAINER', 'NAME', 'STATE', 'CREATED', 'PID'], results.map((r) => {
      const s = r.status as { id: string; metadata?: { name: string }; state: string; createdAt: string };
      const pid = (r.info.info as { pid?: number } | undefined)?.pid ?? '';
      return [truncateId(s.id, values['no-trunc']), s.metadata?.name ?? '', s.state, agoFromNanos(s.createdAt), pid];
    }), { noHeaders: values['no-headers'] }));
    return 0;
  },
};

export default inspect;
