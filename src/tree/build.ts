// The process tree of the containerd stack: containerd → shims (pod, sandbox id) → pause → app
// containers → their children, each process with its role and Kubernetes names, plus the shims'
// own view and the facts the doctor judges (src/tree/facts.ts). Pure: plain data in and out.
import type { TaskView } from '../snapshot/types/containerd.ts';
import type { ProcessInfo, ProcTable } from '../snapshot/types/proc.ts';
import type { RuncRootView, TaskBundleView } from '../snapshot/types/runc.ts';
import type { ProcessRole, ProcessTreeView, ShimProbe, ShimView, TreeProcess } from '../snapshot/types/tree.ts';
import { containerIdOfCgroupPath } from '../sources/proc/parse.ts';
import { isContainerdProcess, isRuncInitProcess, isRuncProcess, isShimProcess, maybeStackBinary } from '../sources/proc/scan.ts';
import { buildIdentities, containerRefOf, podOfContainer, type CriInputs, type Identities } from './identities.ts';
import { treeFacts } from './facts.ts';

export interface TreeInputs {
  proc: ProcTable;
  runc?: RuncRootView;
  cri?: CriInputs;
  tasks?: TaskView[];
  bundles?: TaskBundleView;
  shimProbes?: ShimProbe[];
  /** the containerd whose shims to hang under it (when several run); from stack discovery */
  containerdPid?: number;
  /** containerd's gRPC address: shims started by it carry it as -address */
  containerdAddress?: string;
  /** include every other process too (ps aux --forest) */
  all?: boolean;
  /** a runc init parked this long counts as stuck (default 60 s) */
  stuckInitSec?: number;
  now?: number;
}

export const DEFAULT_STUCK_INIT_SEC = 60;

export interface ShimArgs {
  namespace?: string;
  id?: string;
  address?: string;
  /** start / delete: a transient shim invocation, not the long-lived server */
  action?: string;
}

/** `containerd-shim-runc-v2 -namespace NS -id ID -address ADDR [-publish-binary B] [-debug] [start|delete]` */
export function parseShimArgs(argv: string[]): ShimArgs {
  const out: ShimArgs = {};
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    const flag = a.replace(/^--?/, '');
    const [name, inline] = flag.includes('=') ? [flag.slice(0, flag.indexOf('=')), flag.slice(flag.indexOf('=') + 1)] : [flag, undefined];
    if (a.startsWith('-') && (name === 'namespace' || name === 'id' || name === 'address' || name === 'publish-binary' || name === 'bundle')) {
      const v = inline ?? argv[++i];
      if (name === 'namespace') out.namespace = v;
      else if (name === 'id') out.id = v;
      else if (name === 'address') out.address = v;
    } else if (!a.startsWith('-') && (a === 'start' || a === 'delete')) {
      out.action = a;
    }
  }
  return out;
}

/** runc's subcommand: the first argument that is not a flag or a flag's value. */
export function runcAction(argv: string[]): string | undefined {
  const withValue = new Set(['--root', '--log', '--log-format', '--criu', '--rootless']);
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    if (withValue.has(a)) { i++; continue; }
    if (a.startsWith('-')) continue;
    return a;
  }
  return undefined;
}

function commandOf(p: ProcessInfo): string {
  if (p.cmdline.length) return p.cmdline.join(' ');
  return p.state === 'Z' ? `[${p.comm}] <defunct>` : `[${p.comm}]`;
}

interface Placed {
  role: ProcessRole;
  containerId?: string;
  matchedBy?: string;
  notes: string[];
}

export function buildProcessTree(inp: TreeInputs): ProcessTreeView {
  const now = inp.now ?? Date.now();
  const stuckInitSec = inp.stuckInitSec ?? DEFAULT_STUCK_INIT_SEC;
  const procs = new Map<number, ProcessInfo>();
  for (const p of inp.proc.processes) procs.set(p.pid, p);
  const childrenOf = new Map<number, number[]>();
  for (const p of inp.proc.processes) {
    let l = childrenOf.get(p.ppid);
    if (!l) childrenOf.set(p.ppid, (l = []));
    l.push(p.pid);
  }
  for (const l of childrenOf.values()) l.sort((a, b) => a - b);
  const runcStates = inp.runc?.containers ?? [];
  const ids = buildIdentities(procs, runcStates, inp.cri, inp.tasks);

  // Shims, live and defunct.
  const shimArgs = new Map<number, ShimArgs>();
  for (const p of inp.proc.processes) if (!p.kernelThread && maybeStackBinary(p) && isShimProcess(p)) shimArgs.set(p.pid, parseShimArgs(p.cmdline));
  const liveShim = (pid: number): boolean => {
    const p = procs.get(pid);
    return !!p && shimArgs.has(pid) && p.state !== 'Z' && p.state !== 'X' && !shimArgs.get(pid)!.action;
  };
  const shimAbove = (pid: number): number | undefined => {
    const seen = new Set<number>();
    let cur = procs.get(pid)?.ppid;
    while (cur && !seen.has(cur)) {
      seen.add(cur);
      if (liveShim(cur)) return cur;
      cur = procs.get(cur)?.ppid;
    }
    return undefined;
  };

  // Roles: first what each process is by itself, then container identity through ancestry.
  const placed = new Map<number, Placed>();
  for (const p of inp.proc.processes) {
    const pl: Placed = { role: 'other', notes: [] };
    const claimed = ids.containerOfPid.get(p.pid);
    if (p.kernelThread) pl.role = 'other';
    else if (p.state === 'Z' || p.state === 'X') pl.role = 'zombie';
    else if (shimArgs.has(p.pid)) pl.role = 'shim';
    else if (!maybeStackBinary(p)) { /* not containerd or runc */ }
    else if (isContainerdProcess(p)) pl.role = 'containerd';
    else if (isRuncInitProcess(p)) pl.role = 'runc-init';
    else if (isRuncProcess(p)) pl.role = 'runc';
    if (claimed) {
      pl.containerId = claimed.id;
      pl.matchedBy = claimed.matchedBy;
      if (pl.role === 'other') pl.role = ids.containerOfId.get(claimed.id)?.type === 'sandbox' ? 'pause' : 'app';
    }
    if (!pl.containerId && p.cgroup) {
      for (const line of p.cgroup) {
        const cid = containerIdOfCgroupPath(line.path);
        if (cid && (ids.knownIds.has(cid) || runcStates.some((r) => r.id === cid))) {
          pl.containerId = cid;
          pl.matchedBy = 'cgroup';
          break;
        }
      }
    }
    placed.set(p.pid, pl);
  }
  // Children inherit their container from the nearest ancestor that has one.
  const inherit = (pid: number): string | undefined => {
    const pl = placed.get(pid);
    if (!pl) return undefined;
    if (pl.containerId && pl.matchedBy !== 'cgroup') return pl.containerId;
    const p = procs.get(pid)!;
    if (p.ppid <= 1 || p.ppid === pid || shimArgs.has(p.ppid)) return pl.containerId;
    const up = inherit(p.ppid);
    if (up && !pl.containerId) {
      pl.containerId = up;
      pl.matchedBy = 'parent';
    }
    return pl.containerId;
  };
  for (const p of inp.proc.processes) {
    const pl = placed.get(p.pid)!;
    if (!p.kernelThread) inherit(p.pid);
    if (pl.role === 'other' && pl.containerId) pl.role = 'child';
  }
  // Container processes with no live shim above them are orphans.
  for (const p of inp.proc.processes) {
    const pl = placed.get(p.pid)!;
    if (!pl.containerId || shimArgs.has(p.pid)) continue;
    if (shimAbove(p.pid) !== undefined) continue;
    if (pl.role === 'pause' || pl.role === 'app' || pl.role === 'child') {
      pl.notes.push(`would be ${pl.role}: no live shim above it`);
      pl.role = 'orphan';
    } else {
      pl.notes.push('no live shim above it');
    }
  }

  // What to show: the stack (containerd, shims and their subtrees, runc, runc init, orphans,
  // container zombies), or everything with --all.
  // Another containerd on the node (and its shims with everything under them) is not this
  // stack's: shown only with --all. Shims say whose they are with -address.
  const foreign = new Set<number>();
  const ourAddress = inp.containerdAddress;
  for (const p of inp.proc.processes) {
    const pl = placed.get(p.pid)!;
    if (pl.role === 'containerd' && inp.containerdPid && p.pid !== inp.containerdPid) foreign.add(p.pid);
    const a = shimArgs.get(p.pid);
    // A dead shim's command line is empty, so it cannot say whose it was: when we know our own
    // containerd, a defunct shim is ours only if our containerd is its parent (containerd#5708).
    if (a && ourAddress && !a.address && p.state === 'Z' && p.ppid !== inp.containerdPid) foreign.add(p.pid);
    if (a && ourAddress && a.address && a.address !== ourAddress) {
      const stack = [p.pid];
      while (stack.length) {
        const x = stack.pop()!;
        if (foreign.has(x)) continue;
        foreign.add(x);
        for (const c of childrenOf.get(x) ?? []) stack.push(c);
      }
    }
  }
  const relevant = (pid: number): boolean => {
    if (foreign.has(pid)) return false;
    const pl = placed.get(pid)!;
    return pl.role !== 'other' || !!pl.containerId;
  };

  const out: TreeProcess[] = [];
  const printed = new Set<number>();
  const emit = (pid: number, depth: number, parent: number): void => {
    if (printed.has(pid)) return;
    const p = procs.get(pid);
    if (!p) return;
    printed.add(pid);
    out.push(toTreeProcess(p, placed.get(pid)!, depth, parent, ids, shimArgs.get(pid)));
    for (const c of childrenOf.get(pid) ?? []) {
      if (shimArgs.has(c) && containerdPids.includes(pid)) continue; // placed under containerd below
      emit(c, depth + 1, pid);
    }
  };
  const containerdPids = inp.proc.processes.filter((p) => placed.get(p.pid)!.role === 'containerd').map((p) => p.pid);
  const containerdArgsAddress = new Map<number, string | undefined>();
  for (const pid of containerdPids) {
    const argv = procs.get(pid)!.cmdline;
    let addr: string | undefined;
    for (let i = 1; i < argv.length; i++) {
      if (argv[i] === '--address' || argv[i] === '-a') addr = argv[i + 1];
      else if (argv[i].startsWith('--address=')) addr = argv[i].slice('--address='.length);
    }
    containerdArgsAddress.set(pid, addr);
  }
  const ownerOfShim = (shimPid: number): number | undefined => {
    const a = shimArgs.get(shimPid)!;
    const byArgs = containerdPids.find((c) => a.address && containerdArgsAddress.get(c) === a.address);
    if (byArgs) return byArgs;
    if (inp.containerdPid && procs.has(inp.containerdPid) && a.address && a.address === inp.containerdAddress) return inp.containerdPid;
    if (containerdPids.length === 1) return containerdPids[0];
    // With several: the one not claimed by any other address, when the shim's address matches nothing.
    return undefined;
  };
  const shimsByOwner = new Map<number, number[]>();
  const unownedShims: number[] = [];
  for (const pid of [...shimArgs.keys()].sort((a, b) => a - b)) {
    const owner = ownerOfShim(pid);
    if (owner === undefined) unownedShims.push(pid);
    else {
      let l = shimsByOwner.get(owner);
      if (!l) shimsByOwner.set(owner, (l = []));
      l.push(pid);
    }
  }
  for (const c of containerdPids) {
    if (foreign.has(c) && !inp.all) continue;
    emit(c, 0, 0);
    for (const s of shimsByOwner.get(c) ?? []) if (!foreign.has(s) || inp.all) emit(s, 1, c);
  }
  for (const s of unownedShims) if (!foreign.has(s) || inp.all) emit(s, 0, 0);
  // Stack processes not under containerd or a shim: runc, parked inits, orphans, and their trees.
  for (const p of inp.proc.processes) {
    if (printed.has(p.pid) || !relevant(p.pid) || p.kernelThread) continue;
    // Start at the topmost relevant ancestor so a subtree prints once, in order.
    let top = p.pid;
    let up = procs.get(top)?.ppid;
    while (up && procs.has(up) && !printed.has(up) && relevant(up)) {
      top = up;
      up = procs.get(up)?.ppid;
    }
    emitRelevant(top, 0, 0);
  }
  function emitRelevant(pid: number, depth: number, parent: number): void {
    if (printed.has(pid)) return;
    const p = procs.get(pid);
    if (!p) return;
    printed.add(pid);
    out.push(toTreeProcess(p, placed.get(pid)!, depth, parent, ids, shimArgs.get(pid)));
    for (const c of childrenOf.get(pid) ?? []) if (relevant(c)) emitRelevant(c, depth + 1, pid);
  }
  if (inp.all) {
    const roots = inp.proc.processes.filter((p) => !procs.has(p.ppid) || p.ppid === p.pid).map((p) => p.pid).sort((a, b) => a - b);
    const emitAll = (pid: number, depth: number, parent: number): void => {
      const p = procs.get(pid);
      if (!p) return;
      if (!printed.has(pid)) {
        printed.add(pid);
        out.push(toTreeProcess(p, placed.get(pid)!, depth, parent, ids, shimArgs.get(pid)));
      }
      for (const c of childrenOf.get(pid) ?? []) if (!printed.has(c)) emitAll(c, depth + 1, pid);
    };
    for (const r of roots) emitAll(r, 0, 0);
    for (const p of inp.proc.processes) if (!printed.has(p.pid)) emitAll(p.pid, 0, 0); // cycles: never, but never lose a row
  }

  const shims = shimViews(inp, procs, childrenOf, placed, shimArgs, ids).filter((v) => inp.all || !foreign.has(v.pid));
  const view: ProcessTreeView = {
    builtAt: new Date(now).toISOString(),
    processes: out,
    shims,
    facts: [],
    inputs: {
      proc: true,
      runc: !!inp.runc && !inp.runc.error,
      cri: !!inp.cri,
      tasks: !!inp.tasks,
      bundles: !!inp.bundles && !inp.bundles.error,
      shimProbes: !!inp.shimProbes,
    },
    thresholds: { stuckInitSec },
  };
  view.facts = treeFacts(inp, view, { procs, ids, now, stuckInitSec });
  return view;
}

function toTreeProcess(p: ProcessInfo, pl: Placed, depth: number, parent: number, ids: Identities, shim?: ShimArgs): TreeProcess {
  const t: TreeProcess = {
    pid: p.pid,
    ppid: p.ppid,
    depth,
    parent,
    role: pl.role,
    stat: p.state,
    cpuPercent: p.cpuPercent,
    rssKb: p.rssKb,
    threads: p.threads,
    ageSec: p.ageSec,
    starttime: p.starttime,
    comm: p.comm,
    command: commandOf(p),
  };
  if (p.cpuPercentRecent !== undefined) t.cpuPercentRecent = p.cpuPercentRecent;
  if (p.fdCount !== undefined) t.fds = p.fdCount;
  if (pl.containerId) {
    t.container = containerRefOf(ids, pl.containerId);
    const pod = podOfContainer(ids, pl.containerId);
    if (pod) t.pod = pod;
    if (pl.matchedBy) t.matchedBy = pl.matchedBy;
  }
  if (shim) {
    t.shim = { ...shim };
    for (const k of Object.keys(t.shim) as (keyof ShimArgs)[]) if (t.shim[k] === undefined) delete t.shim[k];
    if (shim.id && !t.pod) t.pod = ids.podOfSandbox.get(shim.id) ?? { sandboxId: shim.id };
  }
  if (pl.role === 'runc-init') t.runcStage = p.comm;
  if (pl.role === 'runc') {
    const a = runcAction(p.cmdline);
    if (a) t.runcAction = a;
  }
  if (pl.role === 'zombie' && shim) pl.notes.includes('defunct shim') || pl.notes.push('defunct shim');
  if (pl.notes.length) t.notes = [...pl.notes];
  return t;
}

function shimViews(
  inp: TreeInputs,
  procs: Map<number, ProcessInfo>,
  childrenOf: Map<number, number[]>,
  placed: Map<number, Placed>,
  shimArgs: Map<number, ShimArgs>,
  ids: Identities,
): ShimView[] {
  const out: ShimView[] = [];
  const bundles = inp.bundles?.bundles ?? [];
  for (const [pid, a] of [...shimArgs].sort((x, y) => x[0] - y[0])) {
    if (a.action) continue; // `shim start` / `shim delete`: transient
    const p = procs.get(pid)!;
    const children = childrenOf.get(pid) ?? [];
    const containers: string[] = [];
    let hasPause = false;
    let reparented = 0;
    for (const c of children) {
      const pl = placed.get(c)!;
      if (pl.containerId && !containers.includes(pl.containerId)) containers.push(pl.containerId);
      if (pl.role === 'pause') hasPause = true;
      // The shim forks runc; runc forks the container's init and exits: the init is reparented.
      if (pl.role !== 'runc') reparented++;
    }
    const own = bundles.find((b) => b.id === a.id) ?? bundles.find((b) => b.shimPid === pid);
    const socket = own?.socketPath;
    const probe = socket ? inp.shimProbes?.find((s) => s.socketPath === socket) : undefined;
    const v: ShimView = {
      pid,
      starttime: p.starttime,
      state: p.state,
      children,
      containers,
      hasPause,
      cpuPercent: p.cpuPercent,
      rssKb: p.rssKb,
      threads: p.threads,
      ageSec: p.ageSec,
      subreaper: reparented > 0
        ? { value: true, how: `inferred: ${reparented} container process(es) that runc forked are its children, which only a child subreaper receives once runc exits (PR_SET_CHILD_SUBREAPER is not shown in /proc)` }
        : { value: null, how: 'unknown: /proc does not show PR_SET_CHILD_SUBREAPER and the shim has no reparented children to infer it from' },
    };
    if (a.namespace) v.namespace = a.namespace;
    if (a.id) v.id = a.id;
    if (a.address) v.address = a.address;
    if (a.id) v.pod = ids.podOfSandbox.get(a.id) ?? { sandboxId: a.id };
    if (socket) v.socket = socket;
    if (probe) v.probe = probe;
    if (p.cpuPercentRecent !== undefined) v.cpuPercentRecent = p.cpuPercentRecent;
    if (p.fdCount !== undefined) v.fds = p.fdCount;
    out.push(v);
  }
  return out;
}
