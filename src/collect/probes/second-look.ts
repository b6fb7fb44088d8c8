// The doctor's second look at the tree's facts that join reads of different instants
// (src/collect/second-look.ts) and at the stack's processes in D: the tree's probes again, a
// moment later; only the facts seen twice, and the processes still in D, are judged.
import type { ProcessTreeView, TreeFact } from '../../snapshot/types/tree.ts';
import { skip, type Probe } from '../probe.ts';
import { LATE_LOOK_DELAY_MS, SECOND_LOOK_DELAY_MS, confirmLater, confirmTree, inD, keptForSecondLook, notTaken, racyFacts } from '../second-look.ts';

/**
 * The delays, a /proc scan, the lists and runc's root again (twice when facts outlive the second
 * look); a shim's CPU sample when that was the fact. Measured: the two looks take 2.35 s on a
 * lab with one pod, also with both cores loaded (test/e2e/second-look.test.ts); a tree at 220
 * containers takes ~220 ms (bench/).
 */
const SECOND_LOOK_MS = 5000;
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
    const look = async (which: 'second' | 'late', delayMs: number, racyNow: readonly TreeFact[]): Promise<ProcessTreeView | string> => {
      await new Promise((r) => setTimeout(r, delayMs));
      const { collectProbes } = await import('../run.ts');
      const again = await collectProbes(['tree'], {
        ...ctx.opts,
        procTable: undefined,
        // a shim's CPU is sampled again only when it was the fact, then over as long a window as the
        // first look's (which the other inputs stretched past the asked one: 300 ms against 150 on a
        // healthy lab): a shorter one counts fewer 10 ms ticks and raises the outlier's floor, and
        // the second look dropped a busy shim at 13% over 150 ms that was 26-44% over 300
        cpuSampleMs: racyNow.some((f) => f.kind === 'shim-outlier') ? Math.max(ctx.opts.cpuSampleMs ?? 0, first.thresholds.cpuWindowMs ?? 0) : 0,
        deadlineMs: until - Date.now() - 150,
        reuse: keptForSecondLook((p) => got.result(p), racyNow),
        // each probe of the look, named for it: where a long run's time goes (CTRDOC_DEBUG)
        onProgress: ctx.opts.onProgress && ((t) => ctx.opts.onProgress!({ ...t, probe: `${which} look: ${t.probe}` })),
      });
      return again.data('tree') ?? `the tree could not be built again (${again.result('tree')?.message ?? 'no result'})`;
    };
    const second = await look('second', SECOND_LOOK_DELAY_MS, racy);
    if (typeof second === 'string') return notTaken(first, second, Date.now() - t0);
    const confirmed = confirmTree(first, second, Date.now() - t0);
    // facts that outlived the second look: once more, later, when the run has the time
    const still = racyFacts(confirmed);
    if (!still.length || confirmed.secondLook.note || until - Date.now() < LATE_LOOK_DELAY_MS + MIN_LEFT_MS) return confirmed;
    const late = await look('late', LATE_LOOK_DELAY_MS, still);
    if (typeof late === 'string') return { ...confirmed, secondLook: { ...confirmed.secondLook, note: `late look not taken: ${late}` } };
    return confirmLater(confirmed, late, Date.now() - t0);
  },
};
