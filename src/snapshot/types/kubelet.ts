// kubelet as ctrdoc sees it from outside: its process, flags, config files and log. kubelet
// itself is never run (not even `kubelet --version`): on a test machine it may be a stand-in.

export interface KubeletView {
  /** the kubelet process, if one runs */
  pid?: number;
  /**
   * Several kubelet processes run and none was read: none names the containerd inspected (and no
   * --kubelet-pid chose one). Their pids and why none is judged; the kubelet rules skip.
   */
  notChosen?: { pids: number[]; why: string };
  argv?: string[];
  /** "v1.28.3" when known: from an explicit hint or the log's "Kubelet version" line */
  version?: string;
  /** where the version came from: "hint", "log:<source>" */
  versionSource?: string;
  /** effective flags without dashes (name → value; a bare boolean flag is "true"): the running
   * process's argv when there is one, else the files merged the way systemd's ExecStart would */
  flags: Record<string, string>;
  /** where each flag came from: "argv" or a file path */
  flagSources: Record<string, string>;
  configPath?: string;
  /** the KubeletConfiguration fields ctrdoc reads */
  config?: {
    cgroupDriver?: string;
    containerRuntimeEndpoint?: string;
    imageServiceEndpoint?: string;
    runtimeRequestTimeout?: string;
    [key: string]: unknown;
  };
  /** cgroup driver kubelet will use: --cgroup-driver, else the config file, else "cgroupfs" */
  cgroupDriver?: string;
  cgroupDriverSource?: string;
  /** the runtime endpoint kubelet will use, and where it was set ("flag", "config", "default") */
  runtimeEndpoint?: string;
  runtimeEndpointSource?: string;
  /** whether that endpoint answered CRI Version within the deadline */
  endpointCheck?: { ok: boolean; runtimeName?: string; runtimeVersion?: string; error?: string };
  files: { path: string; present: boolean; error?: string }[];
  notes: string[];
}
