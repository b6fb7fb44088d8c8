// The doctor's report in Prometheus' text exposition format: what a node_exporter textfile
// collector (or the planned `serve` mode) exports, so Prometheus and Alertmanager give the fleet
// view. Metric names from shared/DESIGN.md: ctrdoc_finding, ctrdoc_probe_seconds, and counts.
import type { DoctorReport } from './doctor-report.ts';

/** Label values escaped as the exposition format asks: backslash, double quote, newline. */
export function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function labels(l: Record<string, string | undefined>): string {
  const parts = Object.entries(l).filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => `${k}="${escapeLabel(v!)}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

export function renderPrometheus(r: DoctorReport): string {
  const out: string[] = [];
  const metric = (name: string, help: string, type: 'gauge' | 'counter') => out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);

  metric('ctrdoc_finding', 'A failing finding of ctrdoc doctor (1 per rule and subject).', 'gauge');
  for (const f of r.findings.filter((x) => x.status === 'fail')) {
    out.push(`ctrdoc_finding${labels({
      rule: f.rule, layer: f.layer, severity: f.severity,
      pod: f.subject?.pod, container: f.subject?.container, pid: f.subject?.pid !== undefined ? String(f.subject.pid) : undefined,
    })} 1`);
  }
  metric('ctrdoc_rule_status', 'Each rule\'s status: 1 for the status it ended in (fail, pass, skipped, error).', 'gauge');
  const seen = new Set<string>();
  for (const f of r.findings) {
    const key = `${f.rule}/${f.status}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(`ctrdoc_rule_status${labels({ rule: f.rule, layer: f.layer, status: f.status })} 1`);
  }
  metric('ctrdoc_probe_seconds', 'How long each probe of the collection took.', 'gauge');
  for (const p of r.probes) out.push(`ctrdoc_probe_seconds${labels({ probe: p.probe, status: p.status })} ${(p.durationMs / 1000).toFixed(3)}`);
  metric('ctrdoc_findings', 'Failing findings by severity.', 'gauge');
  for (const sev of ['critical', 'warning', 'info'] as const) out.push(`ctrdoc_findings${labels({ severity: sev })} ${r.summary[sev]}`);
  metric('ctrdoc_collection_seconds', 'How long the whole collection took.', 'gauge');
  out.push(`ctrdoc_collection_seconds ${(r.durationMs / 1000).toFixed(3)}`);
  metric('ctrdoc_last_run_timestamp_seconds', 'When the collection ran (Unix time).', 'gauge');
  out.push(`ctrdoc_last_run_timestamp_seconds ${Math.floor(Date.parse(r.collectedAt) / 1000)}`);
  return out.join('\n') + '\n';
}
