// Each shim: a ttrpc Connect on its socket (liveness and latency), and the first of two CPU
// samples of every shim.
import type { Container } from '../../snapshot/types/cri.ts';
import type { TaskView } from '../../snapshot/types/containerd.ts';
import type { TaskBundleView } from '../../snapshot/types/runc.ts';
import type { ShimProbe } from '../../snapshot/types/tree.ts';
import type { CpuSample } from '../../sources/proc/scan.ts';
import type { ShimSocket } from '../../sources/shim/probe.ts';
import { skip, type Probe } from '../probe.ts';

/** At most this many vouched-for shims are asked because a container of theirs looks stuck. */
export const MAX_SUSPECT_SHIMS = 16;

export interface ShimSuspects {
  /** containerd's task list (undefined: it did not answer) */
  tasks?: readonly TaskView[];
  /** CRI's containers: a Created one points at its pod's shim */
  containers?: readonly Container[];
}

/**
 * The shim sockets worth a Connect, each with why. containerd's Tasks.List has just asked every
 * shim for its task's state, so a socket one of whose tasks it lists as running answered a
 * moment ago; what stays worth asking: sockets of tasks it does not list as running (a dead or
 * hung shim), sockets no task names (stale), and, bounded, the vouched-for shims of pods with a
 * suspect container (a task created and not started, a bundle without a task, a CRI container
 * still Created): the container findings show that shim's answer. When Tasks.List did not answer,
 * every socket: telling a hung containerd from hung shims is then the point. `ctrdoc shims` asks
 * every one.
 */
export function socketsToProbe(bundles: TaskBundleView, { tasks, containers }: ShimSuspects, all: boolean): (ShimSocket & { why: string })[] {
  // each socket with the task API and protocol its bundle names (one shim serves a pod's bundles)
  const named = new Map<string, ShimSocket>();
  for (const b of bundles.bundles) if (b.socketPath && !named.has(b.socketPath)) named.set(b.socketPath, drop({ path: b.socketPath, taskApi: b.taskApi, protocol: b.protocol }));
  for (const s of bundles.sockets) if (s.referenced && !named.has(s.path)) named.set(s.path, { path: s.path });
  const list = [...named.values()];
  if (all) return list.map((s) => ({ ...s, why: 'asked for every shim' }));
  if (!tasks) return list.map((s) => ({ ...s, why: 'containerd\'s task list did not answer' }));
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const answered = new Set(bundles.bundles.filter((b) => b.socketPath && byId.get(b.id)?.status === 'RUNNING').map((b) => b.socketPath!));
  const out = list.filter((s) => !answered.has(s.path)).map((s) => ({ ...s, why: 'no task of this shim is running in containerd\'s list' }));
  // vouched for, but a container of its pod looks stuck
  const socketOfPod = new Map<string, string>();
  for (const b of bundles.bundles) if (b.socketPath) socketOfPod.set(b.sandboxId ?? b.id, b.socketPath);
  const suspect = new Map<string, string>();
  for (const b of bundles.bundles) {
    const t = byId.get(b.id);
    if (!b.socketPath || t?.status === 'RUNNING' || t?.status === 'STOPPED') continue;
    suspect.set(b.socketPath, t ? `task ${b.id.slice(0, 13)} is ${t.status}` : `task bundle ${b.id.slice(0, 13)} has no task in containerd's list`);
  }
  for (const c of containers ?? []) {
    const sock = c.state === 'CONTAINER_CREATED' ? socketOfPod.get(c.podSandboxId) : undefined;
    if (sock && !suspect.has(sock)) suspect.set(sock, `container ${c.metadata?.name ?? c.id.slice(0, 13)} of its pod is Created in CRI`);
  }
  let asked = 0;
  for (const [path, why] of suspect) {
    if (!answered.has(path) || asked >= MAX_SUSPECT_SHIMS) continue;
    asked++;
    out.push({ ...named.get(path)!, why: `a container of its pod looks stuck: ${why}` });
  }
  return out;
}

function drop<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

export const shims: Probe<'shims', ShimProbe[]> = {
  name: 'shims',
  needs: ['bundles', 'containerd.tasks', 'cri.containers'],
  budget: 'call',
  async run(ctx, got) {
    if (!ctx.opts.probeShims) skip('not asked');
    const b = got.data('bundles');
    if (!b) skip('no task bundles read');
    const want = socketsToProbe(b, { tasks: got.data('containerd.tasks'), containers: got.data('cri.containers') }, ctx.opts.probeShims === 'all');
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
