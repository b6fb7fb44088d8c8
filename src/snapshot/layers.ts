// The kubelet, log and node probes of collect().
import type { CollectOptions } from './collect.ts';
import type { KubeletView, LogScan, LogWindow, NodeView, ProbeResult } from './types/index.ts';
import { containerdLogTable, kubeletLogTable, scanLog } from '../sources/logs/index.ts';
import { collectKubelet } from '../sources/kubelet/source.ts';
import { collectNode } from '../sources/node/source.ts';

type ProbeFn = <T>(name: string, fn: () => Promise<T> | T, ms?: number) => Promise<ProbeResult<T>>;

/** Logs get a longer budget than RPCs: reading 8 MiB and matching every pattern takes a moment. */
const LOG_MS = 4000;
const KUBELET_MS = 3000;
const NODE_MS = 3000;

function logProbe(file: string | undefined, unit: string, table: () => ReturnType<typeof containerdLogTable>, window: LogWindow | undefined) {
  // no file given: the unit's journal; no journald or no such unit comes back skipped (failed-precondition)
  return (): Promise<LogScan> => scanLog(file ? { file } : { journalUnit: unit }, { table: table(), deadlineMs: LOG_MS - 200, window });
}

export async function collectLayers(opts: CollectOptions, probe: ProbeFn): Promise<{
  kubelet: ProbeResult<KubeletView>;
  kubeletLog: ProbeResult<LogScan>;
  containerdLog: ProbeResult<LogScan>;
  node: ProbeResult<NodeView>;
}> {
  const stack = opts.stack;
  const [kubelet, kubeletLog, containerdLog, node] = await Promise.all([
    probe<KubeletView>('kubelet', () => collectKubelet({
      deadlineMs: KUBELET_MS - 200,
      configPath: opts.kubeletFiles?.config,
      kubeadmFlagsPath: opts.kubeletFiles?.kubeadmFlags,
      logFile: stack.kubeletLog,
    }), KUBELET_MS),
    probe<LogScan>('kubelet.log', logProbe(stack.kubeletLog, 'kubelet', kubeletLogTable, opts.logWindow), LOG_MS),
    probe<LogScan>('containerd.log', logProbe(stack.containerdLog, 'containerd', containerdLogTable, opts.logWindow), LOG_MS),
    probe<NodeView>('node', () => collectNode({ deadlineMs: NODE_MS - 200, logWindow: opts.logWindow }), NODE_MS),
  ]);
  return { kubelet, kubeletLog, containerdLog, node };
}
