// The doctor's report as data: incidents (findings grouped by root cause, worst first), every
// finding sorted worst first with its key and incident, probe timings, and the exit code
// threshold logic. Text, JSON/YAML, NPD, Prometheus and HTML all render from this.
import { CtrdocError } from '../errors.ts';
import { LAYERS, SEVERITY_ORDER, type Finding, type Severity, type Snapshot } from '../snapshot/types/index.ts';
import { diagnose, type Incident } from '../incidents/index.ts';
import { snapshotLogWindow } from '../rules/logs.ts';
import { describeWindow } from '../sources/logs/window.ts';
import { compareText } from '../order.ts';

export interface ProbeLine {
  probe: string;
  status: string;
  durationMs: number;
  message?: string;
}

export interface DoctorReport {
  apiVersion: 'ctrdoc/v1alpha1';
  kind: 'DoctorReport';
  collectedAt: string;
  durationMs: number;
  host: Snapshot['host'];
  runtime: { endpoint: string; version?: string; pid?: number; state?: string };
  /** the time span the log rules judged: episodes that ended before its start are info */
  logWindow?: { start: string; basis: string; text: string };
  summary: { critical: number; warning: number; info: number; passed: number; skipped: number; couldNotCheck: number };
  /** the failing findings grouped by root cause, worst first; each names its findings by key */
  incidents: Incident[];
  /** every finding (passes and skips too), worst first */
  findings: ReportFinding[];
  probes: ProbeLine[];
  /** set by --pod: the pods asked about, and how many findings about other pods were left out */
  focus?: { pod: string; pods: { id: string; namespace?: string; name?: string }[]; hidden: number };
}

/** A finding as the report carries it: with its key, and the incident it belongs to when it fails. */
export type ReportFinding = Finding & {
  /** stable and unique in the report: RULE, RULE@subject, RULE:signature, #2 for repeats */
  key: string;
  /** the id of the incident that holds it (failing findings only) */
  incident?: string;
};

function logWindowOf(s: Snapshot): Pick<DoctorReport, 'logWindow'> {
  const w = snapshotLogWindow(s);
  return w ? { logWindow: { start: w.start, basis: w.basis, text: describeWindow(w) } } : {};
}

const sevRank = (s: Severity) => SEVERITY_ORDER.indexOf(s);
const statusRank = { fail: 0, error: 1, skipped: 2, pass: 3 } as const;

export function sortFindings(findings: Finding[]): Finding[] {
  return [...findings].sort((a, b) => statusRank[a.status] - statusRank[b.status]
    || (a.status === 'fail' ? sevRank(a.severity) - sevRank(b.severity) : 0)
    || LAYERS.indexOf(a.layer) - LAYERS.indexOf(b.layer)
    || compareText(a.rule, b.rule));
}

/** Every probe result in the snapshot, flattened, in collection order. */
export function probeLines(s: Snapshot): ProbeLine[] {
  const out: ProbeLine[] = [];
  const visit = (v: unknown) => {
    if (!v || typeof v !== 'object') return;
    const o = v as Record<string, unknown>;
    if (typeof o.probe === 'string' && typeof o.status === 'string' && typeof o.durationMs === 'number') {
      out.push({ probe: o.probe, status: o.status, durationMs: o.durationMs, ...(o.message ? { message: String(o.message) } : {}) });
      return;
    }
    for (const k of ['cri', 'containerd', 'proc', 'runc', 'bundles', 'tree', 'kubelet', 'kubeletLog', 'node', 'canary']) if (k in o) visit(o[k]);
    if (!('apiVersion' in o)) for (const x of Object.values(o)) visit(x);
  };
  visit(s);
  return out;
}

/** The findings with their keys and incidents (new objects; the input is left as it was). */
function withIncidents(s: Snapshot, findings: Finding[], keys?: string[]): { findings: ReportFinding[]; incidents: Incident[] } {
  const d = diagnose(s, findings, keys);
  const owner = new Map<string, string>();
  for (const i of d.incidents) for (const k of [...i.findings.root, ...i.findings.evidence, ...i.findings.consequences]) owner.set(k, i.id);
  const out = findings.map((f, n): ReportFinding => {
    const { key: _k, incident: _i, ...plain } = f as ReportFinding;
    const incident = owner.get(d.keys[n]);
    return { ...plain, key: d.keys[n], ...(incident ? { incident } : {}) };
  });
  return { findings: out, incidents: d.incidents };
}

function summaryOf(sorted: Finding[]): DoctorReport['summary'] {
  const fails = sorted.filter((f) => f.status === 'fail');
  return {
    critical: fails.filter((f) => f.severity === 'critical').length,
    warning: fails.filter((f) => f.severity === 'warning').length,
    info: fails.filter((f) => f.severity === 'info').length,
    passed: sorted.filter((f) => f.status === 'pass').length,
    skipped: sorted.filter((f) => f.status === 'skipped').length,
    couldNotCheck: sorted.filter((f) => f.status === 'error').length,
  };
}

export function buildReport(s: Snapshot, findings: Finding[]): DoctorReport {
  const sorted = sortFindings(findings);
  const diagnosed = withIncidents(s, sorted);
  return {
    apiVersion: 'ctrdoc/v1alpha1',
    kind: 'DoctorReport',
    collectedAt: s.collectedAt,
    durationMs: s.durationMs,
    host: s.host,
    runtime: {
      endpoint: s.stack.runtimeEndpoint,
      version: s.containerd.version.data?.version ?? s.cri.version.data?.runtimeVersion,
      pid: s.containerd.process.data?.pid,
      state: s.containerd.process.data?.state,
    },
    ...logWindowOf(s),
    summary: summaryOf(sorted),
    incidents: diagnosed.incidents,
    findings: diagnosed.findings,
    probes: probeLines(s),
  };
}

/**
 * The report narrowed to one pod, as `--pod` asks: its findings, and every finding about the
 * stack as a whole (a hung containerd is every pod's problem); findings about other pods are
 * left out and counted. POD is a sandbox id (or a prefix of one), a name, or namespace/name.
 */
export function focusOnPod(r: DoctorReport, s: Snapshot, pod: string): DoctorReport {
  // an empty id prefix would match every pod and focus on nothing
  if (!pod.trim()) throw new CtrdocError('invalid-argument', '--pod: empty', 'give a pod sandbox id (or its start), a name, or namespace/name: ctrdoc cri pods');
  const listed = s.cri.pods.status === 'ok' ? s.cri.pods.data ?? [] : [];
  const pods = listed.filter((p) => p.id.startsWith(pod) || p.metadata?.name === pod || `${p.metadata?.namespace}/${p.metadata?.name}` === pod)
    .map((p) => ({ id: p.id, namespace: p.metadata?.namespace, name: p.metadata?.name }));
  const ids = new Set(pods.map((p) => p.id));
  const names = new Set(pods.map((p) => `${p.namespace}/${p.name}`));
  // without CRI's list (it did not answer), the findings' own subjects are all there is to match
  const matches = (f: Finding) => {
    const sub = f.subject;
    if (sub?.podSandboxId && ids.has(sub.podSandboxId)) return true;
    if (sub?.pod && names.has(sub.pod)) return true;
    return !listed.length && (sub?.podSandboxId?.startsWith(pod) || sub?.pod === pod || sub?.pod?.endsWith(`/${pod}`) || false);
  };
  const aboutAPod = (f: Finding) => !!(f.subject?.pod || f.subject?.podSandboxId);
  if (!pods.length && !r.findings.some(matches)) {
    const known = listed.slice(0, 8).map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`).join(', ');
    throw new CtrdocError('not-found', `--pod ${pod}: no such pod on this node${listed.length ? ` (pods: ${known}${listed.length > 8 ? ', ...' : ''})` : ' (CRI did not list pods)'}`,
      'give a pod sandbox id (or its start), a name, or namespace/name: ctrdoc cri pods');
  }
  const kept = r.findings.filter((f) => !aboutAPod(f) || matches(f));
  // the incidents again, of what is left: an incident is only as wide as the findings shown
  const diagnosed = withIncidents(s, kept, kept.map((f) => f.key));
  return { ...r, findings: diagnosed.findings, incidents: diagnosed.incidents, summary: summaryOf(kept), focus: { pod, pods, hidden: r.findings.length - kept.length } };
}

/** Exit code 1 when a failing finding is at or above the threshold; 0 otherwise. */
export function hasFindingsAtOrAbove(r: DoctorReport, threshold: Severity): boolean {
  return r.findings.some((f) => f.status === 'fail' && sevRank(f.severity) <= sevRank(threshold));
}
