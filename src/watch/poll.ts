// The watch's poll: what events never say, read from /proc and runc's state root on every tick,
// cheaply. A node has thousands of processes and the stack a few per pod, so the poll reads the
// stat of the stack's processes and of processes it has not seen yet, and lists /proc to see who
// is new or gone; every `fullEvery` polls it reads them all again (a pid reused by a process that
// is the stack's, or one reparented under a shim, shows then). runc's root is listed each poll;
// a container's state.json is read once, and its exec.fifo looked at until it is gone (it never
// comes back). No RPC: names come from the NameBook.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseRuncStateJson } from '../sources/runc/state.ts';
import { readSmall, readSystemClock, CLOCK_TICKS } from '../sources/proc/scan.ts';
import { parseStat, parseCmdline } from '../sources/proc/parse.ts';
import { parseShimArgs, runcAction } from '../sources/proc/argv.ts';
import type { RuncKubeLabels } from '../snapshot/types/runc.ts';
import { kubeLabelsOf } from '../sources/runc/state.ts';
import type { WatchRole, WatchSubject } from '../snapshot/types/watch.ts';
import { NameBook, namesFromRunc } from './names.ts';
import type { ContainerdSeen, Names, SeenParkedInit, SeenProcess, WatchView } from './types.ts';
import { subjectOfId } from './event-lines.ts';

export interface PollOptions {
  procRoot?: string;
  runcRoot: string;
  /** containerd's socket: the shims whose -address names it are this stack's */
  address: string;
  names: NameBook;
  /** how many polls between two full reads of every process's stat (default 15: 30 s at 2 s) */
  fullEvery?: number;
}

interface Known {
  starttime: number;
  /** 'stack': read each poll; 'other': only listed, until the next full pass */
  kind: 'stack' | 'other';
  comm: string;
  ppid: number;
  state: string;
  role?: WatchRole;
  shimId?: string;
  shimAddress?: string;
  action?: string;
}

interface RuncSeen {
  initPid?: number;
  initStart?: number;
  createdAtMs: number;
  kube: RuncKubeLabels;
  /** exec.fifo was there at the last look (false: gone for good) */
  fifo: boolean;
}

export class StackPoller {
  private readonly o: PollOptions;
  private readonly procRoot: string;
  private readonly bootTimeMs: number;
  private readonly known = new Map<number, Known>();
  private readonly runc = new Map<string, RuncSeen>();
  private polls = 0;
  /** the containerd pid serving our socket, as the caller resolved it */
  containerdPid?: number;

  constructor(o: PollOptions, containerdPid?: number) {
    this.o = o;
    this.procRoot = o.procRoot ?? '/proc';
    this.bootTimeMs = readSystemClock(this.procRoot).bootTimeMs;
    this.containerdPid = containerdPid;
  }

  /** containerd processes (comm containerd) the poll saw, for the caller to tell which serves the socket after a restart. */
  containerdCandidates(): number[] {
    return [...this.known].filter(([, k]) => k.comm === 'containerd').map(([pid]) => pid).sort((a, b) => a - b);
  }

  private readStat(pid: number): ReturnType<typeof parseStat> {
    try {
      return parseStat(readSmall(`${this.procRoot}/${pid}/stat`));
    } catch {
      return null;
    }
  }

  private argv(pid: number): string[] {
    try {
      return parseCmdline(readSmall(`${this.procRoot}/${pid}/cmdline`));
    } catch {
      return [];
    }
  }

  /** Lists /proc and reads the stat of what needs reading. */
  private scan(full: boolean): void {
    let names: string[];
    try {
      names = readdirSync(this.procRoot);
    } catch {
      return; // no /proc: nothing seen (the caller's first poll says so through an empty view)
    }
    const live = new Set<number>();
    for (const name of names) {
      const c = name.charCodeAt(0);
      if (c < 48 || c > 57) continue;
      const pid = Number(name);
      live.add(pid);
      const k = this.known.get(pid);
      if (k && k.kind === 'other' && !full) continue;
      // a full pass looks at everyone again (reparented under a shim, or a pid reused)
      if (k && full && k.kind === 'other') k.kind = 'stack';
      const st = this.readStat(pid);
      if (!st) {
        this.known.delete(pid);
        continue;
      }
      if (k && k.starttime === st.starttime) {
        k.state = st.state;
        k.ppid = st.ppid;
        if (k.comm !== st.comm) {
          // exec'd since: classify again
          k.comm = st.comm;
          k.role = undefined;
          k.kind = 'stack';
          delete k.action;
        }
        continue;
      }
      this.known.set(pid, { starttime: st.starttime, kind: 'stack', comm: st.comm, ppid: st.ppid, state: st.state });
    }
    for (const pid of this.known.keys()) if (!live.has(pid)) this.known.delete(pid);
  }

  /** A binary of the stack: our containerd, or a shim serving our socket (by -address, else as containerd's child). */
  private classifyBinary(pid: number, k: Known): void {
    const ours = this.containerdPid;
    if (pid === ours && k.comm === 'containerd') {
      k.role = 'containerd';
      return;
    }
    if (!k.comm.startsWith('containerd-shim')) return;
    if (k.shimAddress === undefined) {
      const a = parseShimArgs(this.argv(pid));
      k.shimAddress = a.address ?? '';
      k.shimId = a.id;
      // a transient `shim start|delete` is not a pod's shim
      if (a.action) k.action = a.action;
    }
    if (!k.action && (k.shimAddress === this.o.address || (!k.shimAddress && k.ppid === ours))) k.role = 'shim';
  }

  /** A process under the stack's binaries: a runc init or runc under a shim, containerd or runc; a shim's other child. */
  private classifyChild(pid: number, k: Known): void {
    const parent = this.known.get(k.ppid)?.role;
    const under = parent === 'shim' || parent === 'containerd' || parent === 'runc';
    if (k.comm.startsWith('runc:[') && under) k.role = 'runc-init';
    else if (k.comm === 'runc' && under) {
      k.role = 'runc';
      k.action = runcAction(this.argv(pid));
    } else if (parent === 'shim') k.role = 'container';
  }

  /** The processes to classify: those in view without a role yet. */
  private unclassified(): [number, Known][] {
    return [...this.known].filter(([, k]) => k.kind !== 'other' && !k.role);
  }

  /** Who is the stack's: containerd, its shims (by -address), runc and runc init under them, the shims' children. */
  private classify(): void {
    // binaries first, so that children find their parent's role whatever the pid order
    for (const [pid, k] of this.unclassified()) this.classifyBinary(pid, k);
    // then the processes under them, until nothing changes (a runc init may be listed before the runc that forked it)
    for (let pass = 0, changed = true; changed && pass < 4; pass++) {
      changed = false;
      for (const [pid, k] of this.unclassified()) {
        this.classifyChild(pid, k);
        changed ||= !!k.role;
      }
    }
    // the rest is not the stack's; containerd daemons stay in view (one may take over our socket after a restart)
    for (const k of this.known.values()) if (!k.role && k.comm !== 'containerd') k.kind = 'other';
  }

  /** runc's root: new containers' state, and whose exec.fifo is still there. */
  private readRunc(now: number): Set<string> {
    const ids = new Set<string>();
    let entries: string[];
    try {
      entries = readdirSync(this.o.runcRoot);
    } catch {
      entries = [];
    }
    for (const id of entries) {
      ids.add(id);
      const dir = join(this.o.runcRoot, id);
      let r = this.runc.get(id);
      if (!r) {
        try {
          const s = parseRuncStateJson(readSmall(join(dir, 'state.json')));
          const created = s.created ? Date.parse(s.created) : NaN;
          const kube = kubeLabelsOf(s.labels);
          r = { initPid: s.initPid, initStart: s.initStart, createdAtMs: Number.isFinite(created) ? created : now, kube, fifo: true };
          this.runc.set(id, r);
          this.o.names.learn([[id, namesFromRunc(id, kube)]], now);
        } catch {
          continue; // being created or removed: the next poll reads it
        }
      }
      if (r.fifo) r.fifo = existsSync(join(dir, 'exec.fifo'));
    }
    for (const id of this.runc.keys()) if (!ids.has(id)) this.runc.delete(id);
    return ids;
  }

  private namesOf(id: string | undefined): Names | undefined {
    return id ? this.o.names.lookup(id) : undefined;
  }

  /** The shim a process runs under (itself, or up to four parents up): its -id. */
  private shimIdOf(pid: number): string | undefined {
    let k = this.known.get(pid);
    for (let hops = 0; k && hops < 4; hops++) {
      if (k.role === 'shim') return k.shimId;
      k = this.known.get(k.ppid);
    }
    return undefined;
  }

  /** Each runc container's init pid → its id: the pause of a sandbox, a container's first process, or a parked runc init. */
  private initOwners(): Map<number, string> {
    const initOf = new Map<number, string>();
    for (const [id, r] of this.runc) if (r.initPid) initOf.set(r.initPid, id);
    return initOf;
  }

  /** A runc container's init outside any shim (a leaked or raw runc container) is followed too. */
  private adoptInit(k: Known, runcId: string | undefined): void {
    if (!runcId || k.role || this.runc.get(runcId)!.initStart !== k.starttime) return;
    k.kind = 'stack';
    k.role = k.comm.startsWith('runc:[') ? 'runc-init' : 'container';
  }

  /** One process of the stack as the view holds it, named by its runc container or its shim's pod. */
  private seenProcess(pid: number, k: Known & { role: WatchRole }, runcId: string | undefined): SeenProcess {
    const id = runcId ?? (k.role === 'shim' ? k.shimId : undefined);
    const names = this.namesOf(id) ?? this.namesOf(this.shimIdOf(pid));
    const role: WatchRole = k.role === 'container' && names?.sandbox && runcId ? 'pause' : k.role;
    // a runc container's process is that container's; a shim, runc or a shim's other child, its pod's
    const sandboxId = names?.podSandboxId ?? (k.role === 'shim' ? k.shimId : undefined);
    const subject: WatchSubject = runcId ? subjectOfId(runcId, names)
      : { ...(names?.pod ? { pod: names.pod } : {}), ...(sandboxId && names ? { podSandboxId: sandboxId } : {}) };
    return {
      ...subject, pid, starttime: k.starttime, ppid: k.ppid, role, comm: k.comm, state: k.state, polls: 1,
      ...(k.shimId && role === 'shim' ? { shimId: k.shimId } : {}),
      ...(k.action && role === 'runc' ? { action: k.action } : {}),
    };
  }

  /** The stack's processes by `${pid}@${starttime}`, and the containerd among them. */
  private stackProcesses(initOf: Map<number, string>): { processes: Map<string, SeenProcess>; containerd?: ContainerdSeen } {
    const processes = new Map<string, SeenProcess>();
    let containerd: ContainerdSeen | undefined;
    for (const [pid, k] of this.known) {
      const runcId = initOf.get(pid);
      this.adoptInit(k, runcId);
      if (!k.role) continue;
      if (k.role === 'containerd') containerd = { pid, starttime: k.starttime };
      processes.set(`${pid}@${k.starttime}`, this.seenProcess(pid, k as Known & { role: WatchRole }, runcId));
    }
    return { processes, containerd };
  }

  /** Inits runc's state names whose exec.fifo is still there: still the one runc started (the same start time), and not dead. */
  private parkedFromState(parked: Map<string, SeenParkedInit>): void {
    for (const [id, r] of this.runc) {
      if (!r.fifo || !r.initPid) continue;
      const k = this.known.get(r.initPid);
      const st = k ? { starttime: k.starttime, state: k.state } : this.readStat(r.initPid);
      if (!st || st.starttime !== r.initStart || st.state === 'Z' || st.state === 'X') continue;
      parked.set(id, { key: id, ...subjectOfId(id, this.namesOf(id)), pid: r.initPid, createdAtMs: r.createdAtMs, polls: 1 });
    }
  }

  /** runc inits no state under our root names (another root, or a state already removed): parked since they started. */
  private parkedWithoutState(parked: Map<string, SeenParkedInit>, processes: Map<string, SeenProcess>, initOf: Map<number, string>): void {
    for (const p of processes.values()) {
      if (p.role !== 'runc-init' || initOf.has(p.pid)) continue;
      const key = `pid:${p.pid}@${p.starttime}`;
      parked.set(key, {
        key, ...(p.pod ? { pod: p.pod } : {}), ...(p.podSandboxId ? { podSandboxId: p.podSandboxId } : {}),
        pid: p.pid, createdAtMs: this.bootTimeMs + (p.starttime / CLOCK_TICKS) * 1000, polls: 1,
      });
    }
  }

  /** One poll: the view as observed (every `polls` count is 1: nextView carries them over). */
  observe(now = Date.now()): Omit<WatchView, 'api'> {
    const full = this.polls++ % (this.o.fullEvery ?? 15) === 0;
    this.scan(full);
    this.classify();
    const runcIds = this.readRunc(now);
    const initOf = this.initOwners();
    const { processes, containerd } = this.stackProcesses(initOf);
    const parked = new Map<string, SeenParkedInit>();
    this.parkedFromState(parked);
    this.parkedWithoutState(parked, processes, initOf);
    return { at: now, containerd, processes, parked, runcIds };
  }
}
