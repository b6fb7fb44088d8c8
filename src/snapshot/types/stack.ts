// Where the stack lives on this node, and where each value came from.

export type LocationSource = 'flag' | 'env' | 'crictl.yaml' | 'containerd cmdline' | 'containerd config' | 'containerd stderr' | 'cri status' | 'default';

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
}
