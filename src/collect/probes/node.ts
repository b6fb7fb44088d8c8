// The node under the stack: load, memory, PSI, file handles, pids, inotify, D-state tasks,
// frozen cgroups, the kernel log.
import type { NodeView } from '../../snapshot/types/index.ts';
import type { Probe } from '../probe.ts';
import { logWindowOf } from './logs.ts';

const NODE_MS = 3000;

export const node: Probe<'node', NodeView> = {
  name: 'node',
  needs: ['proc', 'containerd.process'],
  budget: NODE_MS,
  async run(ctx, got) {
    const { collectNode } = await import('../../sources/node/source.ts');
    // the scan's processes (state, D-state stacks) spare reading every stat again
    return collectNode({ deadlineMs: NODE_MS - 200, processes: got.data('proc')?.processes, logWindow: await logWindowOf(ctx, got) });
  },
};
