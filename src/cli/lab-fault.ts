// `ctrdoc lab fault list | NAME | clear NAME|--all`: inject a real fault into the lab, or undo
// exactly that one. Changes this machine (the lab's processes and files), as `lab` says.
import type { CliIO } from './command.ts';
import { out } from './command.ts';
import { CtrdocError, EXIT_OK } from '../errors.ts';
import { parseDuration } from '../deadline.ts';
import { labPaths } from '../lab/paths.ts';
import { readFaults } from '../lab/faults/context.ts';
import { applyFault, clearAllFaults, clearFault, FAULTS } from '../lab/faults/index.ts';

export async function faultCommand(args: string[], o: { dir: string; pod?: string; all?: boolean; period?: string; variant?: string; output?: string }, io: CliIO): Promise<number> {
  const [what, name] = args;
  const log = (l: string) => io.stderr.write(`lab fault: ${l}\n`);
  if (!what || what === 'list') {
    const active = labPaths(o.dir) && readFaults(labPaths(o.dir));
    if (o.output === 'json') {
      out(io, JSON.stringify(FAULTS.map((f) => ({ name: f.name, does: f.does, seen: f.seen, variants: f.variants ?? [], active: !!active[f.name] })), null, 2));
      return EXIT_OK;
    }
    const w = Math.max(...FAULTS.map((f) => f.name.length));
    out(io, `${'NAME'.padEnd(w)}   ACTIVE   WHAT IT DOES / WHAT YOU WOULD SEE ON A NODE`);
    for (const f of FAULTS) {
      out(io, `${f.name.padEnd(w)}   ${(active[f.name] ? 'yes' : '-').padEnd(6)}   ${f.does}${f.variants ? ` [variants: ${f.variants.join(', ')}]` : ''}`);
      out(io, `${''.padEnd(w)}            seen: ${f.seen}`);
    }
    return EXIT_OK;
  }
  const p = labPaths(o.dir);
  if (what === 'clear') {
    if (o.all || name === '--all') {
      const cleared = await clearAllFaults(p, log);
      out(io, cleared.length ? `cleared: ${cleared.join(', ')}` : 'no fault was set');
      return EXIT_OK;
    }
    if (!name) throw new CtrdocError('invalid-argument', 'clear needs a fault name or --all');
    out(io, (await clearFault(p, name, log)) ? `cleared ${name}` : `${name} was not set`);
    return EXIT_OK;
  }
  if (name) throw new CtrdocError('invalid-argument', `unexpected argument "${name}"`, 'ctrdoc lab fault NAME [--pod P] [--period D] [--variant V]');
  if (o.period) parseDuration(o.period, '--period');
  const rec = await applyFault(p, what, { pod: o.pod, period: o.period, variant: o.variant }, log);
  out(io, `fault ${what} set in ${p.dir}`);
  out(io, JSON.stringify(rec.details, null, 2));
  return EXIT_OK;
}
