// runc's view of the containers it runs, as read from its state root (runc --root DIR), and the
// task bundle directories containerd keeps for each runc-v2 shim task.

export type RuncStatus = 'created' | 'running' | 'paused' | 'stopped' | 'unknown';

/** Kubernetes identity carried by the OCI annotations containerd's CRI plugin writes (runc keeps them as config.labels). */
export interface RuncKubeLabels {
  /** io.kubernetes.cri.container-type: "sandbox" or "container" */
  containerType?: string;
  containerName?: string;
  sandboxId?: string;
  sandboxName?: string;
  sandboxNamespace?: string;
  sandboxUid?: string;
}

export interface RuncContainerState {
  id: string;
  /** the container's state directory */
  dir: string;
  status: RuncStatus;
  /** why this status, the way runc decides it ("exec.fifo present", "pid 12 start time 40 != 38: pid reused") */
  statusReason: string;
  initPid?: number;
  /** state.json init_process_start: clock ticks after boot, compare with /proc/PID/stat field 22 */
  initStart?: number;
  /** state.json created (ISO) */
  created?: string;
  /** seconds since created, at read time */
  ageSec?: number;
  rootfs?: string;
  bundle?: string;
  labels: Record<string, string>;
  kube: RuncKubeLabels;
  cgroupPaths: Record<string, string>;
  execFifo: boolean;
  /** the init pid is a live, non-zombie process with the recorded start time */
  initAlive: boolean;
  /** freezer.state (v1) or cgroup.freeze (v2), when readable */
  freezer?: string;
  /** what could not be read or parsed: the container is still listed, with this */
  error?: string;
}

export interface RuncRootView {
  root: string;
  readAt: string;
  containers: RuncContainerState[];
  /** the root itself could not be read */
  error?: string;
}

/** One `<state>/io.containerd.runtime.v2.task/<ns>/<id>/` directory. */
export interface TaskBundle {
  namespace: string;
  id: string;
  dir: string;
  /** the shim's socket URI (unix:///run/containerd/s/<hash>): the `address` file (1.x) or bootstrap.json's address (2.x) */
  address?: string;
  /** the shim task API the shim serves: 2 (1.x, an `address` file) or bootstrap.json's version (3 on 2.x) */
  taskApi?: number;
  /** bootstrap.json's protocol when it is not ttrpc (grpc): ctrdoc speaks ttrpc to shims only */
  protocol?: string;
  /** socket path from address, and whether it exists as a socket */
  socketPath?: string;
  socketExists?: boolean;
  /** init.pid: the container's init process */
  initPid?: number;
  /** shim.pid: the shim, written by the shim that owns this task's group (1.x only: 2.x writes none) */
  shimPid?: number;
  /** io.kubernetes.cri.sandbox-id from config.json's annotations, when present */
  sandboxId?: string;
  hasConfig: boolean;
  error?: string;
}

export interface TaskBundleView {
  dir: string;
  bundles: TaskBundle[];
  /** socket files in the shim socket dir (`<state>/s`), with whether any bundle's address names them */
  sockets: { path: string; referenced: boolean }[];
  error?: string;
}
