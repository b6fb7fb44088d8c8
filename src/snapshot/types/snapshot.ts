// The Snapshot: everything the rules may look at, as plain serialisable data. A support bundle
// carries one, so `ctrdoc analyze` runs the very same rules as `ctrdoc doctor`.
import type { ProbeResult } from './probe.ts';
import type { StackLocation } from './stack.ts';
import type { Container, ContainerDetail, PodSandbox, RuntimeStatusView, SandboxDetail, SandboxImageView, VersionView } from './cri.ts';
import type { ContainerdContainerView, ContainerdVersionView, EventView, PluginView, TaskView } from './containerd.ts';
import type { ProcTable } from './proc.ts';
import type { RuncRootView, TaskBundleView } from './runc.ts';
import type { ProcessTreeView } from './tree.ts';
import type { GoroutineAnalysis } from './goroutines.ts';
import type { KubeletView } from './kubelet.ts';
import type { LogScan } from './logs.ts';
import type { NodeView } from './node.ts';

/** The containerd daemon process, from /proc. */
export interface ContainerdProcessView {
  pid: number;
  /** R, S, D, T (stopped: SIGSTOP), Z ... */
  state: string;
  uptimeSec: number;
  argv: string[];
  threads: number;
  rssKb: number;
  fds?: number;
  fdLimit?: number;
  wchan?: string;
}

export interface ConfigDiffEntry {
  /** dotted TOML path, with the version's own plugin ids (plugins.<cri id>.containerd.runtimes.runc.options.SystemdCgroup) */
  path: string;
  /** JSON-encoded values; undefined when absent on that side */
  default?: string;
  actual?: string;
}

export interface ContainerdConfigView {
  path?: string;
  /** the config file's mtime (ISO): later than containerd's start means an edit not yet applied */
  modifiedAt?: string;
  /** `containerd config dump` of the running binary with that config */
  dumpOk: boolean;
  loadError?: string;
  version?: number;
  /** every TOML key where the dump differs from `config default` of the same binary (raw paths) */
  diff: ConfigDiffEntry[];
  /** the same difference in the one shape every version reads into (keys of ConfigFacts, dotted
   * for runtimes: `runtimes.runc.options.BinaryName`): the same key on a v2 and a v3 config */
  factsDiff?: ConfigFactDiff[];
  /** the values rules read, from the dump */
  facts: ConfigFacts;
}

export interface ConfigFactDiff {
  /** a ConfigFacts key: `sandboxImage`, `systemdCgroup`, `runtimes.runc.options.Root` ... */
  key: string;
  /** JSON-encoded values; undefined when absent on that side */
  default?: string;
  actual?: string;
}

/** One CRI runtime (runtime handler) as the config names it, the same in every version. */
export interface RuntimeFacts {
  /** runtime_type: io.containerd.runc.v2 */
  type?: string;
  /** the runtime's options table as written (runc: BinaryName, Root, SystemdCgroup ...) */
  options: Record<string, unknown>;
  /** a per-runtime snapshotter (1.7+), '' for the image service's */
  snapshotter?: string;
}

/**
 * containerd's settings in one shape, whatever the version wrote them as (config version 2 in
 * 1.x, 3 in 2.x, or the running CRI plugin's verbose Status): src/sources/containerd/layout.ts
 * reads each into this. Rules and discovery read only this.
 */
export interface ConfigFacts {
  /** the config format the values came from: 2 (1.x), 3 (2.x); absent for the CRI Status */
  configVersion?: number;
  root?: string;
  state?: string;
  /** [grpc] address: containerd's socket */
  grpcAddress?: string;
  systemdCgroup?: boolean;
  sandboxImage?: string;
  metricsAddress?: string;
  debugAddress?: string;
  debugLevel?: string;
  disabledPlugins?: string[];
  snapshotter?: string;
  drainExecSyncIoTimeout?: string;
  restrictOomScoreAdj?: boolean;
  /** default_runtime_name (runc unless set) */
  defaultRuntime?: string;
  runtimes?: Record<string, RuntimeFacts>;
  /** the default runtime's Root option: runc's state root base (namespace dirs under it) */
  runcRoot?: string;
  /** the default runtime's BinaryName option: a wrapper in place of runc */
  runcBinaryName?: string;
  /** CNI plugin binary dirs (1.x bin_dir, 2.x bin_dirs) */
  cniBinDirs?: string[];
  cniConfDir?: string;
  /** registry hosts dirs (`<dir>/<host>/hosts.toml`): the CRI registry's config_path (1.x; 2.x's
   *  images plugin), and 2.x's transfer service's; ':'-separated lists split */
  registryConfigDirs?: string[];
}

export interface CanaryResult {
  ok: boolean;
  /** which step failed or hung: pull, run-sandbox, create, start, stop, remove */
  failedStep?: string;
  error?: string;
  steps: { step: string; ms: number; ok: boolean; error?: string }[];
  cleanedUp: boolean;
}

export interface Snapshot {
  apiVersion: 'ctrdoc/v1alpha1';
  kind: 'Snapshot';
  collectedAt: string;
  ctrdocVersion: string;
  host: { hostname: string; kernel: string; cpus: number };
  stack: StackLocation;
  /** what the rules judge by: a container created, or a runc init parked, for longer than this is stuck */
  thresholds: { stuckAfterSec: number };
  /** overall deadline and how long the collection took */
  deadlineMs: number;
  durationMs: number;
  cri: {
    version: ProbeResult<VersionView>;
    status: ProbeResult<RuntimeStatusView>;
    pods: ProbeResult<PodSandbox[]>;
    containers: ProbeResult<Container[]>;
    /** verbose status of the containers that need it, each with why (src/collect/probes/cri-details.ts):
     *  stuck Created, restarted-and-exited, Running without a live task; not one per container */
    containerDetails: ProbeResult<ContainerDetail[]>;
    /** verbose status of Ready pods without a running sandbox task */
    sandboxDetails: ProbeResult<SandboxDetail[]>;
    images: ProbeResult<string[]>;
    /** the sandbox image the running containerd uses (absent in Snapshots of an older ctrdoc) */
    sandboxImage?: ProbeResult<SandboxImageView>;
    /** CRI Version asked once more, on a fresh connection and a longer deadline, when a CRI call
     *  ran out of time (skipped when none did; absent in Snapshots of an older ctrdoc) */
    secondAsk?: ProbeResult<CriSecondAsk>;
  };
  containerd: {
    process: ProbeResult<ContainerdProcessView>;
    version: ProbeResult<ContainerdVersionView>;
    tasks: ProbeResult<TaskView[]>;
    containers: ProbeResult<ContainerdContainerView[]>;
    plugins: ProbeResult<PluginView[]>;
    config: ProbeResult<ContainerdConfigView>;
    log: ProbeResult<LogScan>;
    events?: ProbeResult<EventView[]>;
    goroutines?: ProbeResult<GoroutineAnalysis>;
  };
  proc: ProbeResult<ProcTable>;
  runc: ProbeResult<RuncRootView>;
  bundles: ProbeResult<TaskBundleView>;
  tree: ProbeResult<ProcessTreeView>;
  kubelet: ProbeResult<KubeletView>;
  kubeletLog: ProbeResult<LogScan>;
  node: ProbeResult<NodeView>;
  canary?: ProbeResult<CanaryResult>;
}

/** CRI Version asked again after a timeout: how long the answer took. */
export interface CriSecondAsk {
  /** ms the second Version call took */
  ms: number;
  /** its deadline, ms */
  deadlineMs: number;
}
