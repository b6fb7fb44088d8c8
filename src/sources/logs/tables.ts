// The shipped log pattern tables (rules/*-log.json), bundled into the binary and compiled on
// first use, so a broken table fails with its file and entry named, not at import time.
import containerdLog from '../../../rules/containerd-log.json' with { type: 'json' };
import kubeletLog from '../../../rules/kubelet-log.json' with { type: 'json' };
import kernelLog from '../../../rules/kernel-log.json' with { type: 'json' };
import { compileLogTable, type LogTable } from './table.ts';

const cache = new Map<string, LogTable>();

function table(name: string, raw: unknown): LogTable {
  let t = cache.get(name);
  if (!t) cache.set(name, (t = compileLogTable(raw, name)));
  return t;
}

export const containerdLogTable = (): LogTable => table('rules/containerd-log.json', containerdLog);
export const kubeletLogTable = (): LogTable => table('rules/kubelet-log.json', kubeletLog);
export const kernelLogTable = (): LogTable => table('rules/kernel-log.json', kernelLog);

/** Every shipped table by file name (for the table test and `ctrdoc rules`-style listings). */
export const SHIPPED_LOG_TABLES: Record<string, () => LogTable> = {
  'rules/containerd-log.json': containerdLogTable,
  'rules/kubelet-log.json': kubeletLogTable,
  'rules/kernel-log.json': kernelLogTable,
};
