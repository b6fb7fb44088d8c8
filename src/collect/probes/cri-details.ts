// Verbose CRI status, only for the containers and pods that need it. The lists (ListContainers,
// ListPodSandbox), containerd's Tasks.List and runc's state already say who runs with which
// pid; a verbose status per container would cost one RPC each (220 on a full node) and decode a
// whole OCI spec each. What stays worth a call, and why, is decided here.
import type { Container, ContainerDetail, PodSandbox, SandboxDetail, TaskView } from '../../snapshot/types/index.ts';
import type { ProcTable } from '../../snapshot/types/proc.ts';
import { skip, type Probe } from '../probe.ts';

/** How many verbose status calls run at once. */
const STATUS_CONCURRENCY = 8;
/** At most this many per run: a node in a bad way must not make the doctor slow too. */
export const MAX_DETAILS = 48;

const nanosToMs = (n: string): number => (/^\d+$/.test(n) ? Number(BigInt(n) / 1_000_000n) : 0);

export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  });
  await Promise.all(workers);
  return out;
}

/**
 * The containers whose verbose status says something the lists do not, each with why:
 *  - Created and not started for longer than the stuck threshold: its verbose pid says whether
 *    a task exists (CRI_CONTAINER_NEVER_STARTED shows it; the seed's incident);
 *  - the exited attempts of a container kubelet has restarted (kubelet's garbage collection
 *    keeps one or two): their exit code and reason say why it dies (CRI_CRASHLOOP);
 *  - Running in CRI while containerd's task list has no running task with a live pid for it:
 *    CRI's own pid is the evidence of the disagreement (the tree's cri-pid-mismatch);
 *  - CONTAINER_UNKNOWN: CRI itself cannot say.
 * Without the task list (containerd did not answer) the running ones are not compared: asking
 * each would be one call per container on exactly the node that is struggling.
 */
export function containersNeedingDetail(
  containers: readonly Container[], tasks: readonly TaskView[] | undefined, proc: ProcTable | undefined, now: number, stuckAfterSec: number,
): { id: string; why: string }[] {
  const out: { id: string; why: string }[] = [];
  const taskById = new Map((tasks ?? []).map((t) => [t.id, t]));
  const alive = proc ? new Set(proc.processes.map((p) => p.pid)) : undefined;
  const latestAttempt = new Map<string, number>();
  const keyOf = (c: Container) => `${c.podSandboxId}/${c.metadata?.name}`;
  for (const c of containers) latestAttempt.set(keyOf(c), Math.max(latestAttempt.get(keyOf(c)) ?? 0, c.metadata?.attempt ?? 0));
  for (const c of containers) {
    if (c.state === 'CONTAINER_CREATED' && (now - nanosToMs(c.createdAt)) / 1000 >= stuckAfterSec) {
      out.push({ id: c.id, why: `created ${Math.round((now - nanosToMs(c.createdAt)) / 1000)}s ago and not started: is there a task?` });
    } else if (c.state === 'CONTAINER_RUNNING' && tasks) {
      const t = taskById.get(c.id);
      const why = !t ? 'running in CRI, no containerd task'
        : t.status !== 'RUNNING' ? `running in CRI, task ${t.status}`
          : alive && !alive.has(t.pid) ? `running in CRI, task pid ${t.pid} not in /proc` : undefined;
      if (why) out.push({ id: c.id, why });
    } else if (c.state === 'CONTAINER_UNKNOWN') {
      out.push({ id: c.id, why: 'state unknown to CRI' });
    }
  }
  for (const c of containers) {
    const latest = latestAttempt.get(keyOf(c)) ?? 0;
    if (c.state === 'CONTAINER_EXITED' && latest >= 1) out.push({ id: c.id, why: `restarted by kubelet (attempt ${latest}): why did it exit?` });
  }
  return out;
}

/**
 * The pods whose verbose sandbox status is worth a call: Ready in CRI while containerd's task
 * list has no running sandbox task. That call reaches the pod's shim, so a dead or hung shim
 * shows there; for a healthy pod the task list already has its pid.
 */
export function podsNeedingDetail(pods: readonly PodSandbox[], tasks: readonly TaskView[]): { id: string; why: string }[] {
  const running = new Set(tasks.filter((t) => t.status === 'RUNNING').map((t) => t.id));
  return pods.filter((p) => p.state === 'SANDBOX_READY' && !running.has(p.id))
    .map((p) => ({ id: p.id, why: 'ready in CRI, no running sandbox task' }));
}

export const criContainerDetails: Probe<'cri.containerDetails', ContainerDetail[]> = {
  name: 'cri.containerDetails',
  needs: ['cri.containers', 'containerd.tasks', 'proc'],
  budget: 'call',
  async run(ctx, got) {
    const containers = got.data('cri.containers');
    if (!containers) skip('ListContainers did not answer');
    const want = containersNeedingDetail(containers, got.data('containerd.tasks'), got.data('proc'), Date.now(), ctx.stuckAfterSec).slice(0, MAX_DETAILS);
    const cri = await ctx.cri();
    const details = await mapLimit(want, STATUS_CONCURRENCY, (w): Promise<ContainerDetail | undefined> => cri.containerStatus(w.id, true).then((d) => ({ ...d, why: w.why }), () => undefined));
    return details.filter((d): d is ContainerDetail => !!d);
  },
};

export const criSandboxDetails: Probe<'cri.sandboxDetails', SandboxDetail[]> = {
  name: 'cri.sandboxDetails',
  needs: ['cri.pods', 'containerd.tasks'],
  budget: 'call',
  async run(ctx, got) {
    const pods = got.data('cri.pods');
    if (!pods) skip('ListPodSandbox did not answer');
    const tasks = got.data('containerd.tasks');
    if (!tasks) skip('containerd\'s task list did not answer: no sandbox to single out');
    const want = podsNeedingDetail(pods, tasks).slice(0, MAX_DETAILS);
    const cri = await ctx.cri();
    const details = await mapLimit(want, STATUS_CONCURRENCY, (w): Promise<SandboxDetail | undefined> => cri.podSandboxStatus(w.id, true).then((d) => ({ ...d, why: w.why }), () => undefined));
    return details.filter((d): d is SandboxDetail => !!d);
  },
};
