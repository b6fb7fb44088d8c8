// Whose is each shim: several containerd daemons may run (Docker's beside Kubernetes', k3s's
// beside a system one), and a shim says whose it is with -address. Another daemon's processes,
// its shims and everything under them are not this stack's (shown only with --all, judged by
// nothing). So is runc's work in another runc root: a `runc --root R` call, and a runc init
// whose exec.fifo (held open from `runc create` until `runc start`) lies under R, even when its
// `runc create` has exited and it hangs under init with no shim to say whose it is.
import { dirname, normalize } from 'node:path';
import type { ProcessInfo } from '../snapshot/types/proc.ts';
import { parseContainerdArgs, runcRoot } from '../sources/proc/argv.ts';
import type { Placed, ProcIndex, TreeInputs } from './inputs.ts';

/** The runc root a runc call or a runc init works in, when it says: --root, or its exec.fifo's dir's parent. */
export function runcRootOf(p: ProcessInfo, role: Placed['role']): string | undefined {
  if (role === 'runc') {
    const r = runcRoot(p.cmdline);
    return r ? normalize(r) : undefined;
  }
  if (role !== 'runc-init') return undefined;
  const fifo = Object.values(p.fdTargets ?? {}).find((t) => t.endsWith('/exec.fifo'));
  // <root>/<container id>/exec.fifo
  return fifo ? dirname(dirname(fifo)) : undefined;
}

/** Processes that belong to another containerd than the stack's. */
export function foreignProcesses(inp: TreeInputs, index: ProcIndex, placed: Map<number, Placed>): Set<number> {
  const foreign = new Set<number>();
  const ours = inp.containerdAddress;
  const ourRuncRoot = inp.runc && !inp.runc.error ? normalize(inp.runc.root) : undefined;
  const addSubtree = (pid: number): void => {
    const stack = [pid];
    while (stack.length) {
      const x = stack.pop()!;
      if (foreign.has(x)) continue;
      foreign.add(x);
      for (const c of index.childrenOf.get(x) ?? []) stack.push(c);
    }
  };
  for (const p of inp.proc.processes) {
    const role = placed.get(p.pid)!.role;
    if (role === 'containerd' && inp.containerdPid && p.pid !== inp.containerdPid) foreign.add(p.pid);
    const root = ourRuncRoot && runcRootOf(p, role);
    if (root && root !== ourRuncRoot) addSubtree(p.pid);
    const a = index.shimArgs.get(p.pid);
    if (!a || !ours) continue;
    // A dead shim's command line is empty, so it cannot say whose it was: when we know our own
    // containerd, a defunct shim is ours only if our containerd is its parent (containerd#5708).
    if (!a.address && p.state === 'Z' && p.ppid !== inp.containerdPid) foreign.add(p.pid);
    if (a.address && a.address !== ours) addSubtree(p.pid);
  }
  return foreign;
}

/** Each shim under the containerd that started it: by -address, else ours, else the only one. */
export function shimsByOwner(inp: TreeInputs, index: ProcIndex, containerdPids: number[]): { byOwner: Map<number, number[]>; unowned: number[] } {
  const addressOf = new Map(containerdPids.map((pid) => [pid, parseContainerdArgs(index.procs.get(pid)!.cmdline).address]));
  const ownerOf = (shimPid: number): number | undefined => {
    const a = index.shimArgs.get(shimPid)!;
    const byArgs = containerdPids.find((c) => a.address && addressOf.get(c) === a.address);
    if (byArgs) return byArgs;
    if (inp.containerdPid && index.procs.has(inp.containerdPid) && a.address && a.address === inp.containerdAddress) return inp.containerdPid;
    if (containerdPids.length === 1) return containerdPids[0];
    return undefined; // several, and the shim's address matches none of them
  };
  const byOwner = new Map<number, number[]>();
  const unowned: number[] = [];
  for (const pid of [...index.shimArgs.keys()].sort((a, b) => a - b)) {
    const owner = ownerOf(pid);
    if (owner === undefined) unowned.push(pid);
    else {
      let l = byOwner.get(owner);
      if (!l) byOwner.set(owner, (l = []));
      l.push(pid);
    }
  }
  return { byOwner, unowned };
}
