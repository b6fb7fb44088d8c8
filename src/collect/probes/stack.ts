// The stack as the running CRI plugin says it is: its verbose Status corrects the root, state
// and runc dirs where no flag set them (a config ctrdoc could not read, imports it does not
// follow). Status is usually in before the /proc scan is done; a hung one is waited for 1 s.
import type { StackLocation } from '../../snapshot/types/index.ts';
import type { Probe } from '../probe.ts';

export const stack: Probe<'stack', StackLocation> = {
  name: 'stack',
  needs: ['cri.status'],
  waitForNeedsMs: 1000,
  budget: 'call',
  async run(ctx, got) {
    const { refineFromCri } = await import('../../sources/containerd/discover.ts');
    return refineFromCri(ctx.stack, got.data('cri.status')?.info);
  },
};
