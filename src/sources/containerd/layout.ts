// Everything about containerd that differs by version, in one place: plugin ids, where each
// config format (version 2 in 1.x, version 3 in 2.x) keeps each setting, what the running CRI
// plugin's verbose Status shows in each, the built-in paths, and the commands that print a
// binary's own defaults. Everything else (discovery, the config source, the rules) reads the one
// shape this module makes (ConfigFacts); no plugin id string appears anywhere else in src/.
// Pure: parsed documents in, plain data out (no TOML library here, so `cri` commands stay light).
import type { ConfigFactDiff, ConfigFacts, RuntimeFacts, SandboxImageView } from '../../snapshot/types/index.ts';
import { compareText } from '../../order.ts';

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
  /** the CRI plugin's short name: a version 1 config's [plugins.cri], and disabled_plugins = ["cri"] */
  criShort: 'cri',
  /** where containerd installs optional binaries */
  opt: 'io.containerd.internal.v1.opt',
  /** the cgroups task monitor that feeds /v1/metrics (1.x id) */
  cgroupsMonitor1: 'io.containerd.monitor.v1.cgroups',
  /** the same monitor's 2.x id */
  cgroupsMonitor2: 'io.containerd.monitor.task.v1.cgroups',
  /** the v2 task runtime: its id names the task bundle dir under the state dir */
  taskRuntime: 'io.containerd.runtime.v2.task',
  /** 2.x: the transfer service, with a registry hosts dir of its own (config_path) */
  transfer: 'io.containerd.transfer.v1.local',
} as const;

/** The runc shim's runtime type, the same in every version. */
export const RUNC_RUNTIME_TYPE = 'io.containerd.runc.v2';

/** Under containerd's state dir: one directory per task, <ns>/<id>, in every version. */
export const TASK_STATE_SUBDIR = PLUGIN_ID.taskRuntime;

/** containerd's built-in paths (defaults.Default*), the same in 1.6, 1.7 and 2.x. */
export const CONTAINERD_DEFAULTS = {
  socket: '/run/containerd/containerd.sock',
  root: '/var/lib/containerd',
  state: '/run/containerd',
  config: '/etc/containerd/config.toml',
  /** runc's root when the runtime's Root option is empty: <this>/<namespace> */
  runcRootBase: '/run/containerd/runc',
  /** every shim socket (and, 2.x with -debug, each shim's pprof socket), whatever the state dir */
  shimSocketDir: '/run/containerd/s',
  /** CRI's containerd namespace */
  namespace: 'k8s.io',
} as const;

/**
 * How a task bundle names its shim, by version:
 *   1.6, 1.7: an `address` file, `unix:///run/containerd/s/<hash>`; the shim serves the task API v2;
 *   2.x:      `bootstrap.json`, `{"version":3,"address":"unix:///run/containerd/s/<hash>","protocol":"ttrpc"}`
 *             (no `address` file); `version` is the task API the shim serves (3: containerd.task.v3.Task,
 *             which answers containerd.task.v2.Task with Unimplemented), `protocol` ttrpc or grpc.
 * 2.x bundles also have no shim.pid.
 */
export const SHIM_BUNDLE_FILES = { address: 'address', bootstrap: 'bootstrap.json' } as const;

/** The task API a shim serves when its bundle does not say (an `address` file: 1.x). */
export const SHIM_TASK_API_DEFAULT = 2;

/** The ttrpc service of a task API version: 2 → containerd.task.v2.Task, 3 → containerd.task.v3.Task. */
export function shimTaskService(apiVersion: number): string {
  return `containerd.task.v${apiVersion}.Task`;
}

/** The task API versions ctrdoc speaks, newest last: asked in turn when a socket's version is not known. */
export const SHIM_TASK_APIS = [2, 3] as const;

/** What a bundle says about its shim, whichever file said it. */
export interface ShimBootstrap {
  /** unix:///run/containerd/s/<hash> */
  address: string;
  /** the task API version the shim serves */
  taskApi: number;
  /** ttrpc (every runc shim) or grpc */
  protocol: string;
  /** the file it came from */
  from: (typeof SHIM_BUNDLE_FILES)[keyof typeof SHIM_BUNDLE_FILES];
}

/**
 * A bundle's shim, from the text of its files: `address` (1.x) when present, else bootstrap.json
 * (2.x). Throws, naming the file and what is wrong, when neither gives an address.
 */
export function readShimBootstrap(files: { address?: string; bootstrap?: string }): ShimBootstrap {
  const a = files.address?.trim();
  if (a) return { address: a, taskApi: SHIM_TASK_API_DEFAULT, protocol: 'ttrpc', from: SHIM_BUNDLE_FILES.address };
  if (files.bootstrap === undefined) throw new Error(`no ${SHIM_BUNDLE_FILES.address} or ${SHIM_BUNDLE_FILES.bootstrap} file`);
  let doc: unknown;
  try {
    doc = JSON.parse(files.bootstrap);
  } catch (err) {
    throw new Error(`${SHIM_BUNDLE_FILES.bootstrap} is not JSON: ${(err as Error).message}`);
  }
  const address = obj(doc)?.address;
  if (typeof address !== 'string' || address.trim() === '') throw new Error(`${SHIM_BUNDLE_FILES.bootstrap} names no address`);
  const v = obj(doc)?.version;
  const protocol = obj(doc)?.protocol;
  return {
    address: address.trim(),
    taskApi: typeof v === 'number' && Number.isInteger(v) && v >= 2 ? v : SHIM_TASK_API_DEFAULT,
    protocol: typeof protocol === 'string' && protocol !== '' ? protocol : 'ttrpc',
    from: SHIM_BUNDLE_FILES.bootstrap,
  };
}

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

/**
 * How the CRI plugin serves GetContainerEvents (what kubelet's Evented PLEG reads):
 *   1.6: not at all (Unimplemented);
 *   1.7: from ONE channel that every caller ranges over (pkg/cri/server/container_events.go:
 *        `for event := range c.containerEventsChan`): each event goes to one reader only, so a
 *        second reader takes events kubelet would have had;
 *   2.x: a queue that gives every subscriber each event (internal/eventq, since containerd commit
 *        e7eb08eb, 2024-01), and holds up to 5 minutes of events for a first subscriber. A reader
 *        that stops reading blocks the queue once its buffer fills, so it must read under a
 *        deadline the runtime enforces.
 * undefined (a version ctrdoc does not know) is read as 'single-consumer': never read it.
 */
export type CriEventsServing = 'unimplemented' | 'single-consumer' | 'fan-out';

export function criEventsServing(family: ContainerdFamily | undefined): CriEventsServing {
  if (family === '1.6') return 'unimplemented';
  if (family === '2.x') return 'fan-out';
  return 'single-consumer';
}

/** The commands that print a binary's own defaults and its merged config (the same in every version). */
export function configCommands(configPath?: string): { dump: string[]; default: string[] } {
  return { dump: [...(configPath ? ['--config', configPath] : []), 'config', 'dump'], default: ['config', 'default'] };
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date) ? (v as Obj) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const nonEmpty = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const bool = (v: unknown): boolean | undefined => (typeof v === 'boolean' ? v : undefined);
const strings = (v: unknown): string[] | undefined => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined);
const at = (o: Obj | undefined, ...keys: string[]): unknown => keys.reduce<unknown>((cur, k) => obj(cur)?.[k], o);

/**
 * Where each config version keeps the CRI settings: the tables (by plugin id) that hold the
 * image settings, the runtime settings and the `containerd` section with the runtimes.
 *   version 1 (1.x, no version key): [plugins.cri]
 *   version 2 (1.x):                 [plugins."io.containerd.grpc.v1.cri"]
 *   version 3 (2.x):                 images in "io.containerd.cri.v1.images", the rest in
 *                                    "io.containerd.cri.v1.runtime"; the sandbox image moved to
 *                                    pinned_images.sandbox, the CNI bin_dir to bin_dirs
 */
function criTables(doc: Obj): { version: number; images: Obj; runtime: Obj } {
  const plugins = obj(doc.plugins) ?? {};
  const version = typeof doc.version === 'number' ? doc.version : 1;
  if (version >= 3) return { version, images: obj(plugins[PLUGIN_ID.criImages]) ?? {}, runtime: obj(plugins[PLUGIN_ID.criRuntime]) ?? {} };
  const cri = obj(plugins[version === 2 ? PLUGIN_ID.criGrpc : PLUGIN_ID.criShort]) ?? {};
  return { version, images: cri, runtime: cri };
}

/**
 * Where registry hosts files live (`<dir>/<host>/hosts.toml`: mirrors, TLS, auth headers): the
 * CRI registry's config_path (1.x: the CRI plugin; 2.x: its images half) and, on 2.x, the transfer
 * service's config_path. Either may list several dirs with ':'. Undefined when none is set.
 */
function registryDirs(version: number, images: Obj, transfer: Obj | undefined): string[] | undefined {
  const paths = [str(at(images, 'registry', 'config_path')), version >= 3 ? str(transfer?.config_path) : undefined];
  const dirs = [...new Set(paths.flatMap((p) => (p ?? '').split(':')).map((d) => d.trim()).filter((d) => d !== ''))];
  return dirs.length ? dirs : undefined;
}

/** Runtimes as every version writes them in TOML (runtime_type, options, snapshotter). */
function tomlRuntimes(section: Obj | undefined): Record<string, RuntimeFacts> | undefined {
  const rt = obj(section?.runtimes);
  if (!rt) return undefined;
  const out: Record<string, RuntimeFacts> = {};
  for (const [name, v] of Object.entries(rt)) {
    const r = obj(v);
    if (!r) continue;
    out[name] = drop({ type: nonEmpty(r.runtime_type), options: obj(r.options) ?? {}, snapshotter: str(r.snapshotter) });
  }
  return out;
}

/** The default runtime's settings lifted to the top of the shape (runc in practice). */
function withDefaultRuntime(f: ConfigFacts, defaultName: string | undefined): ConfigFacts {
  const name = defaultName || 'runc';
  f.defaultRuntime = name;
  const runc = f.runtimes?.[name] ?? f.runtimes?.runc;
  const o = runc?.options ?? {};
  f.systemdCgroup = bool(o.SystemdCgroup);
  f.runcRoot = nonEmpty(o.Root);
  f.runcBinaryName = nonEmpty(o.BinaryName);
  return drop(f);
}

/** A parsed config.toml or `config dump` (version 1, 2 or 3) in the one shape. */
export function readConfigShape(doc: Obj): ConfigFacts {
  const { version, images, runtime } = criTables(doc);
  const plugins = obj(doc.plugins) ?? {};
  const section = obj(runtime.containerd);
  const cni = obj(runtime.cni);
  // 2.x keeps the old bin_dir beside bin_dirs; a non-empty one is still read (and deprecated)
  const binDirs = [...(strings(cni?.bin_dirs) ?? []), ...(nonEmpty(cni?.bin_dir) ? [cni!.bin_dir as string] : [])];
  const f: ConfigFacts = {
    configVersion: version,
    root: nonEmpty(doc.root),
    state: nonEmpty(doc.state),
    grpcAddress: nonEmpty(at(doc, 'grpc', 'address')),
    sandboxImage: version >= 3 ? str(at(images, 'pinned_images', 'sandbox')) : str(images.sandbox_image),
    metricsAddress: str(at(doc, 'metrics', 'address')) ?? '',
    debugAddress: str(at(doc, 'debug', 'address')) ?? '',
    debugLevel: str(at(doc, 'debug', 'level')) ?? '',
    disabledPlugins: strings(doc.disabled_plugins) ?? [],
    snapshotter: str(version >= 3 ? images.snapshotter : section?.snapshotter),
    drainExecSyncIoTimeout: str(runtime.drain_exec_sync_io_timeout),
    restrictOomScoreAdj: bool(runtime.restrict_oom_score_adj),
    runtimes: tomlRuntimes(section),
    cniBinDirs: cni ? binDirs : undefined,
    cniConfDir: nonEmpty(cni?.conf_dir),
    registryConfigDirs: registryDirs(version, images, obj(plugins[PLUGIN_ID.transfer])),
  };
  return withDefaultRuntime(f, nonEmpty(section?.default_runtime_name));
}

/** Does disabled_plugins switch CRI off, in this version's ids? (2.x: either half, or the short name.) */
export function criDisabledBy(disabledPlugins: string[] | undefined): string | undefined {
  const ids: string[] = [PLUGIN_ID.criShort, PLUGIN_ID.criGrpc, PLUGIN_ID.criRuntime, PLUGIN_ID.criImages];
  return disabledPlugins?.find((p) => ids.includes(p));
}

/** What the running CRI plugin's verbose Status says, in the one shape, plus its own dirs. */
export interface CriStatusShape {
  /** which layout the info matched: '1.x' carries the image settings (sandboxImage), '2.x' does not */
  layout: '1.x' | '2.x';
  facts: ConfigFacts;
  /** the CRI plugin's own dirs are <containerd root|state>/io.containerd.grpc.v1.cri in every version */
  rootDir?: string;
  stateDir?: string;
}

/** Runtimes as the CRI Status shows them (Go field names: runtimeType, options, snapshotter). */
function statusRuntimes(section: Obj | undefined): Record<string, RuntimeFacts> | undefined {
  const rt = obj(section?.runtimes);
  if (!rt) return undefined;
  const out: Record<string, RuntimeFacts> = {};
  for (const [name, v] of Object.entries(rt)) {
    const r = obj(v);
    if (r) out[name] = drop({ type: nonEmpty(r.runtimeType), options: obj(r.options) ?? {}, snapshotter: str(r.snapshotter) });
  }
  return out;
}

/**
 * The verbose CRI Status `info` (its `config` key is the CRI plugin's config struct as JSON):
 *   1.6/1.7: the whole CRI config: sandboxImage, containerd.snapshotter, containerd.runtimes,
 *            restrictOOMScoreAdj, drainExecSyncIOTimeout (1.7), cni.binDir/confDir,
 *            containerdRootDir, containerdEndpoint, rootDir, stateDir
 *   2.x:     the runtime half only (io.containerd.cri.v1.runtime): no sandbox image and no
 *            snapshotter (they are the image service's and Status does not show them);
 *            cni.binDirs; the rest as in 1.x
 * Undefined when the info has no config (not containerd's CRI plugin, or not verbose).
 */
export function readCriStatusShape(info: Obj | undefined): CriStatusShape | undefined {
  const cfg = obj(info?.config);
  if (!cfg) return undefined;
  const layout: CriStatusShape['layout'] = 'sandboxImage' in cfg || 'registry' in cfg ? '1.x' : '2.x';
  const section = obj(cfg.containerd);
  const cni = obj(cfg.cni);
  const abs = (v: unknown) => (typeof v === 'string' && v.startsWith('/') ? v : undefined);
  const pluginParent = (v: unknown) => {
    const p = abs(v);
    return p?.endsWith(`/${PLUGIN_ID.criGrpc}`) ? p.slice(0, -PLUGIN_ID.criGrpc.length - 1) : undefined;
  };
  const binDirs = [...(strings(cni?.binDirs) ?? []), ...(nonEmpty(cni?.binDir) ? [cni!.binDir as string] : [])];
  const f: ConfigFacts = {
    root: abs(cfg.containerdRootDir) ?? pluginParent(cfg.rootDir),
    state: pluginParent(cfg.stateDir),
    grpcAddress: abs(cfg.containerdEndpoint),
    sandboxImage: layout === '1.x' ? str(cfg.sandboxImage) : undefined,
    snapshotter: layout === '1.x' ? str(section?.snapshotter) : undefined,
    restrictOomScoreAdj: bool(cfg.restrictOOMScoreAdj),
    drainExecSyncIoTimeout: str(cfg.drainExecSyncIOTimeout),
    runtimes: statusRuntimes(section),
    cniBinDirs: cni ? binDirs : undefined,
    cniConfDir: nonEmpty(cni?.confDir),
  };
  return drop({ layout, facts: withDefaultRuntime(f, nonEmpty(section?.defaultRuntimeName)), rootDir: abs(cfg.rootDir), stateDir: abs(cfg.stateDir) });
}

/**
 * The sandbox image the running CRI plugin uses, as far as CRI tells it. 1.x shows it in its
 * Status (sandboxImage). 2.x does not (it is the image service's setting); ListImages marks
 * `pinned: true` the images that were the configured sandbox image (pinned_images) when they were
 * pulled or imported, and the mark stays when the config later names another (seen on 2.1.9: after
 * a restart with another sandbox image the old one is still pinned): candidates, not the answer.
 * `images` is ListImages' answer, needed for the 2.x layout only; undefined when the Status has no
 * config (not containerd's CRI plugin, or not verbose).
 */
export function runningSandboxImage(status: CriStatusShape | undefined, images?: readonly { repoTags: string[]; pinned?: boolean }[]): SandboxImageView | undefined {
  if (!status) return undefined;
  if (status.layout === '1.x') return drop({ image: status.facts.sandboxImage, from: 'cri-status' as const });
  if (!images) return undefined;
  return { from: 'pinned-image', pinned: images.filter((i) => i.pinned).flatMap((i) => i.repoTags) };
}

/** A runtime's keys in the shape's dotted form: runtimes.<name>.type, .options.<Opt>, .snapshotter. */
function flattenFacts(f: ConfigFacts): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(f)) {
    if (v === undefined || k === 'configVersion') continue;
    if (k === 'runtimes') {
      for (const [name, r] of Object.entries(v as Record<string, RuntimeFacts>)) {
        if (r.type !== undefined) out.set(`runtimes.${name}.type`, JSON.stringify(r.type));
        if (r.snapshotter !== undefined) out.set(`runtimes.${name}.snapshotter`, JSON.stringify(r.snapshotter));
        for (const [o, ov] of Object.entries(r.options)) out.set(`runtimes.${name}.options.${o}`, JSON.stringify(ov));
      }
    } else {
      out.set(k, JSON.stringify(v));
    }
  }
  return out;
}

const zeroValues = new Set(['""', 'false', '0', '[]', '{}']);

/**
 * Where two flattened documents differ, key by key (JSON-encoded values). containerd reads an
 * absent key as Go's zero value: absent and zero count as equal.
 */
export function diffFlat(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): ConfigFactDiff[] {
  const out: ConfigFactDiff[] = [];
  for (const key of new Set([...a.keys(), ...b.keys()])) {
    const d = a.get(key);
    const v = b.get(key);
    if (d === v) continue;
    if ((d === undefined && zeroValues.has(v!)) || (v === undefined && zeroValues.has(d!))) continue;
    out.push(drop({ key, default: d, actual: v }));
  }
  return out.sort((x, y) => compareText(x.key, y.key));
}

/** Where two shapes differ. Both from one binary (`config dump` against `config default`), the keys are the same on a v2 and a v3 config. */
export function diffConfigShapes(defaults: ConfigFacts, actual: ConfigFacts): ConfigFactDiff[] {
  return diffFlat(flattenFacts(defaults), flattenFacts(actual));
}

/**
 * A shape key as the version's config.toml spells it, for a person to find it:
 * sandboxImage is `sandbox_image` in a version 2 file and `pinned_images.sandbox` in a version 3.
 */
export function configKeyName(key: string, configVersion: number | undefined): string {
  const v3 = (configVersion ?? 2) >= 3;
  const names: Record<string, string> = {
    sandboxImage: v3 ? `[plugins.'${PLUGIN_ID.criImages}'] pinned_images.sandbox` : 'sandbox_image',
    snapshotter: v3 ? `[plugins.'${PLUGIN_ID.criImages}'] snapshotter` : 'containerd.snapshotter',
    systemdCgroup: 'SystemdCgroup',
    runcBinaryName: 'BinaryName',
    runcRoot: 'runc options Root',
    restrictOomScoreAdj: 'restrict_oom_score_adj',
    drainExecSyncIoTimeout: 'drain_exec_sync_io_timeout',
    metricsAddress: '[metrics] address',
    debugAddress: '[debug] address',
    debugLevel: '[debug] level',
    disabledPlugins: 'disabled_plugins',
    cniBinDirs: v3 ? 'cni.bin_dirs' : 'cni.bin_dir',
    cniConfDir: 'cni.conf_dir',
    grpcAddress: '[grpc] address',
    registryConfigDirs: v3 ? `[plugins.'${PLUGIN_ID.criImages}'] registry.config_path (and [plugins.'${PLUGIN_ID.transfer}'] config_path)` : 'registry.config_path',
  };
  return names[key] ?? key;
}

/** `plugins."io.containerd.grpc.v1.cri".sandbox_image` → its keys (quoted keys are JSON strings). */
export function splitTomlPath(path: string): string[] {
  const keys: string[] = [];
  let i = 0;
  while (i < path.length) {
    if (path[i] === '"') {
      let j = i + 1;
      while (j < path.length && path[j] !== '"') j += path[j] === '\\' ? 2 : 1;
      try {
        keys.push(JSON.parse(path.slice(i, j + 1)) as string);
      } catch {
        keys.push(path.slice(i + 1, j));
      }
      i = j + 1;
    } else {
      const j = path.indexOf('.', i);
      keys.push(path.slice(i, j < 0 ? path.length : j));
      i = j < 0 ? path.length : j;
    }
    if (path[i] === '.') i++;
  }
  return keys;
}

/**
 * The shape's difference rebuilt from raw TOML diff entries alone (a Snapshot from a ctrdoc that
 * did not record factsDiff): each side's differing values put back at their paths and read.
 */
export function factsDiffOfRawDiff(diff: { path: string; default?: string; actual?: string }[], version: number | undefined): ConfigFactDiff[] {
  const sides: [Obj, Obj] = [{ version: version ?? 2 }, { version: version ?? 2 }];
  for (const d of diff) {
    const keys = splitTomlPath(d.path);
    [d.default, d.actual].forEach((v, side) => {
      if (v === undefined) return;
      let t = sides[side];
      for (const k of keys.slice(0, -1)) t = (obj(t[k]) ?? (t[k] = {})) as Obj;
      try {
        t[keys[keys.length - 1]] = JSON.parse(v);
      } catch {
        // not JSON: not a value this shape reads
      }
    });
  }
  return diffConfigShapes(readConfigShape(sides[0]), readConfigShape(sides[1]));
}

function drop<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}
