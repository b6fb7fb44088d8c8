// The collection step shared by `doctor`, `bundle` and `report`: the same flags, one /proc scan
// for discovery and the tree, then collect() under the deadlines.
import type { CliIO } from './command.ts';
import { stackFlags, stackFlagsUsage } from './flags.ts';
import { parseDuration } from '../deadline.ts';
import type { Snapshot } from '../snapshot/types/index.ts';

export const collectUsage = `      --timeout DURATION   overall deadline for the collection (default 10s)
      --probe-timeout D    deadline for each call to the runtime (default 2s)
      --signal             allow SIGUSR1 to containerd for a goroutine dump when it looks hung
                           (never SIGQUIT); without it only the debug socket is used
      --no-goroutines      never take a goroutine dump
      --stuck-after D      a container Created, or a runc init parked, this long is stuck
      --kubelet-config F   kubelet config file (default: from kubelet's --config)
      --kubeadm-flags F    kubeadm flags file (default /var/lib/kubelet/kubeadm-flags.env)
      --kubeconfig F       kubelet's kubeconfig (default: from kubelet's --kubeconfig)
      --since D|TIME       the log window: log episodes that ended before it are info (2h,
                           1h30m, 3d, or an RFC 3339 time; default: since containerd started,
                           or the last 6 h when that is longer ago)

${stackFlagsUsage.replace(/\n {2}-t, --timeout DURATION\s+deadline for each call \(default 2s\)/, '')}`;

const { timeout: _perCall, ...stackOnly } = stackFlags;

/** The flags every command that collects a Snapshot the way doctor does accepts. */
export const collectFlags = {
  ...stackOnly,
  timeout: { type: 'string' },
  'probe-timeout': { type: 'string' },
  signal: { type: 'boolean' },
  'no-goroutines': { type: 'boolean' },
  'stuck-after': { type: 'string' },
  'kubelet-config': { type: 'string' },
  'kubeadm-flags': { type: 'string' },
  kubeconfig: { type: 'string' },
  since: { type: 'string' },
} as const;


export type CollectValues = { [K in keyof typeof collectFlags]?: (typeof collectFlags)[K]['type'] extends 'boolean' ? boolean : string };

export function kubeletFilesOf(values: CollectValues): Record<string, string> {
  return {
    ...(values['kubelet-config'] ? { config: values['kubelet-config'] } : {}),
    ...(values['kubeadm-flags'] ? { kubeadmFlags: values['kubeadm-flags'] } : {}),
    ...(values.kubeconfig ? { kubeconfig: values.kubeconfig } : {}),
  };
}

/** Collects a Snapshot: the one collection step of doctor, bundle and report. */
export async function collectLive(values: CollectValues, io: CliIO, progress: boolean, opts: { canary?: boolean } = {}): Promise<Snapshot> {
  const deadlineMs = values.timeout ? parseDuration(values.timeout) : 10_000;
  const perCall = values['probe-timeout'] ? parseDuration(values['probe-timeout']) : 2000;
  const [{ resolveStack }, { collect }] = await Promise.all([
    import('../sources/containerd/discover.ts'),
    import('../snapshot/collect.ts'),
  ]);
  // as doctor does: one pass over /proc serves both discovery and the process tree
  const { scanProcesses } = await import('../sources/proc/scan.ts');
  let procTable;
  try {
    procTable = scanProcesses();
  } catch {
    procTable = undefined; // collect() scans again and records the error as a probe result
  }
  const stack = resolveStack(values, Math.min(perCall, deadlineMs), process.env, procTable?.processes);
  const logWindow = await logWindowFor(values.since, stack.containerdPid, procTable);
  let done = 0;
  const { kubeconfig: _k, ...doctorKubeletFiles } = kubeletFilesOf(values);
  const snapshot = await collect({
    stack,
    deadlineMs,
    procTable,
    canary: opts.canary,
    stuckAfterSec: values['stuck-after'] ? parseDuration(values['stuck-after']) / 1000 : undefined,
    goroutines: values['no-goroutines'] ? 'off' : values.signal ? 'signal' : 'auto',
    kubeletFiles: doctorKubeletFiles,
    logWindow,
    onProgress: progress ? (t) => io.stderr.write(`\r\x1b[Kcollecting: ${++done} probes done (${t.probe} ${t.status})`) : undefined,
  });
  if (progress) io.stderr.write('\r\x1b[K');
  return snapshot;
}

/** The log window: --since, else containerd's start (its process's age) or the last 6 hours. */
async function logWindowFor(since: string | undefined, containerdPid: number | undefined, procTable: { processes: { pid: number; ageSec: number }[] } | undefined) {
  const { sinceWindow, defaultLogWindow } = await import('../sources/logs/window.ts');
  const now = Date.now();
  if (since !== undefined) return sinceWindow(since, now);
  const age = procTable?.processes.find((p) => p.pid === containerdPid)?.ageSec;
  return defaultLogWindow(age === undefined ? undefined : now - age * 1000, now);
}
