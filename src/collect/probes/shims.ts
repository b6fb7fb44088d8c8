// Each shim: a ttrpc Connect on its socket (liveness and latency), and the first of two CPU
// samples of every shim.
import type { TaskView } from '../../snapshot/types/containerd.ts';
import type { TaskBundleView } from '../../snapshot/types/runc.ts';
import type { ShimProbe } from '../../snapshot/types/tree.ts';
import type { CpuSample } from '../../sources/proc/scan.ts';
import type { ShimSocket } from '../../sources/shim/probe.ts';
import { skip, type Probe } from '../probe.ts';

/**
 * The shim sockets worth a Connect, each with why. containerd's Tasks.List has just asked every
 * shim for its task's state, so a socket whose tasks it lists as running answered a moment ago;
 * what stays worth asking: sockets of tasks it does not list as running (a dead or hung shim),
 * and sockets no task names (stale). When Tasks.List did not answer, every socket: telling a hung
 * containerd from hung shims is then the point. `ctrdoc shims` asks every one.
 */
export function socketsToProbe(bundles: TaskBundleView, tasks: readonly TaskView[] | undefined, all: boolean): (ShimSocket & { why: string })[] {
  // each socket with the task API and protocol its bundle names (one shim serves a pod's bundles)
  const named = new Map<string, ShimSocket>();
  for (const b of bundles.bundles) if (b.socketPath && !named.has(b.socketPath)) named.set(b.socketPath, drop({ path: b.socketPath, taskApi: b.taskApi, protocol: b.protocol }));
  for (const s of bundles.sockets) if (s.referenced && !named.has(s.path)) named.set(s.path, { path: s.path });
  const list = [...named.values()];
  if (all) return list.map((s) => ({ ...s, why: 'asked for every shim' }));
  if (!tasks) return list.map((s) => ({ ...s, why: 'containerd\'s task list did not answer' }));
  const running = new Set(tasks.filter((t) => t.status === 'RUNNING').map((t) => t.id));
  const answered = new Set(bundles.bundles.filter((b) => b.socketPath && running.has(b.id)).map((b) => b.socketPath!));
  return list.filter((s) => !answered.has(s.path)).map((s) => ({ ...s, why: 'no task of this shim is running in containerd\'s list' }));
}

function drop<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

export const shims: Probe<'shims', ShimProbe[]> = {
  name: 'shims',
  needs: ['bundles', 'containerd.tasks'],
  budget: 'call',
  async run(ctx, got) {
    if (!ctx.opts.probeShims) skip('not asked');
    const b = got.data('bundles');
    if (!b) skip('no task bundles read');
    const want = socketsToProbe(b, got.data('containerd.tasks'), ctx.opts.probeShims === 'all');
    const { probeShimSockets } = await import('../../sources/shim/probe.ts');
    return probeShimSockets(want, Math.max(50, ctx.budget() - 100));
  },
};

/**
 * The first CPU sample of every shim, right after the scan; the tree takes the second once its
 * other inputs are in (src/collect/probes/tree.ts), so the window costs no wait of its own. A
 * Connect to a shim meanwhile is a fraction of a 10 ms tick: it does not make a shim look busy.
 */
export const shimsCpu: Probe<'shims.cpu', CpuSample> = {
  name: 'shims.cpu',
  needs: ['proc'],
  budget: 'call',
  async run(ctx, got) {
    if (!ctx.opts.cpuSampleMs) skip('no CPU sample asked');
    const proc = got.data('proc');
    if (!proc) skip('no process table');
    const { isShimProcess, startCpuSample } = await import('../../sources/proc/scan.ts');
    return startCpuSample(proc, proc.processes.filter((p) => isShimProcess(p)).map((p) => p.pid));
  },
};
