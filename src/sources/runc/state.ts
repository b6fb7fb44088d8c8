// runc's state root (`runc --root DIR`): one directory per container with state.json and, between
// `runc create` and `runc start`, exec.fifo. The status is derived the way runc 1.1 does it:
// paused if the freezer says FROZEN; stopped if there is no init pid, the pid's start time differs
// from init_process_start (the pid was reused) or the process is a zombie/dead; created if
// exec.fifo exists; running otherwise. Every problem is a per-container `error`, never a throw.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { RuncContainerState, RuncKubeLabels, RuncRootView, RuncStatus } from '../../snapshot/types/runc.ts';
import { parseStat } from '../proc/parse.ts';
import { readSmall } from '../proc/scan.ts';
import { CONTAINERD_DEFAULTS } from '../containerd/layout.ts';
import { typedEntries, type ListTyped, type TypedEntry } from './list.ts';

/** The default runc root of containerd's k8s.io namespace. */
export const DEFAULT_RUNC_ROOT = `${CONTAINERD_DEFAULTS.runcRootBase}/${CONTAINERD_DEFAULTS.namespace}`;

export interface ParsedRuncState {
  id?: string;
  initPid?: number;
  initStart?: number;
  created?: string;
  rootfs?: string;
  labels: Record<string, string>;
  cgroupPaths: Record<string, string>;
}

/** init_process_start: a number (runc 1.0 wrote it as a string of digits). */
function initStartOf(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  return typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined;
}

/** The config's rootfs and its `key=value` labels. */
function readConfig(config: Record<string, unknown>, out: ParsedRuncState): void {
  if (typeof config.rootfs === 'string') out.rootfs = config.rootfs;
  if (!Array.isArray(config.labels)) return;
  for (const l of config.labels) {
    const eq = typeof l === 'string' ? l.indexOf('=') : -1;
    if (eq > 0) out.labels[(l as string).slice(0, eq)] = (l as string).slice(eq + 1);
  }
}

/** Parses state.json text; throws a message naming what is wrong (the caller turns it into `error`). */
export function parseRuncStateJson(text: string): ParsedRuncState {
  if (!text.trim()) throw new Error('state.json is empty');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`state.json is not valid JSON (truncated or corrupt): ${(err as Error).message}`);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new Error('state.json is not a JSON object');
  const s = raw as Record<string, unknown>;
  const out: ParsedRuncState = { labels: {}, cgroupPaths: {} };
  if (typeof s.id === 'string') out.id = s.id;
  if (typeof s.init_process_pid === 'number' && Number.isInteger(s.init_process_pid)) out.initPid = s.init_process_pid;
  const start = initStartOf(s.init_process_start);
  if (start !== undefined) out.initStart = start;
  if (typeof s.created === 'string') out.created = s.created;
  if (s.config && typeof s.config === 'object') readConfig(s.config as Record<string, unknown>, out);
  if (s.cgroup_paths && typeof s.cgroup_paths === 'object') {
    for (const [k, v] of Object.entries(s.cgroup_paths as Record<string, unknown>)) if (typeof v === 'string') out.cgroupPaths[k] = v;
  }
  if (out.initPid === undefined && out.id === undefined) throw new Error('state.json has neither id nor init_process_pid');
  return out;
}

export function kubeLabelsOf(labels: Record<string, string>): RuncKubeLabels {
  const k: RuncKubeLabels = {};
  const pick = (key: string): string | undefined => labels[key] || undefined;
  k.containerType = pick('io.kubernetes.cri.container-type');
  k.containerName = pick('io.kubernetes.cri.container-name');
  k.sandboxId = pick('io.kubernetes.cri.sandbox-id');
  k.sandboxName = pick('io.kubernetes.cri.sandbox-name');
  k.sandboxNamespace = pick('io.kubernetes.cri.sandbox-namespace');
  k.sandboxUid = pick('io.kubernetes.cri.sandbox-uid');
  for (const key of Object.keys(k) as (keyof RuncKubeLabels)[]) if (k[key] === undefined) delete k[key];
  return k;
}

/** What /proc says about the init pid: null when there is no such process. */
export interface InitProcessView {
  starttime: number;
  state: string;
}

/** runc's status decision, given what was read. Pure. */
export function deriveRuncStatus(input: {
  initPid?: number;
  initStart?: number;
  execFifo: boolean;
  freezer?: string;
  proc: InitProcessView | null;
}): { status: RuncStatus; reason: string; initAlive: boolean } {
  const { initPid, initStart, proc } = input;
  const alive = !!proc && initPid !== undefined && initPid > 0 && proc.starttime === initStart && proc.state !== 'Z' && proc.state !== 'X';
  const frozen = input.freezer !== undefined && /^(FROZEN|1)$/.test(input.freezer.trim());
  if (frozen) return { status: 'paused', reason: `freezer ${input.freezer!.trim()}`, initAlive: alive };
  if (initPid === undefined || initPid <= 0) return { status: 'stopped', reason: 'no init pid in state.json', initAlive: false };
  if (!proc) return { status: 'stopped', reason: `init pid ${initPid} does not exist`, initAlive: false };
  if (initStart !== undefined && proc.starttime !== initStart) {
    return { status: 'stopped', reason: `pid ${initPid} start time ${proc.starttime} != init_process_start ${initStart}: the pid was reused`, initAlive: false };
  }
  if (proc.state === 'Z' || proc.state === 'X') return { status: 'stopped', reason: `init pid ${initPid} is a zombie`, initAlive: false };
  if (input.execFifo) return { status: 'created', reason: 'exec.fifo present: runc start has not run', initAlive: alive };
  return { status: 'running', reason: `init pid ${initPid} alive, no exec.fifo`, initAlive: alive };
}

function readInitProc(procRoot: string, pid: number | undefined): InitProcessView | null {
  if (pid === undefined || pid <= 0) return null;
  try {
    const st = parseStat(readSmall(`${procRoot}/${pid}/stat`));
    return st ? { starttime: st.starttime, state: st.state } : null;
  } catch {
    return null;
  }
}

function readFreezer(cgroupPaths: Record<string, string>): string | undefined {
  const candidates: string[] = [];
  if (cgroupPaths.freezer) candidates.push(join(cgroupPaths.freezer, 'freezer.state'));
  if (cgroupPaths['']) candidates.push(join(cgroupPaths[''], 'cgroup.freeze'));
  for (const path of candidates) {
    try {
      return readSmall(path).trim();
    } catch { /* not on this hierarchy */ }
  }
  return undefined;
}

function errText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'EACCES' || e?.code === 'EPERM') return `permission denied reading ${e.path ?? 'state.json'} (run as root)`;
  if (e?.code === 'ENOENT') return `${e.path ?? 'state.json'} does not exist (container being created or deleted?)`;
  return e?.message ?? String(err);
}

export interface ReadRuncOptions {
  procRoot?: string;
  now?: number;
  /** a /proc scan just taken, by pid: an init found there is judged by its stat (else /proc is read) */
  scanned?: ReadonlyMap<number, InitProcessView>;
  /** the root's typed listing (tests: a filesystem that gives no entry types) */
  listTyped?: ListTyped;
}

/** Reads one container directory. */
export function readRuncContainer(dir: string, id: string, opts: ReadRuncOptions = {}): RuncContainerState {
  const procRoot = opts.procRoot ?? '/proc';
  const now = opts.now ?? Date.now();
  const execFifo = existsSync(join(dir, 'exec.fifo'));
  const base: RuncContainerState = {
    id, dir, status: 'unknown', statusReason: '', labels: {}, kube: {}, cgroupPaths: {}, execFifo, initAlive: false,
  };
  let parsed: ParsedRuncState;
  try {
    parsed = parseRuncStateJson(readSmall(join(dir, 'state.json')));
  } catch (err) {
    base.error = errText(err);
    base.statusReason = 'state.json unreadable';
    return base;
  }
  const out: RuncContainerState = {
    ...base,
    initPid: parsed.initPid,
    initStart: parsed.initStart,
    created: parsed.created,
    rootfs: parsed.rootfs,
    bundle: parsed.labels.bundle,
    labels: parsed.labels,
    kube: kubeLabelsOf(parsed.labels),
    cgroupPaths: parsed.cgroupPaths,
  };
  if (parsed.id !== undefined && parsed.id !== id) out.error = `state.json id "${parsed.id}" differs from its directory name "${id}"`;
  if (parsed.created) {
    const t = Date.parse(parsed.created);
    if (Number.isFinite(t)) out.ageSec = Math.max(0, Math.round((now - t) / 100) / 10);
  }
  out.freezer = readFreezer(parsed.cgroupPaths);
  const d = deriveRuncStatus({ initPid: parsed.initPid, initStart: parsed.initStart, execFifo, freezer: out.freezer, proc: (parsed.initPid !== undefined && opts.scanned?.get(parsed.initPid)) || readInitProc(procRoot, parsed.initPid) });
  out.status = d.status;
  out.statusReason = d.reason;
  out.initAlive = d.initAlive;
  for (const k of Object.keys(out) as (keyof RuncContainerState)[]) if (out[k] === undefined) delete out[k];
  return out;
}

/** Reads every container under a runc root. A missing or unreadable root is `error`, not a throw. */
export function readRuncRoot(root: string = DEFAULT_RUNC_ROOT, opts: ReadRuncOptions = {}): RuncRootView {
  const view: RuncRootView = { root, readAt: new Date(opts.now ?? Date.now()).toISOString(), containers: [] };
  let entries: TypedEntry[];
  try {
    // with the entries' types, a directory needs no stat of its own (220 on a full node)
    entries = typedEntries(root, opts.listTyped);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    view.error = e.code === 'ENOENT'
      ? `runc root ${root} does not exist (no containers yet, or another --runc-root)`
      : e.code === 'EACCES' ? `permission denied reading runc root ${root} (run as root)` : `cannot read runc root ${root}: ${e.message}`;
    return view;
  }
  for (const name of entries.filter((e) => e.isDirectory()).map((e) => e.name).sort()) {
    const dir = join(root, name);
    const c = readRuncContainer(dir, name, opts);
    // deleted since the listing (runc delete, normal churn): no longer a container
    if (c.error && !existsSync(dir)) continue;
    view.containers.push(c);
  }
  return view;
}
