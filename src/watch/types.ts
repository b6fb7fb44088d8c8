// The views of the stack `ctrdoc watch` compares to find what changed (changes.ts reads two
// successive WatchViews), and the names it gives ids. What it says is a WatchLine
// (src/snapshot/types/watch.ts).
import type { WatchRole, WatchSubject } from '../snapshot/types/watch.ts';

export type { WatchKind, WatchLine, WatchSource, WatchSubject, WatchIncidentRef, WatchRole } from '../snapshot/types/watch.ts';


/** Names of one id (container, sandbox), from runc's state labels, CRI's lists, containerd's labels or CRI events. */
export interface Names {
  pod?: string;
  podSandboxId?: string;
  container?: string;
  attempt?: number;
  sandbox?: boolean;
}

export interface SeenProcess extends WatchSubject {
  pid: number;
  starttime: number;
  ppid: number;
  role: WatchRole;
  comm: string;
  /** runc's subcommand (create, start, delete, ...) for role runc */
  action?: string;
  state: string;
  /** consecutive polls that saw it in this state (a D or a zombie counts from the second) */
  polls: number;
  /** a shim's -id (its pod's sandbox id under CRI) */
  shimId?: string;
}

/** A runc init waiting on its exec.fifo (runc create, no start). */
export interface SeenParkedInit extends WatchSubject {
  /** runc's container id, or `pid:<pid>@<start>` for an init no runc state names */
  key: string;
  /** when runc created it (ms since the epoch) */
  createdAtMs: number;
  /** consecutive polls that saw it parked (a normal start unparks within one) */
  polls: number;
}

export interface ContainerdSeen {
  pid: number;
  starttime: number;
}

/** Whether containerd's API answers within its deadline (the watch's one ping). */
export interface ApiSeen {
  /** undefined until the first ping ended */
  answering?: boolean;
  /** since when (ms) it has been so */
  since: number;
  /** why not: "no answer within 2s", "connection refused" */
  error?: string;
  /** the ping's answer time when it answered, ms */
  latencyMs?: number;
}

/** One poll's view of the stack. */
export interface WatchView {
  /** ms since the epoch */
  at: number;
  /** the containerd serving the stack's socket; undefined: none runs */
  containerd?: ContainerdSeen;
  api: ApiSeen;
  /** by `${pid}@${starttime}` */
  processes: Map<string, SeenProcess>;
  /** by key */
  parked: Map<string, SeenParkedInit>;
  /** every container id under the runc root (a parked init that leaves: started, or removed) */
  runcIds: Set<string>;
}
