// runc inits parked on exec.fifo: from runc's state (created, exec.fifo present), and runc init
// processes no state names that wait to open their FIFO. Both stuck-runc-init and
// repeated-runc-init read this list.
import type { RuncContainerState } from '../../snapshot/types/runc.ts';
import type { ContainerRef, PodRef, TreeProcess } from '../../snapshot/types/tree.ts';
import { containerRefOf, podOfContainer } from '../identities.ts';
import type { FactContext } from '../inputs.ts';
import { waitingInFifoOpen } from './common.ts';

export interface ParkedInit {
  pid?: number;
  pod?: PodRef;
  container: ContainerRef;
  ageSec: number;
  /** runc's state for it; absent for an init no state names */
  state?: RuncContainerState;
  /** a process the tree shows, when no state names it */
  process?: TreeProcess;
  /** parked past the threshold, waiting on the FIFO (or frozen): stuck */
  stuck: boolean;
  wait?: { waiting: boolean | null; how: string };
  frozen?: boolean;
}

const cache = new WeakMap<FactContext, ParkedInit[]>();

/** A runc state created and never started (exec.fifo still there); stuck once past the threshold and waiting (or frozen). */
function fromState(ctx: FactContext, r: RuncContainerState): ParkedInit {
  const p = r.initPid ? ctx.procs.get(r.initPid) : undefined;
  const age = r.ageSec ?? p?.ageSec ?? 0;
  const x: ParkedInit = { pid: r.initPid, pod: podOfContainer(ctx.ids, r.id), container: containerRefOf(ctx.ids, r.id), ageSec: age, state: r, stuck: false };
  if (age >= ctx.stuckInitSec) {
    x.wait = waitingInFifoOpen(p);
    x.frozen = p?.state === 'D' || p?.kernelStack?.includes('__refrigerator');
    x.stuck = x.wait.waiting !== false || !!x.frozen;
  }
  return x;
}

/** A runc init of this stack no state names, past the threshold and waiting on its fifo. */
function stateless(ctx: FactContext, t: TreeProcess): ParkedInit | undefined {
  const p = ctx.procs.get(t.pid);
  if (!p || p.ageSec < ctx.stuckInitSec) return undefined;
  const w = waitingInFifoOpen(p);
  if (w.waiting !== true) return undefined;
  return { pid: t.pid, pod: t.pod, container: t.container ?? { id: '' }, ageSec: p.ageSec, process: t, stuck: true, wait: w };
}

export function parkedInits(ctx: FactContext): ParkedInit[] {
  const hit = cache.get(ctx);
  if (hit) return hit;
  const runc = ctx.inp.runc?.containers ?? [];
  const out = runc.filter((r) => r.status === 'created' && r.execFifo).map((r) => fromState(ctx, r));
  const stuckPids = new Set(out.filter((x) => x.stuck && x.pid).map((x) => x.pid));
  for (const t of ctx.view.processes) {
    if (t.role !== 'runc-init' || stuckPids.has(t.pid) || runc.some((r) => r.initPid === t.pid)) continue;
    const x = stateless(ctx, t);
    if (x) out.push(x);
  }
  cache.set(ctx, out);
  return out;
}
