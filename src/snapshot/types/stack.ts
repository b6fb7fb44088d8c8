// Where the stack lives on this node, and where each value came from.

export type LocationSource = 'flag' | 'env' | 'crictl.yaml' | 'containerd cmdline' | 'containerd config' | 'containerd stderr' | 'cri status' | 'default';

/** One running containerd daemon as the resolution saw it. */
export interface ContainerdDaemonRef {
  pid: number;
  /** the socket it serves */
  address: string;
  configPath?: string;
  /** false when its config disables CRI, or it did not answer CRI when asked */
  servesCri?: boolean;
}

/** Which containerd ctrdoc talks to when several run (or none serves the socket named), and why. */
export interface DaemonChoice {
  chosen?: ContainerdDaemonRef & {
    /** "kubelet's runtime endpoint (kubelet 812 --container-runtime-endpoint)", "the only one serving CRI", ... */
    why: string;
  };
  /** every other containerd daemon running here */
  others: ContainerdDaemonRef[];
  /** how to pick another: the flags to give */
  pick: string;
}

export interface StackLocation {
  runtimeEndpoint: string;
  /** containerd's gRPC socket path */
  address: string;
  namespace: string;
  /** runc's state root for the namespace, e.g. /run/containerd/runc/k8s.io */
  runcRoot: string;
  /** containerd's state dir (task bundles live in <state>/io.containerd.runtime.v2.task/<ns>) */
  stateDir: string;
  rootDir: string;
  debugAddress?: string;
  containerdConfig?: string;
  containerdLog?: string;
  kubeletLog?: string;
  /** the containerd process serving `address`, when found */
  containerdPid?: number;
  timeoutMs: number;
  sources: Partial<Record<keyof StackLocation, LocationSource>>;
  /** what discovery could not do, said plainly */
  notes: string[];
  /** set when more than one containerd runs here, or none serves the socket named */
  daemons?: DaemonChoice;
}
