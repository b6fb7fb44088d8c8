// The doctor's second look at the tree's facts that join reads of different instants
// (src/collect/second-look.ts) and at the stack's processes in D: the tree's probes again, a
// moment later; only the facts seen twice, and the processes still in D, are judged.
import type { ProcessTreeView } from '../../snapshot/types/tree.ts';
import { skip, type Probe } from '../probe.ts';
import { SECOND_LOOK_DELAY_MS, confirmTree, inD, keptForSecondLook, notTaken, racyFacts } from '../second-look.ts';

/** The delay, a /proc scan, the lists and runc's root again; a shim's CPU sample when that was the fact. */
const SECOND_LOOK_MS = 3000;
/** Less than this left of the run: the first look's facts stand (said so). */
const MIN_LEFT_MS = SECOND_LOOK_DELAY_MS + 500;

export const treeSecondLook: Probe<'tree.secondLook', ProcessTreeView> = {
  name: 'tree.secondLook',
  needs: ['tree'],
  budget: SECOND_LOOK_MS,
  async run(ctx, got) {
    const first = got.data('tree');
    if (!first) skip('no tree to look at again');
    const racy = racyFacts(first);
    if (!racy.length && !inD(first).length) skip('no fact that joins reads of different instants, no process of the stack in D');
    const t0 = Date.now();
    // this probe's own deadline (run.ts gave it this budget as it started): the second run ends before it
    const until = t0 + ctx.budget(SECOND_LOOK_MS);
    if (until - t0 < MIN_LEFT_MS) return notTaken(first, 'too little of the deadline left', 0);
    await new Promise((r) => setTimeout(r, SECOND_LOOK_DELAY_MS));
    const { collectProbes } = await import('../run.ts');
    const again = await collectProbes(['tree'], {
      ...ctx.opts,
      procTable: undefined,
      // a shim's CPU is sampled again only when it was the fact, then over as long a window as the
      // first look's (which the other inputs stretched past the asked one: 300 ms against 150 on a
      // healthy lab): a shorter one counts fewer 10 ms ticks and raises the outlier's floor, and
      // the second look dropped a busy shim at 13% over 150 ms that was 26-44% over 300
      cpuSampleMs: racy.some((f) => f.kind === 'shim-outlier') ? Math.max(ctx.opts.cpuSampleMs ?? 0, first.thresholds.cpuWindowMs ?? 0) : 0,
      deadlineMs: until - Date.now() - 150,
      reuse: keptForSecondLook((p) => got.result(p), racy),
      onProgress: undefined,
    });
    const second = again.data('tree');
    if (!second) return notTaken(first, `the tree could not be built again (${again.result('tree')?.message ?? 'no result'})`, Date.now() - t0);
    return confirmTree(first, second, Date.now() - t0);
  },
};
