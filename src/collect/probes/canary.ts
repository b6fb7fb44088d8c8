// Opt-in (doctor --canary): proves the node can start a container, with a scratch pod. Its own
// deadline sits inside the probe's, so a hung step comes back as "failed at run-sandbox", not
// as a probe that timed out.
import type { CanaryResult } from '../../snapshot/types/index.ts';
import { skip, type Probe } from '../probe.ts';

const CANARY_MS = 8000;

export const canary: Probe<'canary', CanaryResult> = {
  name: 'canary',
  needs: [],
  budget: CANARY_MS,
  async run(ctx) {
    if (!ctx.opts.canary) skip('not asked (doctor --canary)');
    const { runCanary } = await import('../../sources/cri/canary.ts');
    return runCanary(ctx.stack, ctx.budget(CANARY_MS) - 500);
  },
};
