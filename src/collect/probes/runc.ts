// runc's state root (status derived as runc does) and containerd's task bundles, where the
// running CRI plugin says they are.
import type { RuncRootView, TaskBundleView } from '../../snapshot/types/runc.ts';
import { skip, type Probe } from '../probe.ts';

export const runc: Probe<'runc', RuncRootView> = {
  name: 'runc',
  needs: ['stack'],
  budget: 'call',
  async run(ctx, got) {
    const { readRuncRoot } = await import('../../sources/runc/state.ts');
    const root = (got.data('stack') ?? ctx.stack).runcRoot;
    const v = readRuncRoot(root);
    if (v.error && !v.containers.length) {
      if (/ENOENT|no such file/i.test(v.error)) skip(`no runc root at ${root}`);
      throw new Error(v.error);
    }
    return v;
  },
};

export const bundles: Probe<'bundles', TaskBundleView> = {
  name: 'bundles',
  needs: ['stack'],
  budget: 'call',
  async run(ctx, got) {
    const { readTaskBundles } = await import('../../sources/runc/bundles.ts');
    const s = got.data('stack') ?? ctx.stack;
    return readTaskBundles(s.stateDir, s.namespace);
  },
};
