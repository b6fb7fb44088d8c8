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

export function parkedInits(ctx: FactContext): ParkedInit[] {
  const hit = cache.get(ctx);
  if (hit) return hit;
  const out: ParkedInit[] = [];
  const runc = ctx.inp.runc?.containers ?? [];
  for (const r of runc) {
    if (r.status !== 'created' || !r.execFifo) continue;
    const p = r.initPid ? ctx.procs.get(r.initPid) : undefined;
    const age = r.ageSec ?? p?.ageSec ?? 0;
    const x: ParkedInit = { pid: r.initPid, pod: podOfContainer(ctx.ids, r.id), container: containerRefOf(ctx.ids, r.id), ageSec: age, state: r, stuck: false };
    if (age >= ctx.stuckInitSec) {
      x.wait = waitingInFifoOpen(p);
      x.frozen = p?.state === 'D' || p?.kernelStack?.includes('__refrigerator');
      x.stuck = x.wait.waiting !== false || !!x.frozen;
    }
    out.push(x);
  }
  const stuckPids = new Set(out.filter((x) => x.stuck && x.pid).map((x) => x.pid));
  for (const t of ctx.view.processes) {
    if (t.role !== 'runc-init' || stuckPids.has(t.pid) || runc.some((r) => r.initPid === t.pid)) continue;
    const p = ctx.procs.get(t.pid);
    if (!p || p.ageSec < ctx.stuckInitSec) continue;
    const w = waitingInFifoOpen(p);
    if (w.waiting !== true) continue;
    out.push({ pid: t.pid, pod: t.pod, container: t.container ?? { id: '' }, ageSec: p.ageSec, process: t, stuck: true, wait: w });
  }
  cache.set(ctx, out);
  return out;
}
