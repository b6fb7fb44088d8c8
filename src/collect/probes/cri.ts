// CRI's answers, as kubelet and crictl get them: one list or status call each.
import type { Container, CriSecondAsk, PodSandbox, RuntimeStatusView, SandboxImageView, VersionView } from '../../snapshot/types/index.ts';
import type { CriClient } from '../../sources/cri/client.ts';
import { readCriStatusShape, runningSandboxImage } from '../../sources/containerd/layout.ts';
import { apiProbe, skip, type Probe } from '../probe.ts';

const criCall = <N extends string, T>(name: N, call: (c: CriClient) => Promise<T>): Probe<N, T> => apiProbe(name, (ctx) => ctx.cri(), call);

export const criVersion = criCall<'cri.version', VersionView>('cri.version', (c) => c.version());
/** Verbose: its info carries the config the CRI plugin runs with (layout.ts reads it). */
export const criStatus = criCall<'cri.status', RuntimeStatusView>('cri.status', (c) => c.status(true));
export const criPods = criCall<'cri.pods', PodSandbox[]>('cri.pods', (c) => c.listPodSandbox());
export const criContainers = criCall<'cri.containers', Container[]>('cri.containers', (c) => c.listContainers());
export const criImages: Probe<'cri.images', string[]> = {
  name: 'cri.images',
  needs: [],
  budget: 'call',
  async run(ctx) {
    if (!ctx.apis) skip('not asked: --no-api');
    return (await ctx.listImages()).flatMap((i) => i.repoTags);
  },
};

/**
 * The sandbox image the running containerd uses: from its CRI Status (1.x), else the image
 * ListImages marks pinned (2.x keeps the sandbox image out of Status; layout.ts).
 */
export const criSandboxImage: Probe<'cri.sandboxImage', SandboxImageView> = {
  name: 'cri.sandboxImage',
  needs: ['cri.status'],
  budget: 'call',
  async run(ctx, got) {
    if (!ctx.apis) skip('not asked: --no-api');
    const status = got.result('cri.status');
    if (status?.status !== 'ok') skip(`CRI Status did not answer (${status?.status ?? 'not asked'})`);
    const shape = readCriStatusShape(status.data!.info);
    if (!shape) skip('the CRI Status has no config (not containerd\'s CRI plugin, or not verbose)');
    const view = runningSandboxImage(shape) ?? runningSandboxImage(shape, await ctx.listImages());
    return view!;
  },
};

/** The longest the second ask waits (cut to what is left of the run). */
const SECOND_ASK_MS = 5000;

/**
 * When a CRI call ran out of its deadline: Version once more, on a fresh connection, with a longer
 * deadline. A containerd that answers then was slow (a busy node: churn, load), not hung; one
 * that does not answer again is what CRI_UNRESPONSIVE is about. kubelet itself waits 2 min.
 */
const FIRST_ASKS = ['cri.version', 'cri.status', 'cri.pods', 'cri.containers'] as const;

export const criSecondAsk: Probe<'cri.secondAsk', CriSecondAsk> = {
  name: 'cri.secondAsk',
  needs: [...FIRST_ASKS],
  budget: SECOND_ASK_MS,
  async run(ctx, got) {
    if (!ctx.apis) skip('not asked: --no-api');
    const late = FIRST_ASKS.filter((n) => got.result(n)?.status === 'timeout');
    if (!late.length) skip('every CRI call answered in time');
    const { openCri } = await import('../../sources/cri/client.ts');
    const deadlineMs = Math.max(0, ctx.budget(SECOND_ASK_MS) - 100);
    const cri = openCri(ctx.stack.runtimeEndpoint, { timeoutMs: deadlineMs });
    const t0 = performance.now();
    try {
      await cri.version();
      return { ms: Math.round(performance.now() - t0), deadlineMs };
    } finally {
      cri.close();
    }
  },
};
