// containerd's and kubelet's logs, matched against rules/*-log.json: the file given or found
// (containerd's stderr), else the unit's journal; no journald or no such unit is a skip. Each
// scan judges the log window: --since, else since containerd started (or the last 6 h).
import type { LogScan, LogWindow } from '../../snapshot/types/index.ts';
import type { CollectContext } from '../context.ts';
import type { Probe } from '../probe.ts';
import type { Got } from '../results.ts';

/** Reading up to 8 MiB and matching every pattern takes a moment: a longer budget than RPCs. */
const LOG_MS = 4000;

/** --since's window, else the default from containerd's start (its process's age in /proc). */
export async function logWindowOf(ctx: CollectContext, got: Got): Promise<LogWindow> {
  if (ctx.opts.logWindow) return ctx.opts.logWindow;
  const { defaultLogWindow } = await import('../../sources/logs/window.ts');
  const now = Date.now();
  const age = got.data('containerd.process')?.uptimeSec;
  return defaultLogWindow(age === undefined ? undefined : now - age * 1000, now);
}

async function scan(file: string | undefined, unit: 'containerd' | 'kubelet', window: LogWindow): Promise<LogScan> {
  const { containerdLogTable, kubeletLogTable, scanLog } = await import('../../sources/logs/index.ts');
  const table = unit === 'containerd' ? containerdLogTable() : kubeletLogTable();
  return scanLog(file ? { file } : { journalUnit: unit }, { table, deadlineMs: LOG_MS - 200, window });
}

export const containerdLog: Probe<'containerd.log', LogScan> = {
  name: 'containerd.log',
  needs: ['containerd.process'],
  budget: LOG_MS,
  run: async (ctx, got) => scan(ctx.stack.containerdLog, 'containerd', await logWindowOf(ctx, got)),
};

export const kubeletLog: Probe<'kubelet.log', LogScan> = {
  name: 'kubelet.log',
  needs: ['containerd.process'],
  budget: LOG_MS,
  run: async (ctx, got) => scan(ctx.stack.kubeletLog, 'kubelet', await logWindowOf(ctx, got)),
};
