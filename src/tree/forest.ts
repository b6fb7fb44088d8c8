// The rows of the tree, in `ps --forest` order: each containerd with its shims and their
// subtrees; shims no containerd claims; then the stack's processes under neither (runc, parked
// inits, orphans) as their own subtrees; with --all, every other process too.
import type { ProcessInfo } from '../snapshot/types/proc.ts';
import type { TreeProcess } from '../snapshot/types/tree.ts';
import type { ShimArgs } from '../sources/proc/argv.ts';
import { runcAction } from '../sources/proc/argv.ts';
import { containerRefOf, podOfContainer, type Identities } from './identities.ts';
import type { Placed, ProcIndex, TreeInputs } from './inputs.ts';
import { shimsByOwner } from './ownership.ts';

function commandOf(p: ProcessInfo): string {
  if (p.cmdline.length) return p.cmdline.join(' ');
  return p.state === 'Z' ? `[${p.comm}] <defunct>` : `[${p.comm}]`;
}

export function toTreeProcess(p: ProcessInfo, pl: Placed, depth: number, parent: number, ids: Identities, shim?: ShimArgs): TreeProcess {
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
    if (shim.id && !t.pod) t.pod = ids.podOfSandbox.get(shim.id) ?? { sandboxId: shim.id };
  }
  if (pl.role === 'runc-init') t.runcStage = p.comm;
  if (pl.role === 'runc') {
    const a = runcAction(p.cmdline);
    if (a) t.runcAction = a;
  }
  if (pl.role === 'zombie' && shim && !pl.notes.includes('defunct shim')) pl.notes.push('defunct shim');
  if (pl.notes.length) t.notes = [...pl.notes];
  return t;
}

export function orderForest(inp: TreeInputs, index: ProcIndex, placed: Map<number, Placed>, foreign: Set<number>): TreeProcess[] {
  const { procs, childrenOf, shimArgs, ids } = index;
  const out: TreeProcess[] = [];
  const printed = new Set<number>();
  const row = (p: ProcessInfo, depth: number, parent: number) => {
    printed.add(p.pid);
    out.push(toTreeProcess(p, placed.get(p.pid)!, depth, parent, ids, shimArgs.get(p.pid)));
  };
  const relevant = (pid: number): boolean => {
    if (foreign.has(pid)) return false;
    const pl = placed.get(pid)!;
    return pl.role !== 'other' || !!pl.containerId;
  };
  const containerdPids = inp.proc.processes.filter((p) => placed.get(p.pid)!.role === 'containerd').map((p) => p.pid);

  const emit = (pid: number, depth: number, parent: number): void => {
    const p = procs.get(pid);
    if (!p || printed.has(pid)) return;
    row(p, depth, parent);
    for (const c of childrenOf.get(pid) ?? []) {
      if (shimArgs.has(c) && containerdPids.includes(pid)) continue; // placed under its containerd below
      emit(c, depth + 1, pid);
    }
  };
  const emitRelevant = (pid: number, depth: number, parent: number): void => {
    const p = procs.get(pid);
    if (!p || printed.has(pid)) return;
    row(p, depth, parent);
    for (const c of childrenOf.get(pid) ?? []) if (relevant(c)) emitRelevant(c, depth + 1, pid);
  };

  // each containerd and the shims it started, then shims no containerd claims
  const { byOwner, unowned } = shimsByOwner(inp, index, containerdPids);
  for (const c of containerdPids) {
    if (foreign.has(c) && !inp.all) continue;
    emit(c, 0, 0);
    for (const s of byOwner.get(c) ?? []) if (!foreign.has(s) || inp.all) emit(s, 1, c);
  }
  for (const s of unowned) if (!foreign.has(s) || inp.all) emit(s, 0, 0);
  // stack processes under neither, from their topmost relevant ancestor so a subtree prints once, in order
  const topOf = (pid: number): number => {
    let top = pid;
    let up = procs.get(top)?.ppid;
    while (up && procs.has(up) && !printed.has(up) && relevant(up)) {
      top = up;
      up = procs.get(up)?.ppid;
    }
    return top;
  };
  for (const p of inp.proc.processes) {
    if (!printed.has(p.pid) && relevant(p.pid) && !p.kernelThread) emitRelevant(topOf(p.pid), 0, 0);
  }
  if (inp.all) emitEverything(inp, index, printed, row);
  return out;
}

/** --all: every other process, as ps --forest would show it. */
function emitEverything(inp: TreeInputs, index: ProcIndex, printed: Set<number>, row: (p: ProcessInfo, depth: number, parent: number) => void): void {
  const { procs, childrenOf } = index;
  const emitAll = (pid: number, depth: number, parent: number): void => {
    const p = procs.get(pid);
    if (!p) return;
    if (!printed.has(pid)) row(p, depth, parent);
    for (const c of childrenOf.get(pid) ?? []) if (!printed.has(c)) emitAll(c, depth + 1, pid);
  };
  const roots = inp.proc.processes.filter((p) => !procs.has(p.ppid) || p.ppid === p.pid).map((p) => p.pid).sort((a, b) => a - b);
  for (const r of roots) emitAll(r, 0, 0);
  for (const p of inp.proc.processes) if (!printed.has(p.pid)) emitAll(p.pid, 0, 0); // cycles: never, but never lose a row
}
