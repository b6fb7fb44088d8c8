// The incident engine: failing findings grouped by root cause, pure (no I/O). Causes from
// rules/incidents.json are tried in order; each takes the findings it matches that no earlier
// incident took, then follows its links (explains, evidence) from every finding it takes, so
// consequences of consequences land under the same cause. What no cause takes becomes incidents
// of its own: findings about one container under different rules as one, then one per rule.
import { SEVERITY_ORDER, type Finding, type Layer, type Severity, type Snapshot } from '../snapshot/types/index.ts';
import type { CompiledCause, CompiledMatcher } from './table.ts';
import { findingText, joined, joinSubject, podLabel, podsOf, subjectIndex, type JoinedSubject, type SubjectIndex } from './subjects.ts';
import { goroutineSignatureOf } from './keys.ts';
import { fillTemplate, UnfilledVariable, type VariableValues } from '../rules/template.ts';
import { stackVariables } from '../rules/stack-variables.ts';

export type IncidentCertainty = 'proven' | 'likely' | 'observed';

export interface Incident {
  /** stable and unique in a report: the cause's id, or the rule id of a finding no cause explains */
  id: string;
  /** the cause's id in rules/incidents.json, or the rule id when no cause explains the finding */
  cause: string;
  /** what is wrong: the cause, not the symptom */
  title: string;
  /** the cause in a few words (the Prometheus `cause` label, the NPD line): the table's short, or the rule's title */
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

/** The variables of the incident's root finding, from its subject. */
function subjectVariables(f: Finding): VariableValues {
  const sub = f.subject ?? {};
  return { pid: sub.pid, shimPid: sub.shimPid, containerId: sub.containerId, podId: sub.podSandboxId, podName: sub.pod, path: sub.path };
}

/** A cause's text filled with the rules' one filler; undefined when a variable has no value
 * (the root finding's own next step is used then). */
function fill(text: string | undefined, s: Snapshot, root: Finding): string | undefined {
  if (!text) return undefined;
  try {
    return fillTemplate(text, { ...stackVariables(s), ...subjectVariables(root) });
  } catch (err) {
    if (err instanceof UnfilledVariable) return undefined;
    throw err;
  }
}

class Builder {
  readonly roles = new Map<number, Role>();
  constructor(readonly id: string, readonly cause: string, readonly spec?: CompiledCause) {}
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

function groupBy<T, K>(items: T[], key: (x: T) => K): Map<K, T[]> {
  const out = new Map<K, T[]>();
  for (const x of items) {
    const list = out.get(key(x));
    if (list) list.push(x);
    else out.set(key(x), [x]);
  }
  return out;
}

/** The failing findings and what the engine needs to know of each, once. */
function facetsOf(s: Snapshot, findings: Finding[], keys: string[], ix: SubjectIndex): Facet[] {
  const facets: Facet[] = [];
  findings.forEach((f, index) => {
    if (f.status !== 'fail') return;
    facets.push({ index, finding: f, key: keys[index], signature: goroutineSignatureOf(f, s), text: findingText(f), subject: joinSubject(f, ix) });
  });
  return facets;
}

/** Which findings are still free to take, and the free ones a matcher names. */
class Pool {
  readonly claimed = new Set<number>();
  private readonly byRule: Map<string, Facet[]>;
  constructor(readonly facets: Facet[]) {
    this.byRule = groupBy(facets, (f) => f.finding.rule);
  }
  free(): Facet[] {
    return this.facets.filter((f) => !this.claimed.has(f.index));
  }
  /** links name a rule: look only at that rule's findings */
  matching(m: CompiledMatcher): Facet[] {
    return (this.byRule.get(m.rule) ?? []).filter((g) => !this.claimed.has(g.index) && matches(m, g));
  }
}

/** One cause's incident: the free findings it matches, then everything its links reach from them. */
function takeCause(cause: CompiledCause, causes: CompiledCause[], pool: Pool): Builder | undefined {
  const roots = pool.free().filter((f) => cause.match.some((m) => matches(m, f) && (m.join !== 'anyPod' || f.subject.pods.size > 0)));
  if (!roots.length) return undefined;
  const b = new Builder(cause.id, cause.id, cause);
  const queue: Facet[] = [];
  const take = (f: Facet, role: Role) => {
    pool.claimed.add(f.index);
    b.add(f, role);
    queue.push(f);
  };
  for (const f of roots) take(f, 'root');
  for (const link of cause.evidence) for (const g of pool.matching(link)) take(g, 'evidence');
  // a link that does not depend on the finding it starts from (node, anyPod) is followed once
  const followed = new Set<CompiledMatcher>();
  while (queue.length) {
    const f = queue.shift()!;
    // the links of every cause this finding is: the roots are this cause; a consequence may be
    // another's (a stopped containerd is why kubelet's calls time out)
    const links = causes.filter((d) => d.match.some((m) => matches(m, f))).flatMap((d) => d.explains);
    for (const link of links) {
      const once = link.join === 'node' || link.join === 'anyPod';
      if (once && followed.has(link)) continue;
      if (once) followed.add(link);
      for (const g of pool.matching(link)) if (joined(link.join, f.subject, g.subject, g.text)) take(g, 'consequences');
    }
  }
  return b;
}

/** Free findings about one container (pod container, container id or pid) in groups, joined transitively. */
function sameContainer(rest: Facet[]): Facet[][] {
  const parent = new Map<number, number>(rest.map((f) => [f.index, f.index]));
  const find = (i: number): number => (parent.get(i) === i ? i : find(parent.get(i)!));
  const owner = new Map<string, number>();
  for (const f of rest) {
    const keysOf = [...f.subject.podContainers, ...[...f.subject.containerIds].map((c) => `id:${c}`), ...[...f.subject.pids].map((p) => `pid:${p}`)];
    for (const k of keysOf) {
      const o = owner.get(k);
      if (o === undefined) owner.set(k, f.index);
      else parent.set(find(f.index), find(o));
    }
  }
  return [...groupBy(rest, (f) => find(f.index)).values()];
}

/**
 * What no cause explains: several rules about one container are one incident, rooted at the
 * worst and deepest of them; the rest one incident per rule (its episodes and subjects together).
 */
function takeUnexplained(pool: Pool, usedIds: Set<string>): Builder[] {
  const uniqueId = (base: string) => {
    let id = base;
    for (let n = 2; usedIds.has(id); n++) id = `${base}#${n}`;
    usedIds.add(id);
    return id;
  };
  const out: Builder[] = [];
  for (const group of sameContainer(pool.free())) {
    if (new Set(group.map((f) => f.finding.rule)).size < 2) continue;
    const [root, ...others] = [...group].sort((a, b) => sevRank(a.finding.severity) - sevRank(b.finding.severity)
      || DEPTH.indexOf(a.finding.layer) - DEPTH.indexOf(b.finding.layer) || a.index - b.index);
    const b = new Builder(uniqueId(root.finding.rule), root.finding.rule);
    b.add(root, 'root');
    for (const f of others) b.add(f, f.finding.rule === root.finding.rule ? 'root' : 'consequences');
    for (const f of group) pool.claimed.add(f.index);
    out.push(b);
  }
  for (const [rule, group] of groupBy(pool.free(), (f) => f.finding.rule)) {
    const b = new Builder(uniqueId(rule), rule);
    for (const f of group) {
      b.add(f, 'root');
      pool.claimed.add(f.index);
    }
    out.push(b);
  }
  return out;
}

/** Worst first; among equals, a known cause before a lone finding, then more pods, then more findings. */
function rank(incidents: { incident: Incident; declared: boolean; order: number }[]): Incident[] {
  return [...incidents].sort((x, y) => sevRank(x.incident.severity) - sevRank(y.incident.severity)
    || Number(y.declared) - Number(x.declared)
    || y.incident.pods.length - x.incident.pods.length
    || size(y.incident) - size(x.incident)
    || x.order - y.order).map((x) => x.incident);
}

/**
 * Groups the failing findings into incidents, worst first. `keys` are the findings' keys
 * (findingKeys), in the same order as `findings`. Every failing finding lands in exactly one.
 */
export function groupIncidents(s: Snapshot, findings: Finding[], keys: string[], o: GroupOptions): Incident[] {
  const ix = subjectIndex(s);
  const pool = new Pool(facetsOf(s, findings, keys, ix));
  const built: Builder[] = [];
  for (const cause of o.causes) {
    const b = takeCause(cause, o.causes, pool);
    if (b) built.push(b);
  }
  built.push(...takeUnexplained(pool, new Set(built.map((b) => b.id))));
  const byIndex = new Map(pool.facets.map((f) => [f.index, f]));
  return rank(built.map((b, order) => ({ incident: finish(b, byIndex, ix, s), order, declared: !!b.spec })));
}

const size = (i: Incident) => i.findings.root.length + i.findings.evidence.length + i.findings.consequences.length;

function finish(b: Builder, byIndex: Map<number, Facet>, ix: SubjectIndex, s: Snapshot): Incident {
  const spec = b.spec;
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
  const nextStep = fill(spec?.nextStep, s, first) ?? first.nextStep;
  const fix = fill(spec?.fix, s, first);
  const proof = [...new Set([...roots, ...evidence].map((f) => f.finding.summary))];
  const references = spec?.references.length ? spec.references
    : [...new Set(roots.flatMap((f) => f.finding.references ?? []))].slice(0, 3);
  return {
    id: b.id,
    cause: b.cause,
    title: spec?.title ?? first.title,
    short: spec?.short ?? first.title,
    severity,
    layer: spec?.layer ?? first.layer,
    certainty: spec?.certainty ?? 'observed',
    pods,
    proof,
    ...(nextStep ? { nextStep } : {}),
    ...(fix ? { fix } : {}),
    references,
    findings: { root: roots.map((f) => f.key), evidence: evidence.map((f) => f.key), consequences: consequences.map((f) => f.key) },
  };
}

