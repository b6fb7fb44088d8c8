// containerd's own view (its native API, not CRI): tasks, containers, plugins.

export type TaskStatus = 'UNKNOWN' | 'CREATED' | 'RUNNING' | 'STOPPED' | 'PAUSED' | 'PAUSING';

export interface TaskView {
  id: string;
  pid: number;
  status: TaskStatus;
  exitStatus: number;
  /** ISO time, "" when running */
  exitedAt: string;
}

export interface ContainerdContainerView {
  id: string;
  image: string;
  runtime: string;
  labels: Record<string, string>;
  snapshotter: string;
  createdAt: string;
  updatedAt: string;
}

export interface PluginView {
  type: string;
  id: string;
  /** "ok" | "skip" | "error", as `ctr plugins ls` shows it */
  status: 'ok' | 'skip' | 'error';
  initError?: { code: number; message: string };
}

export interface ContainerdVersionView {
  version: string;
  revision: string;
}

export interface EventView {
  timestamp: string;
  namespace: string;
  topic: string;
  typeUrl: string;
}
