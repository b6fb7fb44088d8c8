// One resolution of the stack, done once before any command runs (as crictl fills its one
// config before any subcommand): each value from the first layer that names it, with where it
// came from:
//   1. flags   2. env (CONTAINER_RUNTIME_ENDPOINT)   3. /etc/crictl.yaml
//   4. the running containerd: its command line, then its config (read into layout.ts's shape)
//   5. containerd's defaults
// With several containerd daemons (Docker's beside Kubernetes', k3s's beside a system one, an
// old and a new one mid-upgrade) it takes, in this order: the one kubelet's runtime endpoint
// names; else the one that serves CRI; else the one on the default socket; and says which, the
// others, and how to pick another. Never "not running" while one runs.
// Light by need: a `cri` command whose endpoint a flag, env or crictl.yaml names reads no /proc
// and parses no TOML or YAML; when it must find the daemon it reads only the argv of processes
// named containerd or kubelet, and a config only when the argv does not name the socket.
import { join } from 'node:path';
import type { ContainerdDaemonRef, DaemonChoice, LocationSource, StackLocation } from '../snapshot/types/index.ts';
import { DEFAULT_ENDPOINT, namedEndpoint } from '../sources/cri/endpoint.ts';
import { toEndpoint, unixPathOf } from '../sources/protocol/endpoint.ts';
import { CONTAINERD_DEFAULTS } from '../sources/containerd/layout.ts';
import type { ContainerdDaemon, ProcessArgv } from '../sources/containerd/discover.ts';

export interface StackFlags {
  'runtime-endpoint'?: string;
  address?: string;
  namespace?: string;
  'runc-root'?: string;
  'debug-address'?: string;
  'containerd-config'?: string;
  'containerd-log'?: string;
  'kubelet-log'?: string;
  /** the kubelet whose runtime endpoint chooses among several daemons (default: any running) */
  'kubelet-pid'?: string;
}

export interface ResolveOptions {
  /** each call's deadline, recorded in the stack (default 2 s) */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /**
   * 'endpoint': what a `cri` command needs (stop once the endpoint is known; the daemon's
   * config is read only to learn its socket). 'stack' (default): every value.
   */
  need?: 'endpoint' | 'stack';
  /** processes a /proc scan already read (pid, comm, argv); else a light pass finds them */
  processes?: readonly ProcessArgv[];
  procRoot?: string;
  crictlConfig?: string;
  /** does this endpoint answer CRI Version within ms? (asked only to choose among several daemons) */
  answersCri?: (endpoint: string, ms: number) => Promise<boolean>;
}

interface Choice {
  daemon?: ContainerdDaemon;
  why?: string;
  choice?: DaemonChoice;
  notes: string[];
}

const refOf = (d: ContainerdDaemon, servesCri?: boolean): ContainerdDaemonRef => ({
  pid: d.pid, address: d.address, configPath: d.configPath, ...(servesCri !== undefined ? { servesCri } : d.criDisabled ? { servesCri: false } : {}),
});

const pickText = (others: ContainerdDaemon[]): string =>
  `to use another, give its socket: --runtime-endpoint ${toEndpoint(others[0]?.address ?? CONTAINERD_DEFAULTS.socket)} (cri commands) or --address ${others[0]?.address ?? CONTAINERD_DEFAULTS.socket} (the others too)`;

async function defaultAnswersCri(endpoint: string, ms: number): Promise<boolean> {
  const { openCri } = await import('../sources/cri/client.ts');
  const c = openCri(endpoint, { timeoutMs: ms });
  try {
    await c.version();
    return true;
  } catch {
    return false;
  } finally {
    c.close();
  }
}

/** Which daemon kubelet's runtime endpoint names, if a running kubelet names one of them. */
async function byKubelet(daemons: ContainerdDaemon[], processes: readonly ProcessArgv[], procRoot?: string, onlyPid?: number): Promise<{ daemon: ContainerdDaemon; why: string } | undefined> {
  const { findKubeletProcesses, kubeletsOf, kubeletRuntimeEndpoint } = await import('../sources/kubelet/process.ts');
  // the processes given may hold only the stack's argv (a light pass): then every argv is read
  // once here, for a kubelet renamed by `exec -a` as well
  const known = kubeletsOf(processes);
  const kubelets = (known.length ? known : findKubeletProcesses(procRoot)).filter((k) => onlyPid === undefined || k.pid === onlyPid);
  const hits = new Map<number, { daemon: ContainerdDaemon; why: string }>();
  for (const k of kubelets) {
    const named = await kubeletRuntimeEndpoint(k);
    const path = named && unixPathOf(named.endpoint);
    const d = path ? daemons.find((x) => x.address === path) : undefined;
    if (d && !hits.has(d.pid)) hits.set(d.pid, { daemon: d, why: `kubelet's runtime endpoint (${named!.from})` });
  }
  // two kubelets naming two daemons is no answer: fall through to the next test
  return hits.size === 1 ? [...hits.values()][0] : undefined;
}

/** The daemons that serve CRI: their config does not disable it, and (when still several) they answer. */
async function criServing(daemons: ContainerdDaemon[], o: ResolveOptions, ms: number): Promise<{ serving: ContainerdDaemon[]; asked: Map<number, boolean> }> {
  const { loadDaemonConfig } = await import('../sources/containerd/discover.ts');
  await Promise.all(daemons.map((d) => loadDaemonConfig(d)));
  const enabled = daemons.filter((d) => !d.criDisabled);
  const asked = new Map<number, boolean>();
  if (enabled.length <= 1) return { serving: enabled, asked };
  const ask = o.answersCri ?? defaultAnswersCri;
  const answers = await Promise.all(enabled.map((d) => ask(toEndpoint(d.address), ms).catch(() => false)));
  enabled.forEach((d, i) => asked.set(d.pid, answers[i]));
  return { serving: enabled.filter((_, i) => answers[i]), asked };
}

/** Chooses among the daemons when nothing names a socket. */
async function chooseDaemon(daemons: ContainerdDaemon[], processes: readonly ProcessArgv[], flags: StackFlags, o: ResolveOptions, ms: number): Promise<Choice> {
  if (!daemons.length) return { notes: ['no running containerd found: using the default paths'] };
  if (daemons.length === 1) return { daemon: daemons[0], why: 'the only containerd running', notes: [] };
  const kubeletPid = flags['kubelet-pid'] ? Number(flags['kubelet-pid']) : undefined;
  let pick: { daemon: ContainerdDaemon; why: string } | undefined = await byKubelet(daemons, processes, o.procRoot, kubeletPid);
  let asked = new Map<number, boolean>();
  if (!pick) {
    const cri = await criServing(daemons, o, ms);
    asked = cri.asked;
    const pool = cri.serving.length ? cri.serving : daemons;
    if (cri.serving.length === 1) pick = { daemon: cri.serving[0], why: 'the only one that serves CRI' };
    else {
      const onDefault = pool.find((d) => d.address === CONTAINERD_DEFAULTS.socket);
      pick = onDefault
        ? { daemon: onDefault, why: `the one on the default socket${cri.serving.length ? `, of ${cri.serving.length} that serve CRI` : ''}` }
        : { daemon: pool[0], why: `the first (lowest pid) of ${pool.length}${cri.serving.length ? ' that serve CRI' : ''}: none is named by kubelet or on the default socket` };
    }
  }
  const others = daemons.filter((d) => d !== pick!.daemon);
  const choice: DaemonChoice = {
    chosen: { ...refOf(pick.daemon, asked.get(pick.daemon.pid)), why: pick.why },
    others: others.map((d) => refOf(d, asked.get(d.pid))),
    pick: pickText(others),
  };
  return {
    ...pick,
    choice,
    notes: [`${daemons.length} containerd daemons run here; using pid ${pick.daemon.pid} at ${pick.daemon.address} (${pick.why}); ` +
      `others: ${others.map((d) => `pid ${d.pid} at ${d.address}`).join(', ')}; ${choice.pick}`],
  };
}

/** The daemon serving the socket a flag, env or crictl.yaml named. */
function daemonServing(daemons: ContainerdDaemon[], path: string, how: string): Choice {
  const d = daemons.find((x) => x.address === path);
  if (d) return { daemon: d, why: `serves ${path} (${how})`, notes: [] };
  if (!daemons.length) return { notes: [`no running containerd found (${how} names ${path})`] };
  const choice: DaemonChoice = { others: daemons.map((x) => refOf(x)), pick: pickText(daemons) };
  // a daemon whose config could not be read may serve it: its socket is then unknown
  const unread = daemons.filter((x) => x.configError && x.addressFrom === 'default').map((x) => `containerd ${x.pid}: ${x.configError} (its socket is unknown: it may serve ${path})`);
  return {
    choice,
    notes: [`no running containerd serves ${path} (${how}); running: ${daemons.map((x) => `pid ${x.pid} at ${x.address}`).join(', ')}; ${choice.pick}`, ...unread],
  };
}

export async function resolveStack(flags: StackFlags, o: ResolveOptions = {}): Promise<StackLocation> {
  const timeoutMs = o.timeoutMs ?? 2000;
  const env = o.env ?? process.env;
  const named = namedEndpoint(flags['runtime-endpoint'], env, o.crictlConfig);
  let c: Choice = { notes: [] };
  // a `cri` command with its endpoint named needs nothing else: no /proc, no config files
  if (!(o.need === 'endpoint' && named)) {
    const { containerdDaemonsOf, findStackDaemons, loadDaemonConfig, withDaemonArgv } = await import('../sources/containerd/discover.ts');
    const processes = o.processes ? withDaemonArgv(o.processes, o.procRoot) : findStackDaemons(o.procRoot);
    const daemons = await containerdDaemonsOf(processes, { procRoot: o.procRoot });
    const wanted = flags.address ?? (named ? unixPathOf(named.endpoint) : undefined);
    c = wanted
      ? daemonServing(daemons, wanted, flags.address ? '--address' : named!.source)
      : await chooseDaemon(daemons, processes, flags, o, Math.min(timeoutMs, 1000));
    if (c.daemon && o.need !== 'endpoint') await loadDaemonConfig(c.daemon);
    if (c.daemon?.configError) c.notes.push(`containerd ${c.daemon.pid}: ${c.daemon.configError}`);
  }
  return locate(flags, named, c, timeoutMs);
}

/** Fills each value from the first layer that has it. */
function locate(flags: StackFlags, named: { endpoint: string; source: LocationSource } | undefined, c: Choice, timeoutMs: number): StackLocation {
  const sources: StackLocation['sources'] = {};
  const pick = <K extends keyof StackLocation>(key: K, ...candidates: [StackLocation[K] | undefined | '', LocationSource][]): StackLocation[K] | undefined => {
    for (const [v, src] of candidates) {
      if (v !== undefined && v !== '') {
        sources[key] = src;
        return v as StackLocation[K];
      }
    }
    return undefined;
  };
  const d = c.daemon;
  const f = d?.facts ?? {};
  const runtimeEndpoint = pick('runtimeEndpoint', [named?.endpoint, named?.source ?? 'default'],
    [d && toEndpoint(d.address), d?.addressFrom ?? 'default'], [DEFAULT_ENDPOINT, 'default'])!;
  const address = pick('address', [flags.address, 'flag'], [d?.address, d?.addressFrom ?? 'default'],
    [unixPathOf(runtimeEndpoint), sources.runtimeEndpoint ?? 'default'], [CONTAINERD_DEFAULTS.socket, 'default'])!;
  const namespace = pick('namespace', [flags.namespace, 'flag'], [CONTAINERD_DEFAULTS.namespace, 'default'])!;
  const stateDir = pick('stateDir', [d?.stateArg, 'containerd cmdline'], [f.state, 'containerd config'], [CONTAINERD_DEFAULTS.state, 'default'])!;
  const rootDir = pick('rootDir', [d?.rootArg, 'containerd cmdline'], [f.root, 'containerd config'], [CONTAINERD_DEFAULTS.root, 'default'])!;
  const runcRoot = pick('runcRoot', [flags['runc-root'], 'flag'], [f.runcRoot && join(f.runcRoot, namespace), 'containerd config'],
    [join(CONTAINERD_DEFAULTS.runcRootBase, namespace), 'default'])!;
  const debugAddress = pick('debugAddress', [flags['debug-address'], 'flag'], [f.debugAddress, 'containerd config']);
  const containerdConfig = pick('containerdConfig', [flags['containerd-config'], 'flag'],
    [d?.configGiven ? d.configPath : undefined, 'containerd cmdline'], [d ? d.configPath : undefined, 'default']);
  const containerdLog = pick('containerdLog', [flags['containerd-log'], 'flag'], [d?.stderrFile, 'containerd stderr']);
  const kubeletLog = pick('kubeletLog', [flags['kubelet-log'], 'flag']);
  const stack: StackLocation = {
    runtimeEndpoint, address, namespace, runcRoot, stateDir, rootDir, debugAddress, containerdConfig, containerdLog, kubeletLog,
    containerdPid: d?.pid, timeoutMs, sources, notes: c.notes,
  };
  if (c.choice) stack.daemons = c.choice;
  for (const k of Object.keys(stack) as (keyof StackLocation)[]) if (stack[k] === undefined) delete stack[k];
  return stack;
}

/** The line to print on stderr when a choice was made among several daemons (or none served). */
export function daemonChoiceNote(stack: StackLocation): string | undefined {
  return stack.daemons ? stack.notes.find((n) => /containerd daemons run here|no running containerd serves/.test(n)) : undefined;
}
