// The doctor's report as data: findings sorted worst first, probe timings, and the exit code
// threshold logic. Text, JSON/YAML and the NPD plugin form all render from this.
import { LAYERS, SEVERITY_ORDER, type Finding, type Severity, type Snapshot } from '../snapshot/types/index.ts';

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
  summary: { critical: number; warning: number; info: number; passed: number; skipped: number; couldNotCheck: number };
  findings: Finding[];
  probes: ProbeLine[];
}

const sevRank = (s: Severity) => SEVERITY_ORDER.indexOf(s);
const statusRank = { fail: 0, error: 1, skipped: 2, pass: 3 } as const;

export function sortFindings(findings: Finding[]): Finding[] {
  return [...findings].sort((a, b) => statusRank[a.status] - statusRank[b.status]
    || (a.status === 'fail' ? sevRank(a.severity) - sevRank(b.severity) : 0)
    || LAYERS.indexOf(a.layer) - LAYERS.indexOf(b.layer)
    || a.rule.localeCompare(b.rule));
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

export function buildReport(s: Snapshot, findings: Finding[]): DoctorReport {
  const sorted = sortFindings(findings);
  const fails = sorted.filter((f) => f.status === 'fail');
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
    summary: {
      critical: fails.filter((f) => f.severity === 'critical').length,
      warning: fails.filter((f) => f.severity === 'warning').length,
      info: fails.filter((f) => f.severity === 'info').length,
      passed: sorted.filter((f) => f.status === 'pass').length,
      skipped: sorted.filter((f) => f.status === 'skipped').length,
      couldNotCheck: sorted.filter((f) => f.status === 'error').length,
    },
    findings: sorted,
    probes: probeLines(s),
  };
}

/** Exit code 1 when a failing finding is at or above the threshold; 0 otherwise. */
export function hasFindingsAtOrAbove(r: DoctorReport, threshold: Severity): boolean {
  return r.findings.some((f) => f.status === 'fail' && sevRank(f.severity) <= sevRank(threshold));
}
