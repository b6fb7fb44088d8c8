// The process tree, the shims and runc's state as tables, the way `ps aux --forest`, crictl and
// `runc list` print them, with the facts under them (ctrdoc tree, shims, runc).
import type { RuncContainerState } from '../snapshot/types/runc.ts';
import type { ProcessTreeView, ShimView, TreeFact, TreeProcess } from '../snapshot/types/tree.ts';
import { renderTable, truncateId as truncateAny } from './table.ts';

/** crictl cuts 64-hex ids to 13 characters; other names (a hand-made runc id) stay whole. */
export const truncateId = (id: string, noTrunc = false): string => (/^[0-9a-f]{64}$/.test(id) ? truncateAny(id, noTrunc) : id);

export interface TableFlags {
  noHeaders?: boolean;
  noTrunc?: boolean;
}

/** "42s", "5m", "3h", "2d" */
export function shortAge(sec: number): string {
  if (sec < 60) return `${Math.floor(sec)}s`;
  if (sec < 3600) return `${Math.floor(sec / 60)}m`;
  if (sec < 86400 * 2) return `${Math.floor(sec / 3600)}h`;
  return `${Math.floor(sec / 86400)}d`;
}

export function podLabel(p: Pick<TreeProcess, 'pod'>, noTrunc = false): string {
  if (!p.pod) return '-';
  if (p.pod.namespace && p.pod.name) return `${p.pod.namespace}/${p.pod.name}`;
  return truncateId(p.pod.sandboxId, noTrunc);
}

function containerLabel(t: TreeProcess, noTrunc: boolean): string {
  if (!t.container) return '-';
  if (t.container.type === 'sandbox') return '(sandbox)';
  const name = t.container.name ?? truncateId(t.container.id, noTrunc);
  return t.container.attempt !== undefined ? `${name}#${t.container.attempt}` : name;
}

function roleLabel(t: TreeProcess): string {
  if (t.role === 'runc' && t.runcAction) return `runc ${t.runcAction}`;
  if (t.role === 'shim' && t.shim?.action) return `shim ${t.shim.action}`;
  return t.role;
}

export function renderTreeTable(view: ProcessTreeView, opts: TableFlags = {}): string {
  const rows = view.processes.map((t) => [
    t.pid, t.ppid, t.stat, (t.cpuPercentRecent ?? t.cpuPercent).toFixed(1), t.rssKb, t.threads, t.fds ?? '-', shortAge(t.ageSec),
    roleLabel(t), podLabel(t, opts.noTrunc), containerLabel(t, !!opts.noTrunc),
    `${t.depth ? '  '.repeat(t.depth - 1) + ' \\_ ' : ''}${opts.noTrunc ? t.command : t.command.slice(0, 160)}`,
  ]);
  return renderTable(['PID', 'PPID', 'STAT', '%CPU', 'RSS', 'THREADS', 'FDS', 'AGE', 'ROLE', 'POD', 'CONTAINER', 'COMMAND'], rows, { noHeaders: opts.noHeaders, padding: 2 });
}

export function renderFacts(facts: TreeFact[]): string {
  if (!facts.length) return '';
  const lines = ['', `FACTS (${facts.length})`];
  for (const f of facts) {
    lines.push(`  ${f.kind}: ${f.message}`);
    const ev = Object.entries(f.evidence).map(([k, v]) => `${k}=${v}`).join(' ');
    if (ev) lines.push(`    ${ev}`);
  }
  return lines.join('\n') + '\n';
}

function ttrpcCell(s: ShimView): string {
  if (!s.probe) return s.socket ? 'not probed' : 'no socket';
  return s.probe.ok ? 'ok' : `FAIL: ${s.probe.error ?? 'no answer'}`;
}

export function renderShimsTable(shims: ShimView[], opts: TableFlags = {}): string {
  const nt = !!opts.noTrunc;
  const rows = shims.map((s) => [
    s.pid,
    s.pod?.namespace && s.pod.name ? `${s.pod.namespace}/${s.pod.name}` : s.pod ? truncateId(s.pod.sandboxId, nt) : '-',
    s.socket ? (nt ? s.socket : truncateId(s.socket.replace(/^.*\//, ''), false)) : '-',
    ttrpcCell(s),
    s.probe?.latencyMs !== undefined ? `${s.probe.latencyMs}ms` : '-',
    s.children.length,
    s.cpuPercentRecent !== undefined ? `${s.cpuPercentRecent.toFixed(1)}` : '-',
    s.cpuPercent.toFixed(1),
    s.rssKb,
    s.threads,
    s.fds ?? '-',
    s.subreaper.value === true ? 'yes (inferred)' : s.subreaper.value === false ? 'no' : 'unknown',
    shortAge(s.ageSec),
    s.state,
  ]);
  return renderTable(['PID', 'POD', 'SOCKET', 'TTRPC', 'LATENCY', 'CHILDREN', '%CPU', '%CPU(LIFE)', 'RSS', 'THREADS', 'FDS', 'SUBREAPER', 'AGE', 'STAT'], rows, { noHeaders: opts.noHeaders, padding: 2 });
}

export function renderRuncTable(rows: (RuncContainerState & { knownToContainerd: boolean | null })[], opts: TableFlags = {}): string {
  const nt = !!opts.noTrunc;
  const yn = (v: boolean | null): string => (v === null ? 'unknown' : v ? 'yes' : 'NO');
  return renderTable(['ID', 'STATUS', 'CREATED', 'EXEC.FIFO', 'INIT-PID', 'ALIVE', 'POD', 'BUNDLE', 'CONTAINERD'], rows.map((r) => [
    truncateId(r.id, nt),
    r.error ? `${r.status} (${r.error})` : r.status,
    r.ageSec !== undefined ? `${shortAge(r.ageSec)} ago` : '-',
    r.execFifo ? 'yes' : 'no',
    r.initPid ?? '-',
    r.initAlive ? 'yes' : 'no',
    r.kube.sandboxNamespace && r.kube.sandboxName ? `${r.kube.sandboxNamespace}/${r.kube.sandboxName}` : '-',
    r.bundle ? (nt ? r.bundle : r.bundle.replace(/\/([0-9a-f]{13})[0-9a-f]{51}$/, '/$1')) : '-',
    yn(r.knownToContainerd),
  ]), { noHeaders: opts.noHeaders, padding: 2 });
}
