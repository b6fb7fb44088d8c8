// The process tree joined with the stack's identities (CRI pods and containers, containerd tasks,
// shims, runc states), and the facts the doctor judges it by. Plain data.

export type ProcessRole =
  | 'containerd'
  | 'shim'
  | 'pause'
  | 'app'
  | 'child'
  | 'runc-init'
  | 'runc'
  | 'zombie'
  | 'orphan'
  | 'other';

export interface PodRef {
  namespace?: string;
  name?: string;
  uid?: string;
  sandboxId: string;
}

export interface ContainerRef {
  id: string;
  name?: string;
  attempt?: number;
  /** "sandbox" for a pod's pause container */
  type?: 'sandbox' | 'container';
}

/** One process in forest order (parents before children), with what it is in the stack. */
export interface TreeProcess {
  pid: number;
  ppid: number;
  /** depth in the printed forest (the logical tree: shims hang under containerd) */
  depth: number;
  /** the logical parent in the printed tree (a shim's is its containerd; 0 for a root) */
  parent: number;
  role: ProcessRole;
  /** ps-like STAT: state letter (+ `<defunct>` shows as Z) */
  stat: string;
  cpuPercent: number;
  cpuPercentRecent?: number;
  rssKb: number;
  threads: number;
  fds?: number;
  ageSec: number;
  starttime: number;
  comm: string;
  command: string;
  pod?: PodRef;
  container?: ContainerRef;
  /** runc subcommand for role runc (create, start, delete, state, kill ...) */
  runcAction?: string;
  /** runc init stage comm (`runc:[2:INIT]`) for role runc-init */
  runcStage?: string;
  /** for shims: -namespace, -id, -address from the command line */
  shim?: { namespace?: string; id?: string; address?: string; action?: string };
  /** where the container identity came from: runc-state, task, cri, cgroup, runc-labels, parent */
  matchedBy?: string;
  notes?: string[];
}

/** What a ttrpc Connect to a shim's socket said, under a deadline. */
export interface ShimProbe {
  socketPath: string;
  ok: boolean;
  latencyMs?: number;
  shimPid?: number;
  taskPid?: number;
  /** the shim task API that answered: 2 (containerd.task.v2.Task, 1.x shims) or 3 (containerd.task.v3.Task, 2.x) */
  taskApi?: number;
  /** "deadline-exceeded", "connection refused", ... */
  error?: string;
}

export interface ShimView {
  pid: number;
  starttime: number;
  namespace?: string;
  /** -id: the grouping id, the pod's sandbox id under CRI */
  id?: string;
  address?: string;
  pod?: PodRef;
  /** socket from the task bundle's address file */
  socket?: string;
  probe?: ShimProbe;
  state: string;
  children: number[];
  containers: string[];
  hasPause: boolean;
  cpuPercent: number;
  cpuPercentRecent?: number;
  rssKb: number;
  threads: number;
  fds?: number;
  ageSec: number;
  /** PR_SET_CHILD_SUBREAPER is not visible in /proc: inferred from reparented container inits */
  subreaper: { value: boolean | null; how: string };
}

export type TreeFactKind =
  | 'stuck-runc-init'
  | 'repeated-runc-init'
  | 'shim-without-pause'
  | 'pod-without-shim'
  | 'dead-shim-leftover'
  | 'stale-shim-socket'
  | 'orphan-process'
  | 'zombie'
  | 'shim-outlier'
  | 'shim-unresponsive'
  | 'leaked-runc-container'
  | 'task-without-runc-state'
  | 'runc-pid-reused'
  | 'cri-pid-mismatch'
  | 'runc-state-unreadable';

export interface TreeFactSubject {
  pod?: PodRef;
  container?: ContainerRef;
  pid?: number;
  shimPid?: number;
  path?: string;
}

export interface TreeFact {
  kind: TreeFactKind;
  /** one line a person reads first */
  message: string;
  subject: TreeFactSubject;
  /** the values and paths it rests on */
  evidence: Record<string, string | number | boolean | null>;
}

export interface ProcessTreeView {
  builtAt: string;
  processes: TreeProcess[];
  shims: ShimView[];
  facts: TreeFact[];
  /** which inputs were present: a join without CRI says so instead of guessing */
  inputs: { proc: boolean; runc: boolean; cri: boolean; tasks: boolean; bundles: boolean; shimProbes: boolean };
  /**
   * processes that belong to another containerd or runc root than the one inspected (its shims
   * and what runs under them, runc calls and parked inits in its root): left out of `processes`
   * (unless --all) and of every judgment, the node's D-state and frozen-cgroup rules included;
   * the other containerd daemons themselves are not listed (one in D is the node's problem too)
   */
  foreignPids?: number[];
  /** thresholds the facts were judged with */
  thresholds: { stuckInitSec: number; /** the window of cpuPercentRecent, ms, when it was sampled */ cpuWindowMs?: number };
  /** set when facts that join reads of different instants were looked at a second time
   * (src/collect/second-look.ts): the ones the second look did not see again are dropped */
  secondLook?: {
    delayMs: number;
    durationMs: number;
    dropped: { kind: TreeFactKind; message: string }[];
    /** processes of the stack the first look saw in D that the second did not: D for a moment is
     * work (a runc init joining namespaces waits on RCU), not a hang */
    notInDAgain?: number[];
    /** a later look, when facts outlived the second: the delay after the second look; its drops are in `dropped` */
    lateDelayMs?: number;
    note?: string;
  };
}
