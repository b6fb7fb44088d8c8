// Repeats collapsed for a person: the episodes of one log rule, the goroutine findings of one
// dump, and one container or process that several rules describe (a leaked runc container that
// is also a stuck init) become one entry with counts. Never across incidents: an entry belongs to
// one cause. JSON keeps every finding.
import type { ReportFinding } from './doctor-report.ts';

export interface FindingGroup {
  /** in report order (worst first): the first is the one shown whole */
  findings: ReportFinding[];
}

/** What makes two failing findings one entry: the same thing, in the same incident. */
function identity(f: ReportFinding): string | undefined {
  if (f.status !== 'fail') return undefined;
  const inc = f.incident ?? '';
  const s = f.subject;
  const thing = s ? thingOf(s) : undefined;
  if (thing) return `${inc}|${thing}`;
  // anything else repeats only under one rule: its episodes, its findings about one file or pod
  return `${inc}|r:${f.rule}|${s?.pod ?? ''}|${s?.shimPid ?? ''}|${s?.pid ?? ''}|${s?.path ?? ''}`;
}

/** The one thing a subject names whatever rule describes it: a pod's sandbox, a container, a process. */
function thingOf(s: NonNullable<ReportFinding['subject']>): string | undefined {
  // a pod's sandbox is one thing: its shim (without pause) and its pause container's runc init
  if (s.podSandboxId && (s.containerId === s.podSandboxId || (s.shimPid !== undefined && !s.container))) return `pod:${s.podSandboxId}`;
  if (s.podSandboxId && s.container) return `pc:${s.podSandboxId}/${s.container}`;
  if (s.containerId) return `c:${s.containerId}`;
  if (s.pid !== undefined && !s.pod && !s.path) return `p:${s.pid}`;
  return undefined;
}

export function groupRepeats(findings: ReportFinding[]): FindingGroup[] {
  const groups: FindingGroup[] = [];
  const byId = new Map<string, FindingGroup>();
  for (const f of findings) {
    const id = identity(f);
    const g = id !== undefined ? byId.get(id) : undefined;
    if (g) {
      g.findings.push(f);
      continue;
    }
    const fresh = { findings: [f] };
    groups.push(fresh);
    if (id !== undefined) byId.set(id, fresh);
  }
  return groups;
}

/** "RUNC_STUCK_INIT ×3" / "RUNC_LEAKED_CONTAINER + RUNC_STUCK_INIT": the rules of a group with counts. */
export function groupRules(g: FindingGroup): string {
  const counts = new Map<string, number>();
  for (const f of g.findings) counts.set(f.rule, (counts.get(f.rule) ?? 0) + 1);
  return [...counts].map(([rule, n]) => (n > 1 ? `${rule} ×${n}` : rule)).join(' + ');
}
