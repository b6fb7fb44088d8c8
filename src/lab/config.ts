// The lab's containerd config: `containerd config default` of the installed binary with the
// lab's own paths and the few settings this machine needs. The default is kept beside it
// (config.default.toml) so a drift diff compares like with like.
import { execFileSync } from 'node:child_process';
import { parse, stringify } from 'smol-toml';
import { CtrdocError } from '../errors.ts';
import type { LabPaths } from './paths.ts';
import { PAUSE_IMAGE } from './images.ts';

export const CONTAINERD_BIN = 'containerd';
const CRI = 'io.containerd.grpc.v1.cri';

/** Settings that differ from the lab's healthy config (the bad-config fault uses them). */
export interface ConfigDrift {
  systemdCgroup?: boolean;
  metricsAddress?: string;
  sandboxImage?: string;
  debugLevel?: string;
  /** The runc runtime's BinaryName (a wrapper around runc). */
  runtimeBinary?: string;
}

export function defaultConfigText(bin = CONTAINERD_BIN): string {
  try {
    return execFileSync(bin, ['config', 'default'], { encoding: 'utf8', timeout: 10_000 });
  } catch (err) {
    throw new CtrdocError('not-found', `cannot run "${bin} config default": ${(err as Error).message}`, 'apt-get install -y containerd');
  }
}

type Table = Record<string, unknown>;

function table(parent: Table, ...keys: string[]): Table {
  let t = parent;
  for (const k of keys) {
    if (typeof t[k] !== 'object' || t[k] === null) t[k] = {};
    t = t[k] as Table;
  }
  return t;
}

/** Renders the lab's config.toml from the binary's default config text. */
export function labConfigText(p: LabPaths, defaultText: string, drift: ConfigDrift = {}): string {
  let cfg: Table;
  try {
    cfg = parse(defaultText) as Table;
  } catch (err) {
    throw new CtrdocError('bad-input', `containerd's default config does not parse as TOML: ${(err as Error).message}`, 'check `containerd config default`');
  }
  cfg.root = p.root;
  cfg.state = p.state;
  Object.assign(table(cfg, 'grpc'), { address: p.socket });
  Object.assign(table(cfg, 'debug'), { address: p.debugSocket, level: drift.debugLevel ?? 'debug' });
  Object.assign(table(cfg, 'metrics'), { address: drift.metricsAddress ?? '' });
  Object.assign(table(cfg, 'cgroup'), { path: `/${p.cgroupParent}/containerd` });
  const cri = table(cfg, 'plugins', CRI);
  Object.assign(cri, {
    sandbox_image: drift.sandboxImage ?? PAUSE_IMAGE,
    // root here lacks CAP_SYS_RESOURCE: containers may not lower their oom_score_adj below ours.
    restrict_oom_score_adj: true,
  });
  Object.assign(table(cri, 'cni'), { conf_dir: p.cniConfDir, bin_dir: p.cniBinDir });
  const runc = table(cri, 'containerd', 'runtimes', 'runc');
  runc.runtime_type = 'io.containerd.runc.v2';
  const opts = table(runc, 'options');
  Object.assign(opts, { Root: p.runcRootBase, SystemdCgroup: drift.systemdCgroup ?? false });
  if (drift.runtimeBinary) opts.BinaryName = drift.runtimeBinary;
  Object.assign(table(cfg, 'plugins', 'io.containerd.internal.v1.opt'), { path: `${p.dir}/opt` });
  return `# ctrdoc lab config for ${p.dir} (generated; the binary's default is config.default.toml)\n` + stringify(cfg) + '\n';
}
