// What `tree`, `shims` and `runc` collect: one /proc scan, the stack's resolution, then the
// tree's probes from the registry (lists only: pods, containers, tasks, runc state, bundles,
// shim sockets; verbose status only for the containers that need it).
import type { StackLocation } from '../snapshot/types/index.ts';
import type { ProcessTreeView } from '../snapshot/types/tree.ts';
import { CtrdocError } from '../errors.ts';
import type { StackFlags } from './stack.ts';
import type { Got } from './results.ts';

export interface TreeCollectOptions {
  /** each call's deadline */
  timeoutMs: number;
  /** ask CRI and containerd (off: /proc and files only) */
  apis?: boolean;
  /** ttrpc Connect to the shims: 'all', or those containerd's task list does not vouch for (true) */
  probeShims?: boolean | 'all';
  /** %CPU window for shims, ms (0: lifetime only) */
  cpuSampleMs?: number;
  /** every process on the node, not only the stack's */
  all?: boolean;
  stuckAfterSec?: number;
}

export interface CollectedTree {
  stack: StackLocation;
  view: ProcessTreeView;
  got: Got;
  /** what could not be asked or read, one line each (for stderr) */
  problems: string[];
}

export async function collectTree(flags: StackFlags, o: TreeCollectOptions): Promise<CollectedTree> {
  const [{ scanProcesses }, { resolveStack }, { collectProbes }] = await Promise.all([
    import('../sources/proc/scan.ts'), import('./stack.ts'), import('./run.ts'),
  ]);
  const t0 = performance.now();
  let proc;
  try {
    proc = scanProcesses({ cmdlines: o.all ? 'all' : 'stack' });
  } catch (err) {
    throw CtrdocError.from(err, 'reading /proc');
  }
  const stack = await resolveStack(flags, { timeoutMs: o.timeoutMs, processes: proc.processes });
  const got = await collectProbes(['tree'], {
    stack, procTable: proc, apis: o.apis, probeShims: o.probeShims, cpuSampleMs: o.cpuSampleMs,
    allProcesses: o.all, stuckAfterSec: o.stuckAfterSec, deadlineMs: Math.max(10_000, o.timeoutMs * 3),
    // as the doctor's: when each probe ended, from the start, to see where the time goes
    onProgress: process.env.CTRDOC_DEBUG
      ? (t) => process.stderr.write(`debug: +${Math.round(performance.now() - t0)}ms ${t.probe} ${t.status} (${t.durationMs}ms)\n`)
      : undefined,
  });
  const view = got.data('tree');
  if (!view) throw new CtrdocError('internal', `the process tree could not be built: ${got.result('tree')?.message ?? 'no result'}`);
  const located = got.data('stack') ?? stack;
  const problems = [...located.notes, ...got.problems()];
  const runc = got.data('runc');
  if (runc?.error) problems.push(`runc: ${runc.error}`);
  const bundles = got.data('bundles');
  if (bundles?.error) problems.push(`bundles: ${bundles.error}`);
  return { stack: located, view, got, problems };
}
