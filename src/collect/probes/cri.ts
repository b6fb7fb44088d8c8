// CRI's answers, as kubelet and crictl get them: one list or status call each.
import type { Container, PodSandbox, RuntimeStatusView, VersionView } from '../../snapshot/types/index.ts';
import type { CriClient } from '../../sources/cri/client.ts';
import { apiProbe, type Probe } from '../probe.ts';

const criCall = <N extends string, T>(name: N, call: (c: CriClient) => Promise<T>): Probe<N, T> => apiProbe(name, (ctx) => ctx.cri(), call);

export const criVersion = criCall<'cri.version', VersionView>('cri.version', (c) => c.version());
/** Verbose: its info carries the config the CRI plugin runs with (layout.ts reads it). */
export const criStatus = criCall<'cri.status', RuntimeStatusView>('cri.status', (c) => c.status(true));
export const criPods = criCall<'cri.pods', PodSandbox[]>('cri.pods', (c) => c.listPodSandbox());
export const criContainers = criCall<'cri.containers', Container[]>('cri.containers', (c) => c.listContainers());
export const criImages = criCall<'cri.images', string[]>('cri.images', async (c) => (await c.listImages()).flatMap((i) => i.repoTags));
