// The containerd daemons running here and what each serves: its command line (one argv parser,
// src/sources/proc/argv.ts), its config file read into the one shape (layout.ts), the file its
// stderr goes to. And the correction the running CRI plugin's verbose Status brings (refineFromCri).
// Which daemon a command talks to is decided once, in src/collect/stack.ts.
import { readFileSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ConfigFacts, LocationSource, StackLocation } from '../../snapshot/types/index.ts';
import { parseContainerdArgs } from '../proc/argv.ts';
import { findByComm } from '../proc/find.ts';
import { CONTAINERD_DEFAULTS, criDisabledBy, readConfigShape, readCriStatusShape } from './layout.ts';

/** A process as a scan (or the light one below) read it. */
export interface ProcessArgv {
  pid: number;
  comm?: string;
  cmdline: string[];
}

export interface ContainerdDaemon {
  pid: number;
  argv: string[];
  /** the config it reads: --config, else the default path */
  configPath: string;
  /** whether --config named it */
  configGiven: boolean;
  /** the socket it serves: --address, else its config's [grpc] address, else the default */
  address: string;
  addressFrom: LocationSource;
  /** its config in the one shape, when the file was read */
  facts?: ConfigFacts;
  /** why the config could not be read (a missing default file is not an error) */
  configError?: string;
  /** --root and --state from its command line */
  rootArg?: string;
  stateArg?: string;
  /** the regular file its stderr (fd 2) goes to, if any */
  stderrFile?: string;
  /** disabled_plugins switches CRI off (Docker's containerd does) */
  criDisabled?: string;
}

/** Is this argv a containerd daemon (not a shim, ctr, or `containerd config dump`)? */
export function isContainerdDaemonArgv(argv: readonly string[]): boolean {
  return argv.length > 0 && /(^|\/)containerd$/.test(argv[0]) && !parseContainerdArgs(argv).subcommand;
}

/** The file fd 2 of a process points at, when it is a regular file. */
export function stderrFileOf(pid: number, procRoot = '/proc'): string | undefined {
  try {
    const target = readlinkSync(join(procRoot, String(pid), 'fd', '2'));
    if (target.startsWith('/') && statSync(target).isFile()) return target;
  } catch {
    // no access or gone: leave it unknown
  }
  return undefined;
}

/** A containerd config.toml (any version) in the one shape. The TOML library is loaded here only. */
export async function readConfigFacts(path: string): Promise<ConfigFacts> {
  const { parse } = await import('smol-toml');
  return readConfigShape(parse(readFileSync(path, 'utf8')) as Record<string, unknown>);
}

export interface DaemonOptions {
  procRoot?: string;
}

/**
 * The processes, with the argv of containerd's and kubelet's read where the scan left it empty
 * (a scan of the stack's argv only does not read kubelet's).
 */
export function withDaemonArgv(processes: readonly ProcessArgv[], procRoot = '/proc'): ProcessArgv[] {
  return processes.map((p) => {
    if (p.cmdline.length || (p.comm !== 'containerd' && p.comm !== 'kubelet')) return p;
    try {
      return { ...p, cmdline: readFileSync(join(procRoot, String(p.pid), 'cmdline'), 'latin1').split('\0').filter(Boolean) };
    } catch {
      return p; // gone, or a zombie
    }
  });
}

/** The containerd daemons among these processes, each with what it serves. */
export async function containerdDaemonsOf(processes: readonly ProcessArgv[], o: DaemonOptions = {}): Promise<ContainerdDaemon[]> {
  const out: ContainerdDaemon[] = [];
  for (const p of processes) {
    if (!isContainerdDaemonArgv(p.cmdline)) continue;
    const a = parseContainerdArgs(p.cmdline);
    const d: ContainerdDaemon = {
      pid: p.pid,
      argv: p.cmdline,
      configPath: a.config ?? CONTAINERD_DEFAULTS.config,
      configGiven: !!a.config,
      address: a.address ?? CONTAINERD_DEFAULTS.socket,
      addressFrom: a.address ? 'containerd cmdline' : 'default',
    };
    if (a.root) d.rootArg = a.root;
    if (a.state) d.stateArg = a.state;
    // its config is read here only when its argv does not name its socket (loadDaemonConfig later, when needed)
    if (!a.address) await loadDaemonConfig(d);
    const stderr = stderrFileOf(p.pid, o.procRoot);
    if (stderr) d.stderrFile = stderr;
    out.push(d);
  }
  return out.sort((x, y) => x.pid - y.pid);
}

/** Reads a daemon's config into it (once): its facts, the socket it names, whether CRI is off. */
export async function loadDaemonConfig(d: ContainerdDaemon): Promise<ContainerdDaemon> {
  if (d.facts || d.configError !== undefined) return d;
  try {
    d.facts = await readConfigFacts(d.configPath);
    if (d.addressFrom === 'default' && d.facts.grpcAddress) {
      d.address = d.facts.grpcAddress;
      d.addressFrom = 'containerd config';
    }
    const off = criDisabledBy(d.facts.disabledPlugins);
    if (off) d.criDisabled = off;
  } catch (err) {
    // no config at the default path is containerd's own default: nothing to say
    d.facts = {};
    if (d.configGiven || (err as NodeJS.ErrnoException).code !== 'ENOENT') d.configError = `could not read its config ${d.configPath}: ${(err as Error).message.split('\n')[0]}`;
  }
  return d;
}

/**
 * A light pass over /proc for commands that did not scan it: the argv of processes named
 * containerd only, so a `cri` command that must find the running containerd does not pay for a
 * whole scan (kubelet is looked for only when several daemons run).
 */
export function findStackDaemons(procRoot = '/proc'): ProcessArgv[] {
  return findByComm(new Set(['containerd']), procRoot);
}

/**
 * The stack with its root, state and runc dirs as the running CRI plugin reports them, where no
 * flag set them: what containerd runs with beats a config file ctrdoc could not read, one
 * whose imports it does not follow, or the standard paths. Says what it changed in the notes.
 */
export function refineFromCri(stack: StackLocation, info: Record<string, unknown> | undefined): StackLocation {
  const cri = readCriStatusShape(info)?.facts;
  const out: StackLocation = { ...stack, sources: { ...stack.sources }, notes: [...stack.notes] };
  if (!cri) return out;
  const set = (key: 'rootDir' | 'stateDir' | 'runcRoot', value: string | undefined) => {
    if (!value || value === stack[key] || stack.sources[key] === 'flag') return;
    out.notes.push(`${key} ${value}: from the running CRI plugin (${stack.sources[key] ?? 'default'} said ${stack[key]})`);
    out[key] = value;
    out.sources[key] = 'cri status';
  };
  set('rootDir', cri.root);
  set('stateDir', cri.state);
  set('runcRoot', cri.runcRoot && join(cri.runcRoot, stack.namespace));
  return out;
}
