// runc's state root (status derived as runc does) and containerd's task bundles, read right
// after the /proc scan so the two agree (a runc init started in between is not half-seen), then
// read again where the running CRI plugin says they are, if that is somewhere else.
import type { StackLocation } from '../../snapshot/types/index.ts';
import type { ProcTable } from '../../snapshot/types/proc.ts';
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

/**
 * The inits runc's state names that the scan did not see: started between the scan and the read
 * (a kubelet retry, each few seconds on a hung start). Read now and added to the table, with the
 * details a runc init gets, so the tree shows every init the state names.
 */
export async function addLateInits(table: ProcTable, v: RuncRootView): Promise<void> {
  const have = new Set(table.processes.map((p) => p.pid));
  const late = [...new Set(v.containers.map((c) => c.initPid).filter((pid): pid is number => !!pid && !have.has(pid)))];
  if (!late.length) return;
  const { readBase, readDetails, readSystemClock, stackDetailSelection } = await import('../../sources/proc/scan.ts');
  const clock = readSystemClock(table.procRoot);
  for (const pid of late) {
    const p = readBase(table.procRoot, pid, clock);
    if (!p) continue; // exited: the state says so too
    const req = stackDetailSelection([p]).get(pid);
    if (!req || readDetails(table.procRoot, p, req)) table.processes.push(p);
  }
}

export const runc: Probe<'runc', RuncRootView> = {
  name: 'runc',
  needs: ['proc'],
  budget: 'call',
  async run(ctx, got) {
    const { readRuncRoot } = await import('../../sources/runc/state.ts');
    const table = got.data('proc');
    // the scan's stat of each init (same instant as the tree's) spares reading it again
    const scanned = table && new Map(table.processes.map((p) => [p.pid, { starttime: p.starttime, state: p.state }]));
    const v = await readWhereCriSays(ctx, got, (s) => s.runcRoot, (s) => readRuncRoot(s.runcRoot, { scanned }));
    if (table) await addLateInits(table, v);
    if (v.error && !v.containers.length) {
      if (/ENOENT|no such file/i.test(v.error)) skip(`no runc root at ${v.root}`);
      throw new Error(v.error);
    }
    return v;
  },
};

export const bundles: Probe<'bundles', TaskBundleView> = {
  name: 'bundles',
  // after runc's state: the sandbox ids it names spare reading those bundles' specs
  needs: ['proc', 'runc'],
  budget: 'call',
  async run(ctx, got) {
    const { readTaskBundles } = await import('../../sources/runc/bundles.ts');
    const sandboxIds = new Map<string, string>();
    for (const c of got.data('runc')?.containers ?? []) if (c.kube.sandboxId) sandboxIds.set(c.id, c.kube.sandboxId);
    return readWhereCriSays(ctx, got, (s) => `${s.stateDir}\0${s.namespace}`, (s) => readTaskBundles(s.stateDir, s.namespace, undefined, sandboxIds));
  },
};
