// /proc: every process's stat and argv, details for the stack's (containerd, shims, runc, runc init).
import type { ProcTable } from '../../snapshot/types/proc.ts';
import type { Probe } from '../probe.ts';

export const proc: Probe<'proc', ProcTable> = {
  name: 'proc',
  needs: [],
  budget: 'call',
  async run(ctx) {
    if (ctx.opts.procTable) return ctx.opts.procTable;
    const { scanProcesses } = await import('../../sources/proc/scan.ts');
    return scanProcesses({ cmdlines: ctx.opts.cmdlines ?? 'all' });
  },
};
