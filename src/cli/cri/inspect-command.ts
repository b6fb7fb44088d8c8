// What `cri inspect` and `cri inspectp` share: ids in, the runtime's verbose status out, as
// JSON (default), YAML or a short table with the pid.
import type { CliIO, Command } from '../command.ts';
import { parseFlags, outputFormat } from '../flags.ts';
import { criFlags, criFlagsUsage, withCri } from './connect.ts';
import { renderStructured } from '../../report/structured.ts';
import { agoFromNanos, renderTable, truncateId } from '../../report/table.ts';
import { CtrdocError } from '../../errors.ts';
import type { CriClient } from '../../sources/cri/client.ts';

export interface InspectKind {
  name: 'inspect' | 'inspectp';
  /** "container" or "pod sandbox", for messages */
  noun: string;
  idColumn: string;
  listHint: string;
  about: string;
  status: (c: CriClient, id: string, verbose: boolean) => Promise<{ status: unknown; info: Record<string, unknown> }>;
}

export function inspectCommand(k: InspectKind): Command {
  const usage = `Usage: ctrdoc cri ${k.name} [flags] ID...

${k.about} Ids may be unique prefixes.

Flags:
  -o, --output FORMAT   json (default) | yaml | table
${criFlagsUsage}`;
  return {
    summary: `status of ${k.noun}s`,
    usage,
    async run(args: string[], io: CliIO): Promise<number> {
      const { values, positionals } = parseFlags(args, criFlags);
      if (!positionals.length) throw new CtrdocError('invalid-argument', `cri ${k.name} needs at least one ${k.noun} id`, `list them with: ${k.listHint}`);
      const format = outputFormat(values.output ?? 'json');
      const results = await withCri(values, (c) => Promise.all(positionals.map((id) => k.status(c, id, format !== 'table'))));
      if (format !== 'table') {
        io.stdout.write(await renderStructured(results.length === 1 ? results[0] : results, format));
        return 0;
      }
      io.stdout.write(renderTable([k.idColumn, 'NAME', 'STATE', 'CREATED', 'PID'], results.map((r) => {
        const s = r.status as { id: string; metadata?: { name: string }; state: string; createdAt: string };
        const pid = (r.info.info as { pid?: number } | undefined)?.pid ?? '';
        return [truncateId(s.id, values['no-trunc']), s.metadata?.name ?? '', s.state, agoFromNanos(s.createdAt), pid];
      }), { noHeaders: values['no-headers'] }));
      return 0;
    },
  };
}
