// A second look at the tree facts that join reads taken at different instants. The process
// table, CRI's listings, containerd's tasks, the task bundles, runc's states and the shims'
// sockets are read one after the other (or side by side), and on a busy node pods come and go
// in between: a pod created after /proc was read has "no shim", a shim that exited as its pod
// was removed leaves "bundles without a shim" for a moment, a container started after the scan
// has a CRI pid "no process has". None of that is a fault. So when the first look has such a
// fact, the same inputs are read again a moment later, the tree is built again, and a fact is
// kept only when the second look sees it too (the same kind, on the same subject): as a process
// is reported in D only when both /proc reads of a run saw it there. Facts seen once are listed
// in the tree's secondLook, not judged. Inputs that did not answer the first time are not asked
// again (a hung CRI would only spend the run's deadline twice): the first look's stand.
import type { ProbeResult, ProcessTreeView, Snapshot, TreeFact, TreeFactKind } from './types/index.ts';
import type { TaskBundleView } from './types/runc.ts';
import type { ProcTable } from './types/proc.ts';
import type { CriClient } from '../sources/cri/client.ts';
import type { ContainerdClient } from '../sources/containerd/client.ts';
import { isShimProcess, sampleRecentCpu, scanProcesses } from '../sources/proc/scan.ts';
import { readRuncRoot } from '../sources/runc/state.ts';
import { readTaskBundles } from '../sources/runc/bundles.ts';
import { probeShimSockets } from '../sources/shim/probe.ts';
import { buildProcessTree } from '../tree/build.ts';
import { withDeadline } from '../deadline.ts';

/**
 * The facts whose subject can change between two reads of one run, or within a short sample (a
 * shim's CPU over 300 ms: one that starts or stops a container is busy for a moment). Not here: a
 * stuck or repeated runc init, judged by its age (minutes).
 */
export const RACY_FACTS: readonly TreeFactKind[] = [
  'pod-without-shim', 'shim-without-pause', 'dead-shim-leftover', 'stale-shim-socket', 'orphan-process', 'zombie',
  'shim-unresponsive', 'shim-outlier', 'leaked-runc-container', 'task-without-runc-state', 'runc-pid-reused',
  'cri-pid-mismatch', 'runc-state-unreadable',
];

/** The shims' CPU is sampled again over this long (as the first look does). */
const CPU_SAMPLE_MS = 300;

/** How long after the first look the second one starts: long enough for a pod's start or removal to settle. */
export const SECOND_LOOK_DELAY_MS = 300;

export interface SecondLookClients {
  cri: () => CriClient;
  containerd: () => ContainerdClient;
  /** what is left of the collection's deadline, per call */
  budget: (ms?: number) => number;
  /** the process table reader (tests give a fake /proc) */
  scanProc?: () => ProcTable;
}

/** Same kind on the same subject: the second look sees the same fault. */
export function factKey(f: TreeFact): string {
  const s = f.subject;
  return [f.kind, s.pod?.sandboxId ?? '', s.container?.id ?? '', s.pid ?? '', s.shimPid ?? '', s.path ?? ''].join('|');
}

const dataOf = <T>(p: ProbeResult<T> | undefined): T | undefined => (p?.status === 'ok' ? p.data : undefined);

async function within<T>(what: string, ms: number, p: () => Promise<T> | T): Promise<T | undefined> {
  if (ms <= 0) return undefined;
  try {
    return await withDeadline(Promise.resolve().then(p), ms, what);
  } catch {
    return undefined;
  }
}

/**
 * Builds the tree again from fresh reads and keeps the first look's racy facts only when the
 * second look has them too. Changes snapshot.tree in place; never throws (a second look that
 * cannot be taken keeps the first look's facts, and says so).
 */
export async function confirmTreeFacts(s: Snapshot, c: SecondLookClients): Promise<void> {
  const view = dataOf(s.tree);
  if (!view) return;
  const racy = view.facts.filter((f) => RACY_FACTS.includes(f.kind));
  if (!racy.length) return;
  const t0 = Date.now();
  const say = (why: string) => { view.secondLook = { delayMs: SECOND_LOOK_DELAY_MS, durationMs: Date.now() - t0, dropped: [], note: why }; };
  if (c.budget() < SECOND_LOOK_DELAY_MS + 500) {
    say('not taken: too little of the deadline left; the facts are the first look\'s');
    return;
  }
  await new Promise((r) => setTimeout(r, SECOND_LOOK_DELAY_MS));
  const second = await secondTree(s, view, racy, c);
  if (typeof second === 'string') {
    say(`not taken: ${second} could not be read again; the facts are the first look's`);
    return;
  }
  const seenAgain = new Set(second.facts.map(factKey));
  const dropped = racy.filter((f) => !seenAgain.has(factKey(f)));
  view.facts = view.facts.filter((f) => !dropped.includes(f));
  view.secondLook = { delayMs: SECOND_LOOK_DELAY_MS, durationMs: Date.now() - t0, dropped: dropped.map((f) => ({ kind: f.kind, message: f.message })) };
}

/** The tree from fresh reads, or what could not be read again. */
async function secondTree(s: Snapshot, first: ProcessTreeView, racy: TreeFact[], c: SecondLookClients): Promise<ProcessTreeView | string> {
  const stack = s.stack;
  const proc = await within('second look: /proc', c.budget(), () => (c.scanProc ?? scanProcesses)());
  if (!proc) return 'the process table';
  const hadCri = first.inputs.cri;
  // the shims' CPU over a fresh sample, while the other inputs are read
  const busy = racy.some((f) => f.kind === 'shim-outlier')
    ? sampleRecentCpu(proc, proc.processes.filter((x) => isShimProcess(x)).map((x) => x.pid), Math.min(CPU_SAMPLE_MS, Math.max(0, c.budget() - 200))).catch(() => {})
    : undefined;
  const [runc, bundles, pods, containers, tasks] = await Promise.all([
    first.inputs.runc ? within('second look: runc', c.budget(), () => readRuncRoot(stack.runcRoot)) : undefined,
    first.inputs.bundles ? within('second look: bundles', c.budget(), () => readTaskBundles(stack.stateDir, stack.namespace)) : undefined,
    hadCri ? within('second look: CRI pods', c.budget(), () => c.cri().listPodSandbox()) : undefined,
    hadCri ? within('second look: CRI containers', c.budget(), () => c.cri().listContainers()) : undefined,
    first.inputs.tasks ? within('second look: tasks', c.budget(), () => c.containerd().listTasks()) : undefined,
    busy,
  ]);
  // an input the first look had and the second could not read again: no judging half a tree
  const missing = [
    first.inputs.runc && !runc && 'the runc root', first.inputs.bundles && !bundles && 'the task bundles',
    hadCri && !(pods && containers) && 'CRI', first.inputs.tasks && !tasks && "containerd's tasks",
  ].filter((x): x is string => !!x);
  if (missing.length) return missing.join(', ');
  // a verbose status again only for the containers whose CRI pid was in doubt; the others' as before
  const details = [...(dataOf(s.cri.containerDetails) ?? [])];
  const doubted = new Set(racy.filter((f) => f.kind === 'cri-pid-mismatch').map((f) => f.subject.container?.id).filter((x): x is string => !!x));
  await Promise.all([...doubted].map(async (id) => {
    const d = await within('second look: CRI status', c.budget(), () => c.cri().containerStatus(id, true));
    const i = details.findIndex((x) => x.status.id === id);
    if (i >= 0) details.splice(i, 1);
    if (d) details.push(d);
  }));
  // the shims that did not answer are asked again; the others keep their first answer
  const probes = first.shims.map((x) => x.probe).filter((p): p is NonNullable<typeof p> => !!p);
  const unanswered = new Set(racy.filter((f) => f.kind === 'shim-unresponsive').map((f) => f.subject.path).filter((x): x is string => !!x));
  if (unanswered.size && bundles) {
    const only: TaskBundleView = { ...bundles, bundles: bundles.bundles.filter((b) => b.socketPath && unanswered.has(b.socketPath)), sockets: [] };
    const again = await within('second look: shims', c.budget(), () => probeShimSockets(only, Math.max(50, c.budget() - 100))) ?? [];
    for (const p of again) {
      const i = probes.findIndex((x) => x.socketPath === p.socketPath);
      if (i >= 0) probes.splice(i, 1, p);
    }
  }
  return buildProcessTree({
    proc,
    runc,
    bundles,
    cri: pods && containers ? { pods, containers, containerDetails: details, sandboxDetails: dataOf(s.cri.sandboxDetails) } : undefined,
    tasks,
    shimProbes: first.inputs.shimProbes ? probes : undefined,
    containerdPid: stack.containerdPid,
    containerdAddress: stack.address,
    stuckInitSec: first.thresholds.stuckInitSec,
    now: Date.now(),
  });
}
