// The node source: the 60-second checklist as data. Load against cores, memory, PSI, file handles,
// pids against pid_max, inotify instances against their per-user limit, D-state tasks with their
// kernel stacks, frozen cgroups, and the kernel log matched against rules/kernel-log.json.
// Every walk is bounded (processes, fds, cgroup dirs, kmsg records) and stops at the deadline,
// saying in `notes` what it did not look at.
import { closeSync, constants, openSync, readdirSync, readFileSync, readlinkSync, readSync, statSync, existsSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { cpus as osCpus } from 'node:os';
import { join } from 'node:path';
import type { LogScan, LogWindow, NodeView } from '../../snapshot/types/index.ts';
import { EpisodeBuilder } from '../logs/episodes.ts';
import { kernelLogTable } from '../logs/tables.ts';
import { scanLogFile } from '../logs/read.ts';
import { parseFileNr, parseKmsgRecord, parseLoadavg, parseMeminfo, parsePressure, parseSingleNumber } from './parse.ts';

export interface NodeSourceOptions {
  /** default 3 s: walks stop there and say so */
  deadlineMs?: number;
  procRoot?: string;
  cgroupRoot?: string;
  /** /dev/kmsg; when it cannot be read, `dmesg --ctime` is run instead */
  kmsgPath?: string;
  dmesgBinary?: string;
  /** read the kernel log at all (default true) */
  kernelLog?: boolean;
  /** a saved kernel log to read instead of the live one: kern.log, `journalctl -k` or `dmesg -T` output */
  kernelLogFile?: string;
  /** the log window: kernel episodes that ended before it are marked beforeWindow */
  logWindow?: LogWindow;
  /** at most this many fd links are read for the inotify count (default 100 000) */
  inotifyFdBudget?: number;
  /** at most this many cgroup directories are visited per hierarchy (default 20 000) */
  cgroupDirBudget?: number;
  maxDStateTasks?: number;
  /** CPU count (tests); default os.cpus() */
  cpus?: number;
  /**
   * The processes a /proc scan already read (pid, comm, state, and the wait channel and kernel
   * stack of D-state ones): spares reading every stat again.
   */
  processes?: readonly { pid: number; comm: string; state: string; wchan?: string; kernelStack?: string[] }[];
}

/** Processes (or cgroup directories) walked between two turns of the event loop. */
const YIELD_EVERY = 64;
const yieldToLoop = (): Promise<void> => new Promise((r) => setImmediate(r));

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The node's counters: load, memory, pressure, file handles, pid_max. */
function readCounters(o: NodeSourceOptions, proc: string, notes: string[]): NodeView {
  const load = parseLoadavg(read(join(proc, 'loadavg')) ?? '');
  if (!load) notes.push(`${proc}/loadavg unreadable`);
  const mem = parseMeminfo(read(join(proc, 'meminfo')) ?? '');
  const view: NodeView = {
    cpus: o.cpus ?? (osCpus().length || 1),
    loadavg: load?.loadavg ?? [0, 0, 0],
    memTotalKb: mem.MemTotal ?? 0,
    memAvailableKb: mem.MemAvailable ?? mem.MemFree ?? 0,
    dStateTasks: [],
    frozenCgroups: [],
    notes,
  };
  if (mem.MemAvailable === undefined) notes.push('MemAvailable missing from meminfo: using MemFree');
  if (load) view.threadCount = load.threads;
  const psi: NonNullable<NodeView['psi']> = {};
  for (const r of ['cpu', 'memory', 'io'] as const) {
    const p = parsePressure(read(join(proc, 'pressure', r)) ?? '');
    if (p) psi[r] = p;
  }
  if (Object.keys(psi).length) view.psi = psi;
  else notes.push('no PSI (/proc/pressure): kernel without CONFIG_PSI or psi=0');
  const fileNr = parseFileNr(read(join(proc, 'sys/fs/file-nr')) ?? '');
  if (fileNr) view.fileNr = fileNr;
  view.pidMax = parseSingleNumber(read(join(proc, 'sys/kernel/pid_max')) ?? '');
  return view;
}

/** What one walk over /proc counts: inotify instances per process and user, within a budget of fd links. */
interface ProcWalk {
  byProcess: NonNullable<NodeView['inotify']>['byProcess'];
  byUid: Map<number, number>;
  fdsRead: number;
  visited: number;
  stoppedAt: string;
}

/** A D-state task with its wait channel and kernel stack (the scan's, or read now). */
function dStateTask(dir: string, pid: number, comm: string, seen: ScannedProcess | undefined): NodeView['dStateTasks'][number] {
  const wchan = seen ? seen.wchan : read(join(dir, 'wchan'))?.trim();
  const stack = seen ? seen.kernelStack : read(join(dir, 'stack'))?.split('\n').filter(Boolean).map((l) => l.replace(/^\[<[0-9a-f]+>\]\s*/, '').replace(/\+0x[0-9a-f]+\/0x[0-9a-f]+$/, ''));
  return { pid, comm, ...(wchan && wchan !== '0' ? { wchan } : {}), ...(stack?.length ? { kernelStack: stack } : {}) };
}

/** A process's inotify instances (fd links to anon_inode:inotify), counted against the walk's budget. */
function countInotify(w: ProcWalk, dir: string, pid: number, comm: string, budget: number): void {
  let fds: string[];
  try {
    fds = readdirSync(join(dir, 'fd'));
  } catch {
    return; // not ours to read, or gone
  }
  let count = 0;
  for (const fd of fds) {
    if (++w.fdsRead > budget) break;
    try {
      if (readlinkSync(join(dir, 'fd', fd)) === 'anon_inode:inotify') count++;
    } catch {
      // closed meanwhile
    }
  }
  if (!count) return;
  let uid: number;
  try {
    uid = statSync(dir).uid;
  } catch {
    return;
  }
  w.byProcess.push({ pid, comm, uid, count });
  w.byUid.set(uid, (w.byUid.get(uid) ?? 0) + count);
}

type ScannedProcess = NonNullable<NodeSourceOptions['processes']>[number];

/** The scan's comm and state when given; else read from stat (undefined: the process vanished). */
function commAndState(dir: string, seen: ScannedProcess | undefined): { comm: string; state: string } | undefined {
  if (seen) return { comm: seen.comm, state: seen.state };
  const stat = read(join(dir, 'stat'));
  if (!stat) return undefined;
  const close = stat.lastIndexOf(')');
  return { comm: stat.slice(stat.indexOf('(') + 1, close), state: stat.slice(close + 2, close + 3) };
}

/** One walk over /proc: process count, D-state tasks, inotify instances per process. */
async function walkProcesses(o: NodeSourceOptions, proc: string, view: NodeView, late: () => boolean): Promise<ProcWalk> {
  const budget = o.inotifyFdBudget ?? 100_000;
  const maxD = o.maxDStateTasks ?? 50;
  let pids: number[] = [];
  try {
    pids = readdirSync(proc).filter((n) => /^\d+$/.test(n)).map(Number);
  } catch {
    view.notes.push(`${proc} unreadable`);
  }
  const w: ProcWalk = { byProcess: [], byUid: new Map(), fdsRead: 0, visited: 0, stoppedAt: '' };
  const scanned = o.processes && new Map(o.processes.map((p) => [p.pid, p]));
  if (scanned) pids = [...scanned.keys()];
  view.processCount = pids.length;
  for (const pid of pids) {
    if (late()) {
      w.stoppedAt = `stopped at the deadline after ${w.visited} of ${pids.length} processes`;
      break;
    }
    // synchronous reads (a promise per fd link costs several times the CPU), with a turn of the
    // event loop every few processes so the other probes' answers are read meanwhile
    if (++w.visited % YIELD_EVERY === 0) await yieldToLoop();
    const dir = join(proc, String(pid));
    const seen = scanned?.get(pid);
    const cs = commAndState(dir, seen);
    if (!cs) continue;
    const { comm, state } = cs;
    if (state === 'D' && view.dStateTasks.length < maxD) view.dStateTasks.push(dStateTask(dir, pid, comm, seen));
    if (w.fdsRead < budget) countInotify(w, dir, pid, comm, budget);
    else if (!w.stoppedAt) w.stoppedAt = `stopped after ${budget} fd links (${w.visited} of ${pids.length} processes)`;
  }
  return w;
}

export async function collectNode(o: NodeSourceOptions = {}): Promise<NodeView> {
  const started = Date.now();
  const deadlineMs = o.deadlineMs ?? 3000;
  const late = (): boolean => Date.now() - started > deadlineMs;
  const proc = o.procRoot ?? '/proc';
  const notes: string[] = [];
  const view = readCounters(o, proc, notes);
  const maxUserInstances = parseSingleNumber(read(join(proc, 'sys/fs/inotify/max_user_instances')) ?? '');
  const w = await walkProcesses(o, proc, view, late);
  if (maxUserInstances !== undefined) {
    w.byProcess.sort((a, b) => b.count - a.count || a.pid - b.pid);
    view.inotify = {
      maxUserInstances,
      byProcess: w.byProcess.slice(0, 20),
      byUser: [...w.byUid].map(([uid, count]) => ({ uid, count })).sort((a, b) => b.count - a.count),
      sampled: w.stoppedAt || `all ${w.visited} processes (${w.fdsRead} fd links)`,
    };
  }
  if (w.stoppedAt) notes.push(`process walk ${w.stoppedAt}`);
  view.frozenCgroups = await frozenCgroups(o.cgroupRoot ?? '/sys/fs/cgroup', o.cgroupDirBudget ?? 20_000, late, notes);
  if (o.kernelLog !== false) {
    const left = Math.max(200, deadlineMs - (Date.now() - started));
    view.kernelLog = await kernelLog(o, proc, left, notes);
  }
  return view;
}

/** Frozen cgroups: v1 freezer.state FROZEN/FREEZING, v2 cgroup.freeze 1. A bounded walk. */
export async function frozenCgroups(root: string, dirBudget: number, late: () => boolean, notes: string[]): Promise<NodeView['frozenCgroups']> {
  const out: NodeView['frozenCgroups'] = [];
  const hierarchies: { base: string; file: string; frozen: (v: string) => string | undefined }[] = [];
  if (existsSync(join(root, 'freezer'))) hierarchies.push({ base: join(root, 'freezer'), file: 'freezer.state', frozen: (v) => (v === 'FROZEN' || v === 'FREEZING' ? v : undefined) });
  const v2 = existsSync(join(root, 'cgroup.controllers')) ? root : existsSync(join(root, 'unified', 'cgroup.controllers')) ? join(root, 'unified') : undefined;
  if (v2) hierarchies.push({ base: v2, file: 'cgroup.freeze', frozen: (v) => (v === '1' ? 'FROZEN (cgroup.freeze=1)' : undefined) });
  if (!hierarchies.length) notes.push(`no freezer hierarchy under ${root}`);
  for (const h of hierarchies) {
    const stack = [h.base];
    let seen = 0;
    while (stack.length) {
      if (late()) {
        notes.push(`cgroup walk of ${h.base} stopped at the deadline after ${seen} directories`);
        break;
      }
      if (seen >= dirBudget) {
        notes.push(`cgroup walk of ${h.base} stopped after ${dirBudget} directories`);
        break;
      }
      const dir = stack.pop()!;
      if (++seen % YIELD_EVERY === 0) await yieldToLoop();
      let entries;
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch {
        continue;
      }
      const state = dir !== h.base ? h.frozen(read(join(dir, h.file))?.trim() ?? '') : undefined;
      // a frozen parent freezes its children: report the top one only
      if (state && !out.some((f) => dir.startsWith(`${f.path}/`))) {
        out.push({ path: dir, state, pids: (read(join(dir, 'cgroup.procs')) ?? '').split('\n').filter(Boolean).slice(0, 20).map(Number) });
      }
      for (const e of entries) if (e.isDirectory()) stack.push(join(dir, e.name));
    }
  }
  return out;
}

/** One /dev/kmsg record's bytes: 0 at the end of the ring, 'overwritten' when it was lost while read (skip it). */
function readKmsgRecord(fd: number, buf: Buffer): number | 'overwritten' {
  try {
    return readSync(fd, buf, 0, buf.length, null);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EAGAIN') return 0; // the end of the ring
    if (code === 'EPIPE') return 'overwritten';
    throw err;
  }
}

function bootTimeMs(proc: string): number | undefined {
  const m = /^btime (\d+)$/m.exec(read(join(proc, 'stat')) ?? '');
  return m ? Number(m[1]) * 1000 : undefined;
}

/**
 * /dev/kmsg read without blocking (every record still in the ring); `dmesg --ctime` when that
 * fails; a saved kernel log (any syslog or journald framing) when one is given.
 */
async function kernelLog(o: NodeSourceOptions, proc: string, deadlineMs: number, notes: string[]): Promise<LogScan | undefined> {
  const table = kernelLogTable();
  const window = o.logWindow;
  if (o.kernelLogFile) {
    try {
      return await scanLogFile(o.kernelLogFile, { table, deadlineMs, window, tailLines: 20 });
    } catch (err) {
      notes.push(`kernel log unavailable: ${(err as Error).message}`);
      return undefined;
    }
  }
  const b = new EpisodeBuilder(table, { tailLines: 20, window });
  const path = o.kmsgPath ?? '/dev/kmsg';
  const boot = bootTimeMs(proc);
  let fd: number | undefined;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    notes.push(`${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; trying dmesg`);
  }
  if (fd !== undefined && boot !== undefined) {
    const buf = Buffer.allocUnsafe(16 * 1024);
    let bytes = 0;
    let records = 0;
    const started = Date.now();
    try {
      for (;;) {
        const n = readKmsgRecord(fd, buf);
        if (n === 'overwritten') continue;
        if (n === 0) break;
        bytes += n;
        records++;
        const r = parseKmsgRecord(buf.toString('utf8', 0, n), boot);
        if (r) b.add(r.message, r.timeMs);
        if (records >= 100_000 || Date.now() - started > deadlineMs) {
          notes.push(`kernel log: stopped after ${records} records`);
          break;
        }
      }
      return b.finish(`kmsg:${path}`, bytes, false);
    } catch (err) {
      notes.push(`${path}: ${(err as Error).message}; trying dmesg`);
    } finally {
      closeSync(fd);
    }
  } else if (fd !== undefined) {
    closeSync(fd);
  }
  const bin = o.dmesgBinary ?? 'dmesg';
  return new Promise((resolve) => {
    execFile(bin, ['--ctime'], { timeout: deadlineMs, maxBuffer: 32 * 1024 * 1024, killSignal: 'SIGKILL' }, (err, stdout) => {
      if (err && !stdout) {
        notes.push(`kernel log unavailable: ${bin} --ctime: ${err.message.split('\n')[0]}`);
        resolve(undefined);
        return;
      }
      const d = new EpisodeBuilder(table, { tailLines: 20, window });
      for (const line of stdout.split('\n')) d.add(line); // the [ctime] prefix carries the time
      resolve(d.finish(`dmesg:${bin}`, Buffer.byteLength(stdout), Boolean(err)));
    });
  });
}
