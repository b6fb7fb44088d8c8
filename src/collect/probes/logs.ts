// containerd's and kubelet's logs, matched against rules/*-log.json: the file given or found
// (containerd's stderr), else the unit's journal; no journald or no such unit is a skip.
import type { LogScan } from '../../snapshot/types/index.ts';
import type { Probe } from '../probe.ts';

/** Reading up to 8 MiB and matching every pattern takes a moment: a longer budget than RPCs. */
const LOG_MS = 4000;

async function scan(file: string | undefined, unit: 'containerd' | 'kubelet'): Promise<LogScan> {
  const { containerdLogTable, kubeletLogTable, scanLog } = await import('../../sources/logs/index.ts');
  const table = unit === 'containerd' ? containerdLogTable() : kubeletLogTable();
  return scanLog(file ? { file } : { journalUnit: unit }, { table, deadlineMs: LOG_MS - 200 });
}

export const containerdLog: Probe<'containerd.log', LogScan> = {
  name: 'containerd.log',
  needs: [],
  budget: LOG_MS,
  run: (ctx) => scan(ctx.stack.containerdLog, 'containerd'),
};

export const kubeletLog: Probe<'kubelet.log', LogScan> = {
  name: 'kubelet.log',
  needs: [],
  budget: LOG_MS,
  run: (ctx) => scan(ctx.stack.kubeletLog, 'kubelet'),
};
