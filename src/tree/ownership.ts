// Whose is each shim: several containerd daemons may run (Docker's beside Kubernetes'), and a
// shim says whose it is with -address. Another daemon's processes, its shims and everything under
// them are not this stack's (shown only with --all).
import { parseContainerdArgs } from '../sources/proc/argv.ts';
import type { Placed, ProcIndex, TreeInputs } from './inputs.ts';

/** Processes that belong to another containerd than the stack's. */
export function foreignProcesses(inp: TreeInputs, index: ProcIndex, placed: Map<number, Placed>): Set<number> {
  const foreign = new Set<number>();
  const ours = inp.containerdAddress;
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
    if (placed.get(p.pid)!.role === 'containerd' && inp.containerdPid && p.pid !== inp.containerdPid) foreign.add(p.pid);
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
