// What `ctrdoc watch` says, one line per change: plain data the watch makes (src/watch) and the
// renderers format (src/report/watch-line.ts).
import type { Layer, Severity } from './findings.ts';

/** Where a line's fact came from. */
export type WatchSource =
  /** containerd's own events (Events.Subscribe) */
  | 'containerd'
  /** CRI's container events (GetContainerEvents), where the version fans them out */
  | 'cri'
  /** the /proc poll */
  | 'proc'
  /** the runc state root poll */
  | 'runc'
  /** containerd's API answering, or not, within its deadline */
  | 'api'
  /** the doctor's diagnosis (src/incidents), run on a Snapshot the watch collects */
  | 'doctor'
  /** the watch itself: its event stream lost, resumed */
  | 'watch';

export type WatchKind =
  // containerd's events, by topic
  | 'task-create' | 'task-start' | 'task-exit' | 'task-delete' | 'task-oom'
  | 'exec-add' | 'exec-start' | 'task-pause' | 'task-resume' | 'task-checkpoint'
  | 'container-create' | 'container-update' | 'container-delete'
  | 'image-create' | 'image-update' | 'image-delete'
  | 'sandbox-create' | 'sandbox-start' | 'sandbox-exit'
  /** an event ctrdoc does not decode (unknown type, undecodable payload): said as it came */
  | 'event'
  // CRI's events (2.x)
  | 'cri-created' | 'cri-started' | 'cri-stopped' | 'cri-deleted'
  // what the polls see
  | 'runc-init-parked' | 'runc-init-stuck' | 'runc-init-unparked'
  | 'shim-start' | 'shim-exit'
  | 'process-state' | 'process-state-cleared'
  | 'containerd-start' | 'containerd-exit' | 'containerd-restart'
  | 'containerd-unresponsive' | 'containerd-answering'
  // the watch's own streams
  | 'events-lost' | 'events-resumed'
  // the diagnosis
  | 'incident-open' | 'incident-update' | 'incident-close';

/** Who a line is about: the Kubernetes names where known, the ids always. */
export interface WatchSubject {
  /** namespace/name */
  pod?: string;
  podSandboxId?: string;
  /** the container's name in its pod */
  container?: string;
  /** the line is about the pod's sandbox (its pause container) itself */
  sandbox?: boolean;
  containerId?: string;
  attempt?: number;
  pid?: number;
}

export interface WatchIncidentRef {
  id: string;
  cause: string;
  severity: Severity;
  /** the layer the cause sits in */
  layer: Layer;
  certainty: string;
  pods: string[];
}

export interface WatchLine extends WatchSubject {
  /** ISO time of the change: the event's own time, or when the poll saw it */
  time: string;
  kind: WatchKind;
  source: WatchSource;
  /** set where the line is a problem (or the end of one) */
  severity?: Severity;
  /** one sentence: what changed */
  message: string;
  /** containerd event topic (/tasks/exit) */
  topic?: string;
  exitStatus?: number;
  /** a parked init's age, or how long containerd went without answering, seconds */
  ageSec?: number;
  /** a process's state letter now, and before */
  state?: string;
  previousState?: string;
  /** what kind of stack process (process-state lines) */
  role?: WatchRole;
  incident?: WatchIncidentRef;
}

/** The stack's processes the watch follows. */
export type WatchRole = 'containerd' | 'shim' | 'runc' | 'runc-init' | 'pause' | 'container';
