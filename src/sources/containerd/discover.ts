// Finds where the stack lives: flags first, then the environment and /etc/crictl.yaml (as
// crictl does), then the running containerd itself (its command line, its --config, the file
// its stderr goes to), then the standard paths. Reads only; every file read is small.
// refineFromCri() then corrects the dirs with what the running CRI plugin says it uses.
import { readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import type { LocationSource, StackLocation } from '../../snapshot/types/index.ts';
import { crictlEndpoint, DEFAULT_ENDPOINT } from '../cri/endpoint.ts';

export { criEndpoint, DEFAULT_ENDPOINT } from '../cri/endpoint.ts';

export interface StackFlags {
  'runtime-endpoint'?: string;
  address?: string;
  namespace?: string;
  'runc-root'?: string;
  'debug-address'?: string;
  'containerd-config'?: string;
  'containerd-log'?: string;
  'kubelet-log'?: string;
}

const DEFAULT_CONFIG = '/etc/containerd/config.toml';

export interface ContainerdProcess {
  pid: number;
  argv: string[];
  configPath?: string;
  /** --address from the command line */
  address?: string;
  /** regular file that fd 2 points at, if any */
  stderrFile?: string;
}

/** The containerd process behind one /proc entry: its flags and the file its stderr goes to. */
export function containerdProcessOf(pid: number, argv: string[], procRoot = '/proc'): ContainerdProcess | undefined {
  if (!argv.length || !/(^|\/)containerd$/.test(argv[0])) return undefined;
  const p: ContainerdProcess = { pid, argv };
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    const val = (flag: string[]) => {
      for (const f of flag) {
        if (a === f) return argv[i + 1];
        if (a.startsWith(f + '=')) return a.slice(f.length + 1);
      }
      return undefined;
    };
    p.configPath ??= val(['--config', '-c']);
    p.address ??= val(['--address', '-a']);
  }
  try {
    const target = readlinkSync(join(procRoot, String(pid), 'fd', '2'));
    if (target.startsWith('/') && statSync(target).isFile()) p.stderrFile = target;
  } catch {
    // no access or gone: leave it unknown
  }
  return p;
}

/**
 * containerd processes on this node (the daemon, not shims or ctr). Give it the processes a
 * scan already read (pid + argv) to spare a second pass over /proc.
 */
export function findContainerdProcesses(procRoot = '/proc', scanned?: { pid: number; cmdline: string[] }[]): ContainerdProcess[] {
  if (scanned) return scanned.map((x) => containerdProcessOf(x.pid, x.cmdline, procRoot)).filter((p): p is ContainerdProcess => !!p);
  const found: ContainerdProcess[] = [];
  let entries: string[];
  try {
    entries = readdirSync(procRoot);
  } catch {
    return found;
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    let argv: string[];
    try {
      argv = readFileSync(join(procRoot, name, 'cmdline'), 'latin1').split('\0').filter(Boolean);
    } catch {
      continue; // gone between readdir and read
    }
    const p = containerdProcessOf(Number(name), argv, procRoot);
    if (p) found.push(p);
  }
  return found;
}

export interface ContainerdConfigFacts {
  address?: string;
  debugAddress?: string;
  root?: string;
  state?: string;
  runcRootBase?: string;
}

/** The facts discovery needs from a containerd config.toml (version 2 or 3). */
export function configFacts(toml: string): ContainerdConfigFacts {
  const doc = parseToml(toml) as Record<string, any>;
  const plugins = (doc.plugins ?? {}) as Record<string, any>;
  const cri = plugins['io.containerd.grpc.v1.cri'] ?? plugins['io.containerd.cri.v1.runtime'] ?? {};
  const runtimes = cri.containerd?.runtimes ?? {};
  const def = cri.containerd?.default_runtime_name ?? 'runc';
  const runc = runtimes[def] ?? runtimes.runc;
  return {
    address: doc.grpc?.address || undefined,
    debugAddress: doc.debug?.address || undefined,
    root: doc.root || undefined,
    state: doc.state || undefined,
    runcRootBase: runc?.options?.Root || undefined,
  };
}

function endpointPath(endpoint: string): string {
  return endpoint.startsWith('unix://') ? endpoint.slice(7) : endpoint;
}

export function resolveStack(flags: StackFlags, timeoutMs: number, env: NodeJS.ProcessEnv = process.env, scanned?: { pid: number; cmdline: string[] }[]): StackLocation {
  const sources: StackLocation['sources'] = {};
  const notes: string[] = [];
  const pick = <K extends keyof StackLocation>(key: K, ...candidates: [StackLocation[K] | undefined, LocationSource][]): StackLocation[K] | undefined => {
    for (const [v, src] of candidates) {
      if (v !== undefined && v !== '') {
        sources[key] = src;
        return v;
      }
    }
    return undefined;
  };

  let endpoint = pick('runtimeEndpoint',
    [flags['runtime-endpoint'], 'flag'],
    [env.CONTAINER_RUNTIME_ENDPOINT, 'env'],
    [crictlEndpoint(), 'crictl.yaml']);
  const explicitAddress = flags.address;

  // The containerd process that serves the endpoint (or the address) we were given.
  const procs = findContainerdProcesses('/proc', scanned);
  const facts = new Map<number, ContainerdConfigFacts>();
  for (const p of procs) {
    const cfg = p.configPath ?? DEFAULT_CONFIG;
    try {
      facts.set(p.pid, configFacts(readFileSync(cfg, 'utf8')));
    } catch (err) {
      if (p.configPath) notes.push(`containerd ${p.pid}: could not read its config ${cfg}: ${(err as Error).message}`);
      facts.set(p.pid, {});
    }
  }
  const servedAddress = (p: ContainerdProcess) => p.address ?? facts.get(p.pid)?.address ?? '/run/containerd/containerd.sock';
  const wanted = explicitAddress ?? (endpoint ? endpointPath(endpoint) : undefined);
  let proc = wanted ? procs.find((p) => servedAddress(p) === wanted) : undefined;
  if (!proc && !wanted) proc = procs.find((p) => servedAddress(p) === '/run/containerd/containerd.sock') ?? (procs.length === 1 ? procs[0] : undefined);
  if (!proc && procs.length > 1 && !wanted) notes.push(`${procs.length} containerd processes run here; pass --runtime-endpoint to choose one`);
  const f = proc ? facts.get(proc.pid)! : {};
  if (!proc) notes.push(wanted ? `no running containerd serves ${wanted}` : 'no running containerd found');

  endpoint ??= pick('runtimeEndpoint',
    [proc?.address && `unix://${proc.address}`, 'containerd cmdline'],
    [f.address && `unix://${f.address}`, 'containerd config'],
    [DEFAULT_ENDPOINT, 'default'])!;
  const address = pick('address', [explicitAddress, 'flag'], [proc?.address, 'containerd cmdline'], [f.address, 'containerd config'],
    [endpointPath(endpoint), sources.runtimeEndpoint ?? 'default'])!;
  const namespace = pick('namespace', [flags.namespace, 'flag'], ['k8s.io', 'default'])!;
  const stateDir = pick('stateDir', [f.state, 'containerd config'], ['/run/containerd', 'default'])!;
  const rootDir = pick('rootDir', [f.root, 'containerd config'], ['/var/lib/containerd', 'default'])!;
  const runcRoot = pick('runcRoot', [flags['runc-root'], 'flag'],
    [f.runcRootBase && join(f.runcRootBase, namespace), 'containerd config'],
    [join('/run/containerd/runc', namespace), 'default'])!;
  const debugAddress = pick('debugAddress', [flags['debug-address'], 'flag'], [f.debugAddress, 'containerd config']);
  const containerdConfig = pick('containerdConfig', [flags['containerd-config'], 'flag'], [proc?.configPath, 'containerd cmdline'],
    [proc ? DEFAULT_CONFIG : undefined, 'default']);
  const containerdLog = pick('containerdLog', [flags['containerd-log'], 'flag'], [proc?.stderrFile, 'containerd stderr']);
  const kubeletLog = pick('kubeletLog', [flags['kubelet-log'], 'flag']);
  return {
    runtimeEndpoint: endpoint,
    address,
    namespace,
    runcRoot,
    stateDir,
    rootDir,
    debugAddress,
    containerdConfig,
    containerdLog,
    kubeletLog,
    containerdPid: proc?.pid,
    timeoutMs,
    sources,
    notes,
  };
}

/** The dirs the running CRI plugin reports in its verbose Status (info.config), 1.6/1.7 names. */
export function criLocations(info: Record<string, unknown> | undefined): { rootDir?: string; stateDir?: string; runcRootBase?: string } {
  const cfg = info?.config as Record<string, any> | undefined;
  if (!cfg || typeof cfg !== 'object') return {};
  const str = (v: unknown) => (typeof v === 'string' && v.startsWith('/') ? v : undefined);
  // the CRI plugin's own dirs are <containerd dir>/io.containerd.grpc.v1.cri
  const parent = (v: unknown) => str(v)?.replace(/\/io\.containerd\.grpc\.v1\.cri$/, '');
  const runtimes = cfg.containerd?.runtimes ?? {};
  const runc = runtimes[cfg.containerd?.defaultRuntimeName || 'runc'] ?? runtimes.runc;
  return {
    rootDir: str(cfg.containerdRootDir) ?? parent(cfg.rootDir),
    stateDir: parent(cfg.stateDir),
    runcRootBase: str(runc?.options?.Root),
  };
}

/**
 * The stack with its root, state and runc dirs as the running CRI plugin reports them, where no
 * flag set them: what containerd runs with beats a config file ctrdoc could not read, one
 * whose imports it does not follow, or the standard paths. Says what it changed in the notes.
 */
export function refineFromCri(stack: StackLocation, info: Record<string, unknown> | undefined): StackLocation {
  const cri = criLocations(info);
  const out: StackLocation = { ...stack, sources: { ...stack.sources }, notes: [...stack.notes] };
  const set = (key: 'rootDir' | 'stateDir' | 'runcRoot', value: string | undefined) => {
    if (!value || value === stack[key] || stack.sources[key] === 'flag') return;
    out.notes.push(`${key} ${value}: from the running CRI plugin (${stack.sources[key] ?? 'default'} said ${stack[key]})`);
    out[key] = value;
    out.sources[key] = 'cri status';
  };
  set('rootDir', cri.rootDir);
  set('stateDir', cri.stateDir);
  set('runcRoot', cri.runcRootBase && join(cri.runcRootBase, stack.namespace));
  return out;
}
