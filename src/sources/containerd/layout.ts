// Everything about containerd that differs by version, in one place: plugin ids, the config
// format each version writes, where its CRI plugin keeps what. Discovery, the config source,
// the rules and the lab ask this module; no plugin id string appears anywhere else.

/** The version lines ctrdoc knows apart. 'seed' is 1.6 built with containerd#6772 restored. */
export type ContainerdFamily = '1.6' | '1.7' | '2.x';

/** Plugin ids (the keys under [plugins] in config.toml, and `ctr plugins ls` ids). */
export const PLUGIN_ID = {
  /** 1.x: the whole CRI plugin; 2.x: only the CRI gRPC service (stream server, ...). */
  criGrpc: 'io.containerd.grpc.v1.cri',
  /** 2.x: CRI's runtime half (runtimes, cni, restrict_oom_score_adj, ...). */
  criRuntime: 'io.containerd.cri.v1.runtime',
  /** 2.x: CRI's image half (snapshotter, pinned_images.sandbox, registry). */
  criImages: 'io.containerd.cri.v1.images',
  /** where containerd installs optional binaries */
  opt: 'io.containerd.internal.v1.opt',
  /** the cgroups task monitor that feeds /v1/metrics (1.x id) */
  cgroupsMonitor1: 'io.containerd.monitor.v1.cgroups',
  /** the same monitor's 2.x id */
  cgroupsMonitor2: 'io.containerd.monitor.task.v1.cgroups',
} as const;

/** The runc shim's runtime type, the same in every version. */
export const RUNC_RUNTIME_TYPE = 'io.containerd.runc.v2';

/** Under containerd's state dir: one directory per task, <ns>/<id>, in every version. */
export const TASK_STATE_SUBDIR = 'io.containerd.runtime.v2.task';

/** The config file format a version writes with `config default` and reads natively. */
export function configVersionOf(family: ContainerdFamily): 2 | 3 {
  return family === '2.x' ? 3 : 2;
}

/** "1.6.20~ds1", "v1.7.24", "2.1.9+unknown" → its family; undefined when it names none we know. */
export function familyOf(version: string): ContainerdFamily | undefined {
  const m = /^v?(\d+)\.(\d+)\./.exec(version.trim());
  if (!m) return undefined;
  const major = Number(m[1]);
  const minor = Number(m[2]);
  if (major >= 2) return '2.x';
  if (major === 1 && minor === 7) return '1.7';
  if (major === 1 && minor <= 6) return '1.6';
  return undefined;
}
