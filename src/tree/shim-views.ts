// Each long-lived shim as `ctrdoc shims` shows it: pod, socket and its ttrpc answer, children,
// the containers under it, resources, and whether it is a child subreaper as far as /proc tells.
import type { ShimView } from '../snapshot/types/tree.ts';
import type { Placed, ProcIndex, TreeInputs } from './inputs.ts';

/** A shim's children: the containers they belong to, whether one is the pause, how many were reparented to it. */
function childrenOfShim(children: number[], placed: Map<number, Placed>): { containers: string[]; hasPause: boolean; reparented: number } {
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
  return { containers, hasPause, reparented };
}

export function shimViews(inp: TreeInputs, index: ProcIndex, placed: Map<number, Placed>): ShimView[] {
  const out: ShimView[] = [];
  const bundles = inp.bundles?.bundles ?? [];
  for (const [pid, a] of [...index.shimArgs].sort((x, y) => x[0] - y[0])) {
    if (a.action) continue; // `shim start` / `shim delete`: transient
    const p = index.procs.get(pid)!;
    const children = index.childrenOf.get(pid) ?? [];
    const { containers, hasPause, reparented } = childrenOfShim(children, placed);
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
    const optional: Partial<ShimView> = {
      namespace: a.namespace, id: a.id, address: a.address, pod: a.id ? index.ids.podOfSandbox.get(a.id) ?? { sandboxId: a.id } : undefined,
      socket, probe, cpuPercentRecent: p.cpuPercentRecent, fds: p.fdCount,
    };
    for (const [k, x] of Object.entries(optional)) if (x !== undefined && x !== '') (v as unknown as Record<string, unknown>)[k] = x;
    out.push(v);
  }
  return out;
}
