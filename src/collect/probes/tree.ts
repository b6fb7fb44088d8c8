// The process tree joined with CRI, containerd's tasks, the shims and runc's state (src/tree),
// and the facts the doctor judges.
import type { ProcessTreeView } from '../../snapshot/types/tree.ts';
import { skip, type Probe } from '../probe.ts';

export const tree: Probe<'tree', ProcessTreeView> = {
  name: 'tree',
  needs: ['proc', 'stack', 'runc', 'bundles', 'shims', 'shims.cpu', 'cri.pods', 'cri.containers', 'cri.containerDetails', 'cri.sandboxDetails', 'containerd.tasks'],
  budget: 'call',
  async run(ctx, got) {
    const proc = got.data('proc');
    if (!proc) skip(`no process table: ${got.result('proc')?.message ?? 'not read'}`);
    const [{ buildProcessTree }, { fillCmdlines, finishCpuSample }] = await Promise.all([import('../../tree/build.ts'), import('../../sources/proc/scan.ts')]);
    // the second CPU sample: the window is what the other inputs took, at least the one asked for
    const first = got.data('shims.cpu');
    let cpuWindowMs: number | undefined;
    if (first) {
      const wait = (ctx.opts.cpuSampleMs ?? 0) - (performance.now() - first.at);
      if (wait > 0) await new Promise((r) => setTimeout(r, Math.min(wait, Math.max(0, ctx.budget() - 100))));
      cpuWindowMs = finishCpuSample(proc, first);
    }
    const s = got.data('stack') ?? ctx.stack;
    const pods = got.data('cri.pods');
    const containers = got.data('cri.containers');
    const inputs = {
      proc,
      runc: got.data('runc'),
      bundles: got.data('bundles'),
      cri: pods && containers
        ? { pods, containers, containerDetails: got.data('cri.containerDetails'), sandboxDetails: got.data('cri.sandboxDetails') }
        : undefined,
      tasks: got.data('containerd.tasks'),
      shimProbes: got.data('shims'),
      containerdPid: s.containerdPid,
      containerdAddress: s.address,
      all: ctx.opts.allProcesses,
      stuckInitSec: ctx.stuckAfterSec,
      cpuWindowMs,
      now: Date.now(),
    };
    const view = buildProcessTree(inputs);
    // a scan of the stack's argv only: read the argv of the other processes the tree shows, then rebuild
    const byPid = new Map(proc.processes.map((p) => [p.pid, p]));
    const missing = new Set(view.processes.filter((t) => {
      const p = byPid.get(t.pid);
      return p && !p.cmdline.length && !p.kernelThread && p.state !== 'Z';
    }).map((t) => t.pid));
    if (!missing.size) return view;
    fillCmdlines(proc.procRoot, proc.processes, missing);
    return buildProcessTree(inputs);
  },
};
