// CRI's answers, as kubelet and crictl get them: one list or status call each.
import type { Container, PodSandbox, RuntimeStatusView, SandboxImageView, VersionView } from '../../snapshot/types/index.ts';
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
