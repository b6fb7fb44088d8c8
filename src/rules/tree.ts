// Rules over the process-tree facts (src/tree): each fact kind maps to one rule from
// rules/tree-facts.json; the tree builder did the judging, these say what it means.
import type { Hit, Rule } from './rule.ts';
import { need } from './rule.ts';
import { treeFactRules } from './tables.ts';
import type { Finding, Snapshot } from '../snapshot/types/index.ts';
import type { TreeFact } from '../snapshot/types/tree.ts';

function subjectOf(f: TreeFact): Finding['subject'] {
  const pod = f.subject.pod;
  return {
    pod: pod?.namespace && pod.name ? `${pod.namespace}/${pod.name}` : undefined,
    podSandboxId: pod?.sandboxId,
    container: f.subject.container?.name,
    containerId: f.subject.container?.id,
    pid: f.subject.pid,
    shimPid: f.subject.shimPid,
    path: f.subject.path,
  };
}

function evidenceOf(f: TreeFact): string[] {
  return Object.entries(f.evidence).map(([k, v]) => `${k}: ${v}`);
}

/** The placeholders in a rule's next step (UPPER_CASE words in rules/tree-facts.json), filled from the snapshot and the hit. */
function fillNextStep(text: string, s: Snapshot, f: TreeFact): string {
  const values: Record<string, string | number | undefined> = {
    RUNC_ROOT: s.stack.runcRoot,
    NAMESPACE: s.stack.namespace,
    ADDRESS: s.stack.address,
    DEBUG_SOCK: s.stack.debugAddress,
    CONTAINERD_PID: s.containerd.process.data?.pid,
    POD_ID: f.subject.pod?.sandboxId?.slice(0, 13),
    POD_NAME: f.subject.pod?.name,
    CONTAINER_ID: f.subject.container?.id,
    SHIM_PID: f.subject.shimPid,
    PID: f.subject.pid,
  };
  // longest names first, so PID never eats the end of SHIM_PID
  return Object.keys(values).sort((a, b) => b.length - a.length)
    .reduce((t, k) => (values[k] === undefined ? t : t.replace(new RegExp(`\\b${k}\\b`, 'g'), String(values[k]))), text);
}

/**
 * Facts of these kinds about one pod container are one finding: kubelet's retries leave one
 * parked init per attempt, and four findings for one stuck container read as four problems.
 */
const groupedKinds = new Set(['stuck-runc-init']);

function groupKey(f: TreeFact): string {
  const pod = f.subject.pod?.sandboxId;
  return pod && f.subject.container?.name ? `${pod}/${f.subject.container.name}` : `${f.subject.container?.id ?? ''}/${f.subject.pid ?? ''}`;
}

function hitsOf(spec: (typeof treeFactRules)[number], s: Snapshot, facts: TreeFact[]): Hit[] {
  if (!groupedKinds.has(spec.fact)) {
    return facts.map((f) => ({ summary: f.message, subject: subjectOf(f), evidence: evidenceOf(f), nextStep: fillNextStep(spec.nextStep, s, f) }));
  }
  const groups = new Map<string, TreeFact[]>();
  for (const f of facts) groups.set(groupKey(f), [...(groups.get(groupKey(f)) ?? []), f]);
  return [...groups.values()].map((g) => {
    const first = g[0];
    if (g.length === 1) return { summary: first.message, subject: subjectOf(first), evidence: evidenceOf(first), nextStep: fillNextStep(spec.nextStep, s, first) };
    return {
      summary: `${g.length} of them for one container: ${first.message}`,
      subject: subjectOf(first),
      evidence: g.flatMap((f, i) => [`-- ${i + 1}: ${f.message}`, ...evidenceOf(f).map((e) => `   ${e}`)]),
      nextStep: fillNextStep(spec.nextStep, s, first),
    };
  });
}

export const treeRules: Rule[] = treeFactRules.map((spec) => ({
  ...spec,
  check(s: Snapshot) {
    const tree = need(s.tree, 'the process tree');
    return { hits: hitsOf(spec, s, tree.facts.filter((f) => f.kind === spec.fact)) };
  },
}));
