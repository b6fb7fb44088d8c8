// `ctrdoc cri inspectp ID...`: a pod sandbox's verbose status, like `crictl inspectp`.
import type { CliIO, Command } from '../command.ts';
import { parseFlags, outputFormat } from '../flags.ts';
import { criFlags, criFlagsUsage, withCri } from './connect.ts';
import { renderStructured } from '../../report/structured.ts';
import { agoFromNanos, renderTable, truncateId } from '../../report/table.ts';
import { CtrdocError } from '../../errors.ts';

const usage = `Usage: ctrdoc cri inspectp [flags] POD-ID...

Each pod sandbox's status as the runtime reports it, verbose (its pid, network, spec), like
crictl inspectp. Verbose status reaches the pod's shim, so it hangs when the shim does. Ids may be unique prefixes.

Flags:
  -o, --output FORMAT   json (default) | yaml | table
${criFlagsUsage}`;

const inspectp: Command = {
  summary: 'status of pod sandboxes',
  usage,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseFlags(args, criFlags);
    if (!positionals.length) throw new CtrdocError('invalid-argument', 'cri inspectp needs at least one pod sandbox id', 'list them with: ctrdoc cri pods');
    const format = outputFormat(values.output ?? 'json');
    const results = await withCri(values, (c) => Promise.all(positionals.map((id) => c.rawPodSandboxStatus(id, format !== 'table'))));
    if (format !== 'table') {
      io.stdout.write(await renderStructured(results.length === 1 ? results[0] : results, format));
      return 0;
    }
    io.stdout.write(renderTable(['POD ID', 'NAME', 'STATE', 'CREATED', 'PID'], results.map((r) => {
      const s = r.status as { id: string; metadata?: { name: string }; state: string; createdAt: string };
      const pid = (r.info.info as { pid?: number } | undefined)?.pid ?? '';
      return [truncateId(s.id, values['no-trunc']), s.metadata?.name ?? '', s.state, agoFromNanos(s.createdAt), pid];
    }), { noHeaders: values['no-headers'] }));
    return 0;
  },
};

export default inspectp;
