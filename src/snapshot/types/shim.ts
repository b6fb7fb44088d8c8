// What a shim says about itself over ttrpc (containerd.task.v2.Task).

export interface ShimConnectView {
  shimPid: number;
  taskPid: number;
  version: string;
}

export interface ShimStateView {
  id: string;
  bundle: string;
  pid: number;
  status: 'UNKNOWN' | 'CREATED' | 'RUNNING' | 'STOPPED' | 'PAUSED' | 'PAUSING';
  exitStatus: number;
  exitedAt: string;
}
