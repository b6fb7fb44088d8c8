// The incident engine: failing findings grouped by root cause, pure (no I/O). Causes from
// rules/incidents.json are tried in order; each takes the findings it matches that no earlier
// incident took, then follows its links (explains, evidence) from every finding it takes, so
// consequences of consequences land under the same cause. What no cause takes becomes incidents
// of its own: findings about one container under different rules as one, then one per rule.
import { SEVERITY_ORDER, type Finding, type Layer, type Severity, type Snapshot } from '../snapshot/types/index.ts';
import { SHORT_MAX, type CompiledCause, type CompiledMatcher } from './table.ts';
import { findingText, joined, joinSubject, podLabel, podsOf, subjectIndex, type JoinedSubject, type SubjectIndex } from './subjects.ts';
import { goroutineSignatureOf } from './keys.ts';

export type IncidentCertainty = 'proven' | 'likely' | 'observed';

export interface Incident {
  /** stable and unique in a report: the cause's id, or the rule id of a finding no cause explains */
  id: string;
  /** the cause's id in rules/incidents.json, or the rule id when no cause explains the finding */
  cause: string;
  /** what is wrong: the cause, not the symptom */
  title: string;
  /** the cause in at most 60 characters (the NPD line, the Prometheus `cause` label) */
  short: string;
  /** the worst of its findings */
  severity: Severity;
  /** the layer the cause sits in */
  layer: Layer;
  /** proven: its findings prove the cause; likely: they point at it (nextStep says how to prove
   * it); observed: a finding no known cause explains */
  certainty: IncidentCertainty;
  /** pods affected (namespace/name, or the sandbox id's start), the root's first */
  pods: string[];
  /** the lines that prove it: the root findings' summaries, then the supporting findings' */
  proof: string[];
  /** the one next step */
  nextStep?: string;
  /** the fix, once the node is out of trouble */
  fix?: string;
  references: string[];
  /** finding keys (DoctorReport.findings[].key) by role */
  findings: { root: string[]; evidence: string[]; consequences: string[] };
}

type Role = 'root' | 'evidence' | 'consequences';

interface Facet {
  index: number;
  finding: Finding;
  key: string;
  signature?: string;
  text: string;
  subject: JoinedSubject;
}

const sevRank = (s: Severity) => SEVERITY_ORDER.indexOf(s);
/** deeper layers first: a symptom bubbles up, so among findings about one thing the deepest is the root */
const DEPTH: Layer[] = ['node', 'runc', 'shim', 'containerd', 'cri', 'kubelet'];

function matches(m: CompiledMatcher, f: Facet): boolean {
  if (f.finding.rule !== m.rule) return false;
  if (m.signature !== undefined && f.signature !== m.signature) return false;
  if (m.regex && !m.regex.test(f.text)) return false;
  return true;
}

function fill(text: string | undefined, s: Snapshot): string | undefined {
  if (!text) return undefined;
  const pid = s.containerd.process.status === 'ok' ? s.containerd.process.data?.pid : undefined;
  const values: Record<string, string | undefined> = {
    containerdPid: pid !== undefined ? String(pid) : s.stack.containerdPid !== undefined ? String(s.stack.containerdPid) : undefined,
    debugAddress: s.stack.debugAddress,
    address: s.stack.address,
    runcRoot: s.stack.runcRoot,
  };
  return text.replace(/\{([A-Za-z]+)\}/g, (all, name: string) => values[name] ?? `<${name}>`);
}

class Builder {
  readonly roles = new Map<number, Role>();
  constructor(readonly id: string, readonly cause: string) {}
  add(f: Facet, role: Role) {
    this.roles.set(f.index, role);
  }
  of(role: Role): number[] {
    return [...this.roles].filter(([, r]) => r === role).map(([i]) => i);
  }
}

export interface GroupOptions {
  causes: CompiledCause[];
}

/**
 * Groups the failing findings into incidents, worst first. `keys` are the findings' keys
 * (findingKeys), in the same order as `findings`. Every failing finding lands in exactly one.
 */
export function groupIncidents(s: Snapshot, findings: Finding[], keys: string[], o: GroupOptions): Incident[] {
  const ix = subjectIndex(s);
  const facets: Facet[] = [];
  findings.forEach((f, index) => {
    if (f.status !== 'fail') return;
    facets.push({ index, finding: f, key: keys[index], signature: goroutineSignatureOf(f, s), text: findingText(f), subject: joinSubject(f, ix) });
  });
  const claimed = new Set<number>();
  const built: { b: Builder; spec?: CompiledCause }[] = [];
  const free = () => facets.filter((f) => !claimed.has(f.index));
  // links name a rule: look only at that rule's findings
  const byRule = new Map<string, Facet[]>();
  for (const f of facets) {
    const list = byRule.get(f.finding.rule);
    if (list) list.push(f);
    else byRule.set(f.finding.rule, [f]);
  }
  const candidates = (m: CompiledMatcher) => (byRule.get(m.rule) ?? []).filter((g) => !claimed.has(g.index) && matches(m, g));

  for (const cause of o.causes) {
    const roots = free().filter((f) => cause.match.some((m) => matches(m, f) && (m.join !== 'anyPod' || f.subject.pods.size > 0)));
    if (!roots.length) continue;
    const b = new Builder(cause.id, cause.id);
    const queue: Facet[] = [];
    const take = (f: Facet, role: Role) => {
      claimed.add(f.index);
      b.add(f, role);
      queue.push(f);
    };
    for (const f of roots) take(f, 'root');
    for (const link of cause.evidence) for (const g of candidates(link)) take(g, 'evidence');
    // a link that does not depend on the finding it starts from (node, anyPod) is followed once
    const followed = new Set<CompiledMatcher>();
    while (queue.length) {
      const f = queue.shift()!;
      // the links of every cause this finding is: the roots are this cause; a consequence may be
      // another's (a stopped containerd is why kubelet's calls time out)
      for (const d of o.causes) {
        if (!d.match.some((m) => matches(m, f))) continue;
        for (const link of d.explains) {
          const once = link.join === 'node' || link.join === 'anyPod';
          if (once && followed.has(link)) continue;
          if (once) followed.add(link);
          for (const g of candidates(link)) if (joined(link.join, f.subject, g.subject, g.text)) take(g, 'consequences');
        }
      }
    }
    built.push({ b, spec: cause });
  }

  // what no cause explains: several rules about one container are one incident, rooted at the
  // worst and deepest of them
  const rest = free();
  const parent = new Map<number, number>(rest.map((f) => [f.index, f.index]));
  const find = (i: number): number => (parent.get(i) === i ? i : find(parent.get(i)!));
  const owner = new Map<string, number>();
  for (const f of rest) {
    const keysOf = [...f.subject.podContainers, ...[...f.subject.containerIds].map((c) => `id:${c}`), ...[...f.subject.pids].map((p) => `pid:${p}`)];
    for (const k of keysOf) {
      const o2 = owner.get(k);
      if (o2 === undefined) owner.set(k, f.index);
      else parent.set(find(f.index), find(o2));
    }
  }
  const components = new Map<number, Facet[]>();
  for (const f of rest) {
    const list = components.get(find(f.index));
    if (list) list.push(f);
    else components.set(find(f.index), [f]);
  }
  const usedIds = new Set(built.map((x) => x.b.id));
  const uniqueId = (base: string) => {
    let id = base;
    for (let n = 2; usedIds.has(id); n++) id = `${base}#${n}`;
    usedIds.add(id);
    return id;
  };
  for (const group of components.values()) {
    if (new Set(group.map((f) => f.finding.rule)).size < 2) continue;
    const [root, ...others] = [...group].sort((a, b) => sevRank(a.finding.severity) - sevRank(b.finding.severity)
      || DEPTH.indexOf(a.finding.layer) - DEPTH.indexOf(b.finding.layer) || a.index - b.index);
    const b = new Builder(uniqueId(root.finding.rule), root.finding.rule);
    b.add(root, 'root');
    for (const f of others) b.add(f, f.finding.rule === root.finding.rule ? 'root' : 'consequences');
    for (const f of group) claimed.add(f.index);
    built.push({ b });
  }
  // the rest: one incident per rule (its episodes and subjects together)
  const leftByRule = new Map<string, Facet[]>();
  for (const f of free()) {
    const list = leftByRule.get(f.finding.rule);
    if (list) list.push(f);
    else leftByRule.set(f.finding.rule, [f]);
  }
  for (const [rule, group] of leftByRule) {
    const b = new Builder(uniqueId(rule), rule);
    for (const f of group) {
      b.add(f, 'root');
      claimed.add(f.index);
    }
    built.push({ b });
  }

  const byIndex = new Map(facets.map((f) => [f.index, f]));
  const incidents = built.map(({ b, spec }, order) => ({ incident: finish(b, spec, byIndex, ix, s), order, declared: !!spec }));
  incidents.sort((x, y) => sevRank(x.incident.severity) - sevRank(y.incident.severity)
    || Number(y.declared) - Number(x.declared)
    || y.incident.pods.length - x.incident.pods.length
    || size(y.incident) - size(x.incident)
    || x.order - y.order);
  return incidents.map((x) => x.incident);
}

const cutShort = (t: string) => (t.length > SHORT_MAX ? `${t.slice(0, SHORT_MAX - 1)}…` : t);

const size = (i: Incident) => i.findings.root.length + i.findings.evidence.length + i.findings.consequences.length;

function finish(b: Builder, spec: CompiledCause | undefined, byIndex: Map<number, Facet>, ix: SubjectIndex, s: Snapshot): Incident {
  const get = (role: Role) => b.of(role).map((i) => byIndex.get(i)!);
  const roots = get('root');
  const evidence = get('evidence');
  const consequences = get('consequences');
  const all = [...roots, ...evidence, ...consequences];
  const severity = all.reduce<Severity>((w, f) => (sevRank(f.finding.severity) < sevRank(w) ? f.finding.severity : w), 'info');
  const podIds = new Set<string>();
  for (const f of all) for (const p of podsOf(f.subject)) podIds.add(p);
  // a pod named by its name and by its id is one pod
  const pods = [...new Set([...podIds].map((p) => podLabel(p, ix)))];
  const first = roots[0].finding;
  const proof = [...new Set([...roots, ...evidence].map((f) => f.finding.summary))];
  const references = spec?.references.length ? spec.references
    : [...new Set(roots.flatMap((f) => f.finding.references ?? []))].slice(0, 3);
  return {
    id: b.id,
    cause: b.cause,
    title: spec?.title ?? first.title,
    short: spec?.short ?? cutShort(first.title),
    severity,
    layer: spec?.layer ?? first.layer,
    certainty: spec?.certainty ?? 'observed',
    pods,
    proof,
    ...(fill(spec?.nextStep, s) ?? first.nextStep ? { nextStep: fill(spec?.nextStep, s) ?? first.nextStep } : {}),
    ...(spec?.fix ? { fix: fill(spec.fix, s) } : {}),
    references,
    findings: { root: roots.map((f) => f.key), evidence: evidence.map((f) => f.key), consequences: consequences.map((f) => f.key) },
  };
}

