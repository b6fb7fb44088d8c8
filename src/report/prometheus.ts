// The doctor's report in Prometheus' text exposition format: what `ctrdoc serve` answers on
// /metrics and what a node_exporter textfile collector reads from `doctor -o prometheus`.
// Cause first: one ctrdoc_incident series per incident, its cause and pods as labels. Every
// series has a label set of its own (node_exporter keeps one of two identical series and logs an
// error on every scrape): findings that share rule, subject and signature are one series whose
// value counts them. Labels stay few and bounded so a fleet's series count does not grow with
// churn: no pids, at most three pod names in a label.
import type { DoctorReport } from './doctor-report.ts';
import { signatureOfKey, type Incident } from '../incidents/index.ts';

/** Label values escaped as the exposition format asks: backslash, double quote, newline. */
export function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function labels(l: Record<string, string | undefined>): string {
  const parts = Object.entries(l).filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => `${k}="${escapeLabel(v!)}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

/** pod names in a label: at most 3, and at most this many characters, then "+N more" */
export const POD_LABEL_MAX = 3;
export const POD_LABEL_CHARS = 200;

/** The pods of an incident as one label value: "ns/a,ns/b,ns/c,+2 more", bounded in count and length. */
export function podsLabel(pods: string[]): string {
  const shown: string[] = [];
  for (const p of pods.slice(0, POD_LABEL_MAX)) {
    if ([...shown, p].join(',').length > POD_LABEL_CHARS) break;
    shown.push(p);
  }
  const more = pods.length - shown.length;
  return [...shown, ...(more ? [`+${more} more`] : [])].join(',');
}

/** A metric family, its samples summed by label set so no two share one. */
class Family {
  readonly samples = new Map<string, number>();
  constructor(readonly name: string, readonly help: string) {}
  add(l: Record<string, string | undefined>, value: number) {
    const key = labels(l);
    this.samples.set(key, (this.samples.get(key) ?? 0) + value);
  }
  render(out: string[], format: (v: number) => string = String) {
    out.push(`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} gauge`);
    for (const [l, v] of this.samples) out.push(`${this.name}${l} ${format(v)}`);
  }
}

function incidentLabels(i: Incident): Record<string, string> {
  return { incident: i.id, cause: i.short, layer: i.layer, severity: i.severity, certainty: i.certainty, pods: podsLabel(i.pods) };
}

export function renderPrometheus(r: DoctorReport): string {
  const out: string[] = [];
  const incident = new Family('ctrdoc_incident', 'An incident of ctrdoc doctor: one root cause (label cause) and the pods it affects (label pods, at most 3 named); 1 while it lasts.');
  const incidentPods = new Family('ctrdoc_incident_pods', 'How many pods each incident affects.');
  const incidentFindings = new Family('ctrdoc_incident_findings', 'How many failing findings each incident holds (its cause, its evidence and what it explains).');
  for (const i of r.incidents) {
    incident.add(incidentLabels(i), 1);
    incidentPods.add({ incident: i.id, severity: i.severity }, i.pods.length);
    incidentFindings.add({ incident: i.id, severity: i.severity }, i.findings.root.length + i.findings.evidence.length + i.findings.consequences.length);
  }
  incident.render(out);
  incidentPods.render(out);
  incidentFindings.render(out);

  const finding = new Family('ctrdoc_finding', 'Failing findings of ctrdoc doctor by rule and subject (pod, container, goroutine signature); the value counts them (log episodes, processes).');
  for (const f of r.findings.filter((x) => x.status === 'fail')) {
    const signature = signatureOfKey(f.key);
    finding.add({ rule: f.rule, layer: f.layer, severity: f.severity, pod: f.subject?.pod, container: f.subject?.container, signature }, 1);
  }
  finding.render(out);
  const ruleStatus = new Family('ctrdoc_rule_status', 'Each rule\'s status: 1 for the status it ended in (fail, pass, skipped, error).');
  const seen = new Set<string>();
  for (const f of r.findings) {
    if (seen.has(f.rule)) continue;
    seen.add(f.rule);
    // a rule fails when any of its findings fails: sorted worst first, the first is its status
    ruleStatus.add({ rule: f.rule, layer: f.layer, status: f.status }, 1);
  }
  ruleStatus.render(out);
  const probe = new Family('ctrdoc_probe_seconds', 'How long each probe of the collection took.');
  for (const p of r.probes) probe.add({ probe: p.probe, status: p.status }, p.durationMs / 1000);
  probe.render(out, (v) => v.toFixed(3));
  const bySeverity = new Family('ctrdoc_findings', 'Failing findings by severity.');
  for (const sev of ['critical', 'warning', 'info'] as const) bySeverity.add({ severity: sev }, r.summary[sev]);
  bySeverity.render(out);
  out.push('# HELP ctrdoc_collection_seconds How long the whole collection took.', '# TYPE ctrdoc_collection_seconds gauge', `ctrdoc_collection_seconds ${(r.durationMs / 1000).toFixed(3)}`);
  out.push('# HELP ctrdoc_last_run_timestamp_seconds When the collection ran (Unix time).', '# TYPE ctrdoc_last_run_timestamp_seconds gauge', `ctrdoc_last_run_timestamp_seconds ${Math.floor(Date.parse(r.collectedAt) / 1000)}`);
  return out.join('\n') + '\n';
}
