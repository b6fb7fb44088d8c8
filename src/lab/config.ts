// The lab's containerd config: `containerd config default` of the very binary the lab runs,
// in that binary's own format (`version = 2` for 1.x, `version = 3` for 2.x, where the CRI
// plugin is split in a runtime and an images half), with the lab's own paths and the few
// settings this machine needs. The default is kept beside it (config.default.toml) so a drift
// diff compares like with like.
import { execFileSync } from 'node:child_process';
import { parse, stringify } from 'smol-toml';
import { CtrdocError } from '../errors.ts';
import { PLUGIN_ID, RUNC_RUNTIME_TYPE } from '../sources/containerd/layout.ts';
import type { LabPaths } from './paths.ts';
import { PAUSE_IMAGE } from './images.ts';

/** Settings that differ from the lab's healthy config (the bad-config and deadlock faults use them). */
export interface ConfigDrift {
  systemdCgroup?: boolean;
  metricsAddress?: string;
  sandboxImage?: string;
  debugLevel?: string;
  /** The runc runtime's BinaryName (a wrapper around runc). */
  runtimeBinary?: string;
}

export function defaultConfigText(bin: string): string {
  try {
    return execFileSync(bin, ['config', 'default'], { encoding: 'utf8', timeout: 10_000 });
  } catch (err) {
    throw new CtrdocError('not-found', `cannot run "${bin} config default": ${(err as Error).message}`, 'bash scripts/setup.sh, or ctrdoc lab prepare --containerd VERSION');
  }
}

type Table = Record<string, unknown>;

function table(parent: Table, ...keys: string[]): Table {
  let t = parent;
  for (const k of keys) {
    if (typeof t[k] !== 'object' || t[k] === null || Array.isArray(t[k])) t[k] = {};
    t = t[k] as Table;
  }
  return t;
}

/** The format of a config text: its top-level `version` (1 when absent, as containerd reads it). */
export function configVersionOfText(cfg: Table): number {
  return typeof cfg.version === 'number' ? cfg.version : 1;
}

/** The runc runtime's table: where the runtimes are, under the given CRI (runtime) plugin table. */
function runcRuntime(cri: Table, p: LabPaths, drift: ConfigDrift): void {
  const runc = table(cri, 'containerd', 'runtimes', 'runc');
  runc.runtime_type = RUNC_RUNTIME_TYPE;
  const opts = table(runc, 'options');
  Object.assign(opts, { Root: p.runcRootBase, SystemdCgroup: drift.systemdCgroup ?? false });
  if (drift.runtimeBinary) opts.BinaryName = drift.runtimeBinary;
}

/** 1.x (`version = 2`): one CRI plugin holds runtimes, CNI, the sandbox image and the stream server. */
function criV2(plugins: Table, p: LabPaths, drift: ConfigDrift): void {
  const cri = table(plugins, PLUGIN_ID.criGrpc);
  Object.assign(cri, {
    sandbox_image: drift.sandboxImage ?? PAUSE_IMAGE,
    // root here lacks CAP_SYS_RESOURCE: containers may not lower their oom_score_adj below ours.
    restrict_oom_score_adj: true,
  });
  Object.assign(table(cri, 'cni'), { conf_dir: p.cniConfDir, bin_dir: p.cniBinDir });
  runcRuntime(cri, p, drift);
}

/** 2.x (`version = 3`): runtimes and CNI in the runtime half, the sandbox image in the images half. */
function criV3(plugins: Table, p: LabPaths, drift: ConfigDrift): void {
  const runtime = table(plugins, PLUGIN_ID.criRuntime);
  runtime.restrict_oom_score_adj = true;
  // 2.1 reads bin_dirs (a list); its deprecated bin_dir stays as the default wrote it
  Object.assign(table(runtime, 'cni'), { conf_dir: p.cniConfDir, bin_dirs: [p.cniBinDir] });
  runcRuntime(runtime, p, drift);
  const images = table(plugins, PLUGIN_ID.criImages);
  table(images, 'pinned_images').sandbox = drift.sandboxImage ?? PAUSE_IMAGE;
}

/**
 * A plugin that listens on a machine-wide socket (2.x's NRI: /var/run/nri/nri.sock) gets one in
 * the lab dir instead: two labs, or a lab and the node's containerd, must not take each other's.
 */
function relocateSockets(plugins: Table, p: LabPaths): void {
  for (const [, t] of Object.entries(plugins)) {
    if (t && typeof t === 'object' && typeof (t as Table).socket_path === 'string' && (t as Table).socket_path) {
      const name = String((t as Table).socket_path).split('/').pop();
      (t as Table).socket_path = `${p.dir}/${name}`;
    }
  }
}

/** Renders the lab's config.toml from the binary's default config text, in the same format. */
export function labConfigText(p: LabPaths, defaultText: string, drift: ConfigDrift = {}): string {
  let cfg: Table;
  try {
    cfg = parse(defaultText) as Table;
  } catch (err) {
    throw new CtrdocError('invalid-argument', `containerd's default config does not parse as TOML: ${(err as Error).message}`, 'check `containerd config default`');
  }
  const format = configVersionOfText(cfg);
  if (format !== 2 && format !== 3) throw new CtrdocError('unimplemented', `containerd's default config is version ${format}; the lab writes versions 2 and 3`);
  cfg.root = p.root;
  cfg.state = p.state;
  Object.assign(table(cfg, 'grpc'), { address: p.socket });
  Object.assign(table(cfg, 'debug'), { address: p.debugSocket, level: drift.debugLevel ?? 'debug' });
  Object.assign(table(cfg, 'metrics'), { address: drift.metricsAddress ?? '' });
  Object.assign(table(cfg, 'cgroup'), { path: `/${p.cgroupParent}/containerd` });
  const plugins = table(cfg, 'plugins');
  relocateSockets(plugins, p);
  if (format === 2) criV2(plugins, p, drift);
  else criV3(plugins, p, drift);
  Object.assign(table(plugins, PLUGIN_ID.opt), { path: `${p.dir}/opt` });
  return `# ctrdoc lab config for ${p.dir} (generated; the binary's default is config.default.toml)\n` + stringify(cfg) + '\n';
}

/** A config that does not load (the bad-config fault's broken variant), in the binary's own format. */
export function brokenConfigText(defaultText: string): string {
  let format = 2;
  try { format = configVersionOfText(parse(defaultText) as Table); } catch { /* keep 2 */ }
  return `# ctrdoc lab bad-config (broken): this file does not load\nversion = ${format}\n[plugins."${PLUGIN_ID.criGrpc}"\n  disable_tcp_service = true\n`;
}
