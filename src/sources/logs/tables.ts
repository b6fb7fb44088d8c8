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

/**
 * The syslog identifiers (journald's SYSLOG_IDENTIFIER, the `tag[pid]:` of a syslog line) whose
 * lines each table reads. kubelet runs inside k3s (`k3s`, `k3s-agent`), and rke2, microk8s
 * (`kubelite`) and OpenShift 3 (`origin-node`, `atomic-openshift-node`) log it under their own
 * names. A line tagged by another known process (containerd's line in a syslog file given as
 * kubelet's log) is not matched; a line with an unknown tag or none is.
 */
export const LOG_TABLE_TAGS: Record<string, readonly string[]> = {
  'rules/containerd-log.json': ['containerd'],
  'rules/kubelet-log.json': ['kubelet', 'k3s', 'k3s-agent', 'k3s-server', 'rke2', 'rke2-agent', 'rke2-server', 'kubelite', 'hyperkube', 'origin-node', 'atomic-openshift-node'],
  'rules/kernel-log.json': ['kernel'],
};

/** Processes that share a node's syslog and are nobody's table: their lines are never matched. */
const OTHER_TAGS = ['systemd', 'dockerd', 'docker', 'crio', 'cri-o', 'sshd', 'CRON', 'cron', 'systemd-logind', 'systemd-journald', 'NetworkManager', 'kube-proxy', 'etcd', 'kube-apiserver', 'flanneld', 'calico-node'];

const KNOWN_TAGS = new Set([...Object.values(LOG_TABLE_TAGS).flat(), ...OTHER_TAGS]);

/** Does a line tagged `tag` belong to another process than the one whose tags are `own`? */
export function isForeignTag(tag: string, own: readonly string[]): boolean {
  if (!tag || own.includes(tag)) return false;
  return KNOWN_TAGS.has(tag) || tag.startsWith('systemd-');
}
