// The collection step shared by `doctor`, `bundle`, `report` and `serve`: the same flags, one
// /proc scan for the stack's resolution and the tree, then collect() (src/collect) under the deadlines.
import type { CliIO } from './command.ts';
import { stackFlags, stackFlagsUsage } from './flags.ts';
import { parseDuration } from '../deadline.ts';
import { CtrdocError } from '../errors.ts';
import type { Snapshot } from '../snapshot/types/index.ts';
import type { CollectOptions } from '../collect/context.ts';
import { sinceWindow } from '../sources/logs/window.ts';

/** collectUsage without some flags: each flag's line and the continuation lines under it go together. */
export function collectUsageWithout(...flags: string[]): string {
  const out: string[] = [];
  let dropping = false;
  for (const line of collectUsage.split('\n')) {
    const flag = /^\s+(?:-\w, )?(--[\w-]+)/.exec(line)?.[1];
    if (flag) dropping = flags.includes(flag);
    if (!dropping) out.push(line);
  }
  return out.join('\n');
}

export const collectUsage = `      --timeout DURATION   overall deadline for the collection (default 10s)
      --probe-timeout D    deadline for each call to the runtime (default 2s)
      --signal             without a debug socket, allow SIGUSR1 to containerd for a goroutine
                           dump when it looks hung (never SIGQUIT); the debug socket, when
                           there is one, is read on every run (it changes nothing)
      --no-goroutines      never take a goroutine dump
      --stuck-after D      a container Created, or a runc init parked, this long is stuck
      --kubelet-config F   kubelet config file (default: from kubelet's --config)
      --kubeadm-flags F    kubeadm flags file (default /var/lib/kubelet/kubeadm-flags.env)
      --kubeconfig F       kubelet's kubeconfig (default: from kubelet's --kubeconfig)
      --kubelet-pid PID    the kubelet process to read (default: the one found; say which when
                           several run, e.g. kubelets of nested or test clusters)
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
  'kubelet-pid': { type: 'string' },
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

function kubeletPidOf(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^[1-9]\d{0,9}$/.test(v)) throw new CtrdocError('invalid-argument', `--kubelet-pid: not a pid: "${v}"`, 'ctrdoc tree --all | grep kubelet');
  return Number(v);
}

/** The collection flags' values, parsed; a bad one throws, naming it. */
export interface CollectSettings {
  deadlineMs: number;
  perCallMs: number;
  stuckAfterSec?: number;
  kubeletPid?: number;
}

/**
 * Parses every collection flag that takes a value. A command that collects again and again
 * (serve, watch) calls it before it starts, so a bad flag ends it at once with the flag's name
 * instead of failing every cycle; --since is checked here too (each cycle's window is then taken
 * from its own now).
 */
export function collectSettings(values: CollectValues): CollectSettings {
  const deadlineMs = values.timeout ? parseDuration(values.timeout, '--timeout') : 10_000;
  const perCall = values['probe-timeout'] ? parseDuration(values['probe-timeout'], '--probe-timeout') : 2000;
  if (values.since !== undefined) sinceWindow(values.since, Date.now());
  return {
    deadlineMs,
    perCallMs: Math.min(perCall, deadlineMs),
    stuckAfterSec: values['stuck-after'] ? parseDuration(values['stuck-after'], '--stuck-after') / 1000 : undefined,
    kubeletPid: kubeletPidOf(values['kubelet-pid']),
  };
}

/** Collects a Snapshot: the one collection step of doctor, bundle, report and serve. */
export async function collectLive(values: CollectValues, io: CliIO, progress: boolean, opts: {
  canary?: boolean;
  /** say on stderr which containerd was chosen among several (default true) */
  notes?: boolean;
  /** results kept from an earlier collection (watch) */
  reuse?: CollectOptions['reuse'];
} = {}): Promise<Snapshot> {
  const t0 = performance.now();
  const { deadlineMs, perCallMs, stuckAfterSec, kubeletPid } = collectSettings(values);
  const [{ resolveStack, daemonChoiceNote }, { collect }, { scanProcesses }] = await Promise.all([
    import('../collect/stack.ts'),
    import('../collect/collect.ts'),
    import('../sources/proc/scan.ts'),
  ]);
  // one pass over /proc serves both the stack's resolution and the process tree
  let procTable;
  try {
    procTable = scanProcesses();
  } catch {
    procTable = undefined; // the proc probe scans again and records the error
  }
  const stack = await resolveStack(values, { timeoutMs: perCallMs, processes: procTable?.processes });
  const choice = daemonChoiceNote(stack);
  if (choice && opts.notes !== false) io.stderr.write(`note: ${choice}\n`);
  let done = 0;
  const { kubeconfig: _k, ...doctorKubeletFiles } = kubeletFilesOf(values);
  const snapshot = await collect({
    stack,
    deadlineMs,
    procTable,
    canary: opts.canary,
    stuckAfterSec,
    goroutines: values['no-goroutines'] ? 'off' : values.signal ? 'signal' : 'auto',
    kubeletFiles: doctorKubeletFiles,
    logWindow: values.since === undefined ? undefined : sinceWindow(values.since, Date.now()),
    kubeletPid,
    reuse: opts.reuse,
    onProgress: process.env.CTRDOC_DEBUG
      // when each probe ended, from the start of the collection: where the time goes
      ? (t) => io.stderr.write(`debug: +${Math.round(performance.now() - t0)}ms ${t.probe} ${t.status} (${t.durationMs}ms)\n`)
      : progress ? (t) => io.stderr.write(`\r\x1b[Kcollecting: ${++done} probes done (${t.probe} ${t.status})`) : undefined,
  });
  if (progress) io.stderr.write('\r\x1b[K');
  return snapshot;
}

