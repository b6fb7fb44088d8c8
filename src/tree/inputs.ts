// What the tree is built from (plain data from the sources), and what its steps share.
import type { TaskView } from '../snapshot/types/containerd.ts';
import type { ProcessInfo, ProcTable } from '../snapshot/types/proc.ts';
import type { RuncRootView, TaskBundleView } from '../snapshot/types/runc.ts';
import type { ProcessRole, ProcessTreeView, ShimProbe } from '../snapshot/types/tree.ts';
import type { ShimArgs } from '../sources/proc/argv.ts';
import type { CriInputs, Identities } from './identities.ts';

export interface TreeInputs {
  proc: ProcTable;
  runc?: RuncRootView;
  cri?: CriInputs;
  tasks?: TaskView[];
  bundles?: TaskBundleView;
  shimProbes?: ShimProbe[];
  /** the containerd whose shims to hang under it (when several run); from the stack's resolution */
  containerdPid?: number;
  /** containerd's gRPC address: shims started by it carry it as -address */
  containerdAddress?: string;
  /** include every other process too (ps aux --forest) */
  all?: boolean;
  /** a runc init parked this long counts as stuck (default 60 s) */
  stuckInitSec?: number;
  /** the window of the processes' cpuPercentRecent, ms, when a second sample was taken */
  cpuWindowMs?: number;
  now?: number;
}

export const DEFAULT_STUCK_INIT_SEC = 60;

/** Where a process sits: its role and, when it belongs to one, its container and how that was known. */
export interface Placed {
  role: ProcessRole;
  containerId?: string;
  matchedBy?: string;
  notes: string[];
}

/** The process table indexed once, for every step. */
export interface ProcIndex {
  procs: Map<number, ProcessInfo>;
  childrenOf: Map<number, number[]>;
  /** every shim process (live, transient or defunct) with its flags */
  shimArgs: Map<number, ShimArgs>;
  ids: Identities;
}

/** What each fact detector reads: the inputs, the built view, and the index. */
export interface FactContext extends ProcIndex {
  inp: TreeInputs;
  view: ProcessTreeView;
  now: number;
  stuckInitSec: number;
}
