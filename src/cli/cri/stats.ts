// `ctrdoc cri stats`: like `crictl stats`.
import type { CliIO, Command } from '../command.ts';
import { parseFlags, outputFormat } from '../flags.ts';
import { criFlags, criFlagsUsage, withCri } from './connect.ts';
import { renderStructured } from '../../report/structured.ts';
import { humanBytes, renderTable, truncateId } from '../../report/table.ts';

const usage = `Usage: ctrdoc cri stats [flags] [CONTAINER-ID]

Resource usage of running containers, as crictl stats does.

Flags:
  -p, --pod ID          only containers of this pod sandbox
  -o, --output FORMAT   table | json | yaml
      --no-trunc        show whole ids
      --no-headers      no header line
${criFlagsUsage}`;

interface Stat {
  attributes?: { id: string; metadata?: { name: string } };
  cpu?: { usageNanoCores?: { value: string } | null } | null;
  memory?: { workingSetBytes?: { value: string } | null } | null;
  writableLayer?: { usedBytes?: { value: string } | null; inodesUsed?: { value: string } | null } | null;
}

const stats: Command = {
  summary: 'container resource usage',
  usage,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseFlags(args, { ...criFlags, pod: { type: 'string', short: 'p' } });
    const format = outputFormat(values.output);
    const list = (await withCri(values, (c) => c.listContainerStats({ id: positionals[0] ?? '', podSandboxId: values.pod ?? '' }))) as Stat[];
    if (format !== 'table') {
      io.stdout.write(await renderStructured({ stats: list }, format));
      return 0;
    }
    io.stdout.write(renderTable(['CONTAINER', 'NAME', 'CPU %', 'MEM', 'DISK', 'INODES'], list.map((s) => [
      truncateId(s.attributes?.id ?? '', values['no-trunc']),
      s.attributes?.metadata?.name ?? '',
      (Number(s.cpu?.usageNanoCores?.value ?? 0) / 1e7).toFixed(2),
      humanBytes(Number(s.memory?.workingSetBytes?.value ?? 0)),
      humanBytes(Number(s.writableLayer?.usedBytes?.value ?? 0)),
      s.writableLayer?.inodesUsed?.value ?? '0',
    ]), { noHeaders: values['no-headers'], minWidth: 20 }));
    return 0;
  },
};

export default stats;
