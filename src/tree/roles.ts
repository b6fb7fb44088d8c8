// Where each process sits: first what it is by itself (containerd, shim, runc, runc init,
// zombie), then the container it belongs to (claimed by runc state, a task or CRI; else its
// cgroup), inherited by its descendants; container processes with no live shim above are orphans.
import type { ProcessInfo } from '../snapshot/types/proc.ts';
import type { ProcessRole } from '../snapshot/types/tree.ts';
import { containerIdOfCgroupPath } from '../sources/proc/parse.ts';
import { isContainerdProcess, isRuncInitProcess, isRuncProcess, maybeStackBinary } from '../sources/proc/scan.ts';
import type { Placed, ProcIndex, TreeInputs } from './inputs.ts';

/** A shim that serves: alive, and not a transient `shim start` / `shim delete`. */
export function isLiveShim(index: ProcIndex, pid: number): boolean {
  const p = index.procs.get(pid);
  return !!p && index.shimArgs.has(pid) && p.state !== 'Z' && p.state !== 'X' && !index.shimArgs.get(pid)!.action;
}

/** The nearest live shim among a process's ancestors. */
export function shimAbove(index: ProcIndex, pid: number): number | undefined {
  const seen = new Set<number>();
  let cur = index.procs.get(pid)?.ppid;
  while (cur && !seen.has(cur)) {
    seen.add(cur);
    if (isLiveShim(index, cur)) return cur;
    cur = index.procs.get(cur)?.ppid;
  }
  return undefined;
}

/** What a process is by itself, before any container is known. */
function ownRole(p: ProcessInfo, index: ProcIndex): ProcessRole {
  if (p.kernelThread) return 'other';
  if (p.state === 'Z' || p.state === 'X') return 'zombie';
  if (index.shimArgs.has(p.pid)) return 'shim';
  if (!maybeStackBinary(p)) return 'other';
  if (isContainerdProcess(p)) return 'containerd';
  if (isRuncInitProcess(p)) return 'runc-init';
  if (isRuncProcess(p)) return 'runc';
  return 'other';
}

/** The container a process is claimed by (runc state, task, CRI pid), else the one its cgroup names. */
function claimedContainer(p: ProcessInfo, index: ProcIndex, runcIds: Set<string>): Pick<Placed, 'containerId' | 'matchedBy'> {
  const claimed = index.ids.containerOfPid.get(p.pid);
  if (claimed) return { containerId: claimed.id, matchedBy: claimed.matchedBy };
  for (const line of p.cgroup ?? []) {
    const cid = containerIdOfCgroupPath(line.path);
    if (cid && (index.ids.knownIds.has(cid) || runcIds.has(cid))) return { containerId: cid, matchedBy: 'cgroup' };
  }
  return {};
}

/** Children inherit their container from the nearest ancestor that has one (a shim stops the walk). */
function inheritContainers(inp: TreeInputs, index: ProcIndex, placed: Map<number, Placed>): void {
  const inherit = (pid: number): string | undefined => {
    const pl = placed.get(pid);
    if (!pl) return undefined;
    if (pl.containerId && pl.matchedBy !== 'cgroup') return pl.containerId;
    const p = index.procs.get(pid)!;
    if (p.ppid <= 1 || p.ppid === pid || index.shimArgs.has(p.ppid)) return pl.containerId;
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
}

/** Container processes with no live shim above them are orphans. */
function markOrphans(inp: TreeInputs, index: ProcIndex, placed: Map<number, Placed>): void {
  for (const p of inp.proc.processes) {
    const pl = placed.get(p.pid)!;
    if (!pl.containerId || index.shimArgs.has(p.pid) || shimAbove(index, p.pid) !== undefined) continue;
    if (pl.role === 'pause' || pl.role === 'app' || pl.role === 'child') {
      pl.notes.push(`would be ${pl.role}: no live shim above it`);
      pl.role = 'orphan';
    } else {
      pl.notes.push('no live shim above it');
    }
  }
}

export function placeProcesses(inp: TreeInputs, index: ProcIndex): Map<number, Placed> {
  const runcIds = new Set((inp.runc?.containers ?? []).map((r) => r.id));
  const placed = new Map<number, Placed>();
  for (const p of inp.proc.processes) {
    const pl: Placed = { role: ownRole(p, index), notes: [], ...claimedContainer(p, index, runcIds) };
    // a claimed process that is nothing by itself is the container's own: pause or app
    if (pl.role === 'other' && pl.containerId && pl.matchedBy !== 'cgroup') {
      pl.role = index.ids.containerOfId.get(pl.containerId)?.type === 'sandbox' ? 'pause' : 'app';
    }
    placed.set(p.pid, pl);
  }
  inheritContainers(inp, index, placed);
  markOrphans(inp, index, placed);
  return placed;
}
