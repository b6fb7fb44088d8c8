// The kubelet, log and node probes of collect().
import type { CollectOptions } from './collect.ts';
import type { KubeletView, LogScan, NodeView, ProbeResult } from './types/index.ts';
import { skip } from './probe.ts';

type ProbeFn = <T>(name: string, fn: () => Promise<T> | T, ms?: number) => Promise<ProbeResult<T>>;

export async function collectLayers(_opts: CollectOptions, probe: ProbeFn): Promise<{
  kubelet: ProbeResult<KubeletView>;
  kubeletLog: ProbeResult<LogScan>;
  containerdLog: ProbeResult<LogScan>;
  node: ProbeResult<NodeView>;
}> {
  const [kubelet, kubeletLog, containerdLog, node] = await Promise.all([
    probe<KubeletView>('kubelet', () => skip('kubelet source not wired yet')),
    probe<LogScan>('kubelet.log', () => skip('log source not wired yet')),
    probe<LogScan>('containerd.log', () => skip('log source not wired yet')),
    probe<NodeView>('node', () => skip('node source not wired yet')),
  ]);
  return { kubelet, kubeletLog, containerdLog, node };
}
