// A second look at the tree facts that join reads taken at different instants. The process
// table, CRI's listings, containerd's tasks, the task bundles, runc's states and the shims'
// sockets are read one after the other (or side by side), and on a busy node pods come and go
// in between: a pod created after /proc was read has "no shim", a shim that exited as its pod
// was removed leaves "bundles without a shim" for a moment, a container started after the scan
// has a CRI pid "no process has". None of that is a fault. So when the first look has such a
// fact, the tree's probes run again a moment later (probes/second-look.ts) and a fact is kept
// only when the second look sees it too (the same kind, on the same subject): as a process is
// reported in D only when both /proc reads of a run saw it there. Facts seen once are listed in
// the tree's secondLook, not judged. A process of the stack in D is looked at again too: only
// one still in D is judged (src/rules/process-state.ts). Inputs that did not answer the first
// time are not asked again (a hung CRI would only spend the run's deadline twice): the first
// look's stand.
import type { ProbeResult, ProcessTreeView, TreeFact, TreeFactKind } from '../snapshot/types/index.ts';
import type { ProbeName } from './registry.ts';

/**
 * The facts whose subject can change between two reads of one run, or within a short sample (a
 * shim's CPU over a few hundred ms: one that starts or stops a container is busy for a moment).
 * Not here: a stuck or repeated runc init, judged by its age (minutes).
 */
export const RACY_FACTS: readonly TreeFactKind[] = [
  'pod-without-shim', 'shim-without-pause', 'dead-shim-leftover', 'stale-shim-socket', 'orphan-process', 'zombie',
  'shim-unresponsive', 'shim-outlier', 'leaked-runc-container', 'task-without-runc-state', 'runc-pid-reused',
  'cri-pid-mismatch', 'runc-state-unreadable',
];

/** How long after the first look the second one starts: long enough for a pod's start or removal to settle. */
export const SECOND_LOOK_DELAY_MS = 300;
/**
 * How long after the second look a late one starts, when facts outlived the second: on a busy
 * node containerd's own steps stretch past 300 ms (seen with both cores loaded: 1.6's clean-up
 * after a removed pod's shim left its bundles for longer; a pod being stopped had its shim
 * without the pause; a task CREATED before runc's state was written). A fault stays; those pass.
 */
export const LATE_LOOK_DELAY_MS = 2000;

/** Same kind on the same subject: the second look sees the same fault. */
export function factKey(f: TreeFact): string {
  const s = f.subject;
  return [f.kind, s.pod?.sandboxId ?? '', s.container?.id ?? '', s.pid ?? '', s.shimPid ?? '', s.path ?? ''].join('|');
}

export const racyFacts = (view: ProcessTreeView): TreeFact[] => view.facts.filter((f) => RACY_FACTS.includes(f.kind));

/** The stack's processes whose D state the rules would judge (src/rules/processes.ts). */
const STACK_ROLES: ReadonlySet<string> = new Set(['containerd', 'shim', 'pause', 'runc', 'runc-init']);

/**
 * The stack's processes in D at this look. D for a moment is normal work; the process scan and
 * the node's D-state read of one run are milliseconds apart, so the second look, hundreds of ms
 * later, is the read that tells a moment from a hang.
 */
export const inD = (view: ProcessTreeView): number[] => view.processes.filter((t) => STACK_ROLES.has(t.role) && t.stat.startsWith('D')).map((t) => t.pid);

/**
 * Which of the first look's results the second look takes as they are, not asked again: the
 * stack's resolution (and the CRI Status it read); whatever did not answer the first time; the
 * verbose statuses unless a CRI pid was in doubt; the shims' answers unless a shim's was.
 */
export function keptForSecondLook(first: (p: ProbeName) => ProbeResult<unknown> | undefined, racy: readonly TreeFact[]): (p: string) => ProbeResult<unknown> | undefined {
  const about = (...kinds: TreeFactKind[]) => racy.some((f) => kinds.includes(f.kind));
  // shims.cpu runs again, and samples only when asked (probes/second-look.ts)
  const askAgain = new Set<string>(['proc', 'runc', 'bundles', 'cri.pods', 'cri.containers', 'containerd.tasks', 'shims.cpu', 'tree']);
  if (about('cri-pid-mismatch')) askAgain.add('cri.containerDetails');
  if (about('shim-unresponsive', 'stale-shim-socket')) askAgain.add('shims');
  return (p) => {
    const r = first(p as ProbeName);
    if (!askAgain.has(p) || (r && r.status !== 'ok')) return r;
    return undefined;
  };
}

const INPUT_NAMES: Record<keyof ProcessTreeView['inputs'], string> = {
  proc: 'the process table', runc: 'the runc root', cri: 'CRI', tasks: "containerd's tasks", bundles: 'the task bundles', shimProbes: "the shims' answers",
};

/** A view some look judged: what it dropped, or why it did not judge. */
export type LookedAgain = ProcessTreeView & { secondLook: NonNullable<ProcessTreeView['secondLook']> };

/** The first look's view, its facts unchanged, saying why no second look judged them. */
export function notTaken(first: ProcessTreeView, why: string, durationMs: number): LookedAgain {
  return { ...first, secondLook: { delayMs: SECOND_LOOK_DELAY_MS, durationMs, dropped: [], note: `not taken: ${why}; the facts are the first look's` } };
}

/**
 * The first look's view with the racy facts the second look did not see again dropped (and
 * listed). An input the first look had and the second could not read: no judging half a tree.
 */
export function confirmTree(first: ProcessTreeView, second: ProcessTreeView, durationMs: number): LookedAgain {
  const missing = (Object.keys(INPUT_NAMES) as (keyof ProcessTreeView['inputs'])[]).filter((k) => first.inputs[k] && !second.inputs[k]);
  if (missing.length) return notTaken(first, `${missing.map((k) => INPUT_NAMES[k]).join(', ')} could not be read again`, durationMs);
  const seenAgain = new Set(second.facts.map(factKey));
  const dropped = racyFacts(first).filter((f) => !seenAgain.has(factKey(f)));
  const stillInD = new Set(inD(second));
  const notInDAgain = inD(first).filter((pid) => !stillInD.has(pid));
  return {
    ...first,
    facts: first.facts.filter((f) => !dropped.includes(f)),
    secondLook: {
      delayMs: SECOND_LOOK_DELAY_MS, durationMs, dropped: dropped.map((f) => ({ kind: f.kind, message: f.message })),
      ...(notInDAgain.length ? { notInDAgain } : {}),
    },
  };
}

/**
 * The Snapshot's tree: the second look's when it was taken; the first look's otherwise, with why
 * when the second look failed (a skip means there was nothing to look at again).
 */
export function treeAfterSecondLook(tree: ProbeResult<ProcessTreeView>, second: ProbeResult<ProcessTreeView> | undefined): ProbeResult<ProcessTreeView> {
  if (tree.status !== 'ok' || !tree.data || !second || second.status === 'skipped') return tree;
  if (second.status === 'ok' && second.data) return { ...tree, data: second.data };
  return { ...tree, data: notTaken(tree.data, `the second look ${second.status === 'timeout' ? 'ran out of time' : 'failed'} (${second.message ?? second.status})`, second.durationMs) };
}

/**
 * The view after the late look: what the second look kept, less the racy facts the late look did
 * not see again, and less the processes it did not see in D again; every drop listed. A late
 * look short of an input keeps the second look's facts, and says why.
 */
export function confirmLater(confirmed: LookedAgain, late: ProcessTreeView, durationMs: number): LookedAgain {
  const again = confirmTree(confirmed, late, durationMs);
  const before = confirmed.secondLook;
  if (again.secondLook.note) {
    const why = again.secondLook.note.replace(/; the facts are the first look's$/, '');
    return { ...confirmed, secondLook: { ...before, durationMs, note: `late look ${why}; the facts are the second look's` } };
  }
  // confirmed keeps the first look's processes: a pid in D then and not at the late look
  const notInDAgain = [...new Set([...(before.notInDAgain ?? []), ...(again.secondLook.notInDAgain ?? [])])].sort((a, b) => a - b);
  return {
    ...again,
    secondLook: {
      ...before, durationMs, lateDelayMs: LATE_LOOK_DELAY_MS, dropped: [...before.dropped, ...again.secondLook.dropped],
      ...(notInDAgain.length ? { notInDAgain } : {}),
    },
  };
}
