// runc's state root (status derived as runc does) and containerd's task bundles, read right
// after the /proc scan so the two agree (a runc init started in between is not half-seen), then
// read again where the running CRI plugin says they are, if that is somewhere else.
import type { StackLocation } from '../../snapshot/types/index.ts';
import type { RuncRootView, TaskBundleView } from '../../snapshot/types/runc.ts';
import { skip, type Probe } from '../probe.ts';
import type { CollectContext } from '../context.ts';
import type { Got } from '../results.ts';

/** Reads where discovery says, then again where the CRI plugin says, when that differs (the 'stack' probe). */
async function readWhereCriSays<T>(ctx: CollectContext, got: Got, key: (s: StackLocation) => string, read: (s: StackLocation) => T): Promise<T> {
  const first = read(ctx.stack);
  const located = (await got.settled('stack'))?.data;
  return located && key(located) !== key(ctx.stack) ? read(located) : first;
}

export const runc: Probe<'runc', RuncRootView> = {
  name: 'runc',
  needs: ['proc'],
  budget: 'call',
  async run(ctx, got) {
    const { readRuncRoot } = await import('../../sources/runc/state.ts');
    const v = await readWhereCriSays(ctx, got, (s) => s.runcRoot, (s) => readRuncRoot(s.runcRoot));
    if (v.error && !v.containers.length) {
      if (/ENOENT|no such file/i.test(v.error)) skip(`no runc root at ${v.root}`);
      throw new Error(v.error);
    }
    return v;
  },
};

export const bundles: Probe<'bundles', TaskBundleView> = {
  name: 'bundles',
  needs: ['proc'],
  budget: 'call',
  async run(ctx, got) {
    const { readTaskBundles } = await import('../../sources/runc/bundles.ts');
    return readWhereCriSays(ctx, got, (s) => `${s.stateDir}\0${s.namespace}`, (s) => readTaskBundles(s.stateDir, s.namespace));
  },
};
