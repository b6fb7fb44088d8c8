// The process tree of the containerd stack: containerd → shims (pod, sandbox id) → pause → app
// containers → their children, each process with its role and Kubernetes names, plus the shims'
// own view and the facts the doctor judges (src/tree/facts/). Pure: plain data in and out.
// The steps, each in its own module: index the table, place each process (roles.ts), tell this
// stack's processes from another containerd's (ownership.ts), order the rows (forest.ts), the
// shims' view (shim-views.ts), then the facts.
import type { ProcessInfo } from '../snapshot/types/proc.ts';
import type { ProcessTreeView } from '../snapshot/types/tree.ts';
import type { ShimArgs } from '../sources/proc/argv.ts';
import { parseShimArgs } from '../sources/proc/argv.ts';
import { isShimProcess, maybeStackBinary } from '../sources/proc/scan.ts';
import { buildIdentities } from './identities.ts';
import { DEFAULT_STUCK_INIT_SEC, type ProcIndex, type TreeInputs } from './inputs.ts';
import { placeProcesses } from './roles.ts';
import { foreignProcesses } from './ownership.ts';
import { orderForest } from './forest.ts';
import { shimViews } from './shim-views.ts';
import { treeFacts } from './facts/index.ts';

export { DEFAULT_STUCK_INIT_SEC, type TreeInputs } from './inputs.ts';

/** The table indexed once: by pid, children by parent, every shim's flags, who is who. */
export function indexProcesses(inp: TreeInputs): ProcIndex {
  const procs = new Map<number, ProcessInfo>();
  const childrenOf = new Map<number, number[]>();
  const shimArgs = new Map<number, ShimArgs>();
  for (const p of inp.proc.processes) {
    procs.set(p.pid, p);
    let l = childrenOf.get(p.ppid);
    if (!l) childrenOf.set(p.ppid, (l = []));
    l.push(p.pid);
    if (!p.kernelThread && maybeStackBinary(p) && isShimProcess(p)) shimArgs.set(p.pid, parseShimArgs(p.cmdline));
  }
  for (const l of childrenOf.values()) l.sort((a, b) => a - b);
  const ids = buildIdentities(procs, inp.runc?.containers ?? [], inp.cri, inp.tasks);
  return { procs, childrenOf, shimArgs, ids };
}

export function buildProcessTree(inp: TreeInputs): ProcessTreeView {
  const now = inp.now ?? Date.now();
  const stuckInitSec = inp.stuckInitSec ?? DEFAULT_STUCK_INIT_SEC;
  const index = indexProcesses(inp);
  const placed = placeProcesses(inp, index);
  const foreign = foreignProcesses(inp, index, placed);
  const view: ProcessTreeView = {
    builtAt: new Date(now).toISOString(),
    processes: orderForest(inp, index, placed, foreign),
    shims: shimViews(inp, index, placed).filter((v) => inp.all || !foreign.has(v.pid)),
    facts: [],
    inputs: {
      proc: true,
      runc: !!inp.runc && !inp.runc.error,
      cri: !!inp.cri,
      tasks: !!inp.tasks,
      bundles: !!inp.bundles && !inp.bundles.error,
      shimProbes: !!inp.shimProbes,
    },
    thresholds: { stuckInitSec, ...(inp.cpuWindowMs !== undefined ? { cpuWindowMs: inp.cpuWindowMs } : {}) },
  };
  // another containerd's (or runc root's) processes are never judged, even when --all shows them
  const ours = inp.all ? { ...view, processes: view.processes.filter((t) => !foreign.has(t.pid)), shims: view.shims.filter((v) => !foreign.has(v.pid)) } : view;
  view.facts = treeFacts({ ...index, inp, view: ours, now, stuckInitSec });
  // the other daemons themselves stay the node's to judge (one in D is the node's problem too)
  const foreignPids = [...foreign].filter((pid) => placed.get(pid)?.role !== 'containerd').sort((a, b) => a - b);
  if (foreignPids.length) view.foreignPids = foreignPids;
  return view;
}
