// The Snapshot: everything the rules may look at, as plain serialisable data. A support bundle
// carries one, so `ctrdoc analyze` runs the very same rules as `ctrdoc doctor`.
import type { ProbeResult } from './probe.ts';
import type { StackLocation } from './stack.ts';
import type { Container, ContainerDetail, PodSandbox, RuntimeStatusView, SandboxDetail, VersionView } from './cri.ts';
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
  /** dotted TOML path: plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options.SystemdCgroup */
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
  diff: ConfigDiffEntry[];
  /** the values rules read, from the dump */
  facts: ConfigFacts;
}

/** The config values rules read: from the file (`config dump`) or from the running CRI plugin. */
export interface ConfigFacts {
  systemdCgroup?: boolean;
  sandboxImage?: string;
  metricsAddress?: string;
  debugAddress?: string;
  debugLevel?: string;
  disabledPlugins?: string[];
  snapshotter?: string;
  drainExecSyncIoTimeout?: string;
  restrictOomScoreAdj?: boolean;
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
    /** verbose status of each container (pid), collected in parallel under the deadline */
    containerDetails: ProbeResult<ContainerDetail[]>;
    sandboxDetails: ProbeResult<SandboxDetail[]>;
    images: ProbeResult<string[]>;
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
