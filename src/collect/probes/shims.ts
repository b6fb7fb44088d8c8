// Each shim: a ttrpc Connect on its socket (liveness and latency), and the first of two CPU
// samples, taken after those Connects so their handling does not count as the shims' work.
import type { ShimProbe } from '../../snapshot/types/tree.ts';
import type { CpuSample } from '../../sources/proc/scan.ts';
import { skip, type Probe } from '../probe.ts';

export const shims: Probe<'shims', ShimProbe[]> = {
  name: 'shims',
  needs: ['bundles'],
  budget: 'call',
  async run(ctx, got) {
    if (ctx.opts.probeShims === false) skip('not asked');
    const b = got.data('bundles');
    if (!b) skip('no task bundles read');
    const { probeShimSockets } = await import('../../sources/shim/probe.ts');
    return probeShimSockets(b, Math.max(50, ctx.budget() - 100));
  },
};

/** The first CPU sample of every shim; the tree takes the second (src/collect/probes/tree.ts). */
export const shimsCpu: Probe<'shims.cpu', CpuSample> = {
  name: 'shims.cpu',
  needs: ['proc', 'shims'],
  budget: 'call',
  async run(ctx, got) {
    if (!ctx.opts.cpuSampleMs) skip('no CPU sample asked');
    const proc = got.data('proc');
    if (!proc) skip('no process table');
    const { isShimProcess, startCpuSample } = await import('../../sources/proc/scan.ts');
    return startCpuSample(proc, proc.processes.filter((p) => isShimProcess(p)).map((p) => p.pid));
  },
};
