// Rules over the process-tree facts (src/tree): each fact kind maps to one rule from
// rules/tree-facts.json; the tree builder did the judging, these say what it means.
import type { Hit, Rule } from './rule.ts';
import { need } from './rule.ts';
import { treeFactTable } from './tables.ts';
import type { TreeFactEntry } from './table.ts';
import { containerLayers, layerEvidence } from './container-evidence.ts';
import type { VariableValues } from './template.ts';
import type { Finding, Snapshot } from '../snapshot/types/index.ts';
import type { TreeFact } from '../snapshot/types/tree.ts';
import { shortId } from '../ids.ts';

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

/** The hit variables a tree fact gives its rule's text (rules/variables.json). */
function varsOf(f: TreeFact): VariableValues {
  return {
    pid: f.subject.pid,
    shimPid: f.subject.shimPid,
    containerId: f.subject.container?.id,
    podId: f.subject.pod?.sandboxId ? shortId(f.subject.pod.sandboxId) : undefined,
    podName: f.subject.pod?.name,
    path: f.subject.path,
  };
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

/** Facts of these kinds are about a parked init: the other layers' view of its container goes with them. */
const parkedInitKinds = new Set(['stuck-runc-init', 'repeated-runc-init']);

/** The shim, the task, a waiting runc start and containerd's waiting goroutines (the fact has runc's state and the init's). */
function otherLayers(s: Snapshot, spec: TreeFactEntry, f: TreeFact): string[] {
  const id = f.subject.container?.id;
  if (!parkedInitKinds.has(spec.fact) || !id) return [];
  return layerEvidence(containerLayers(s, { containerId: id, podSandboxId: f.subject.pod?.sandboxId, initPid: f.subject.pid }), ['runc', 'init']);
}

/**
 * Orphans under a running containerd: it will not clean them up on its own (containerd 2.x leaves
 * a killed shim's app containers running while it is up: testdata/captures/VERSIONS.md#dead-shim).
 */
const CONTAINERD_10727 = 'https://github.com/containerd/containerd/issues/10727';
function variantOf(s: Snapshot, spec: TreeFactEntry): Pick<Hit, 'variant' | 'references'> {
  if (spec.fact !== 'orphan-process') return {};
  const cd = s.containerd.process.status === 'ok' ? s.containerd.process.data : undefined;
  return cd && !['T', 't', 'Z', 'X'].includes(cd.state) ? { variant: 'containerdRunning', references: [CONTAINERD_10727] } : {};
}

function hitsOf(s: Snapshot, spec: TreeFactEntry, facts: TreeFact[]): Hit[] {
  if (!groupedKinds.has(spec.fact)) {
    const v = variantOf(s, spec);
    return facts.map((f) => ({ summary: f.message, subject: subjectOf(f), evidence: [...evidenceOf(f), ...otherLayers(s, spec, f)], vars: varsOf(f), ...v }));
  }
  const groups = new Map<string, TreeFact[]>();
  for (const f of facts) groups.set(groupKey(f), [...(groups.get(groupKey(f)) ?? []), f]);
  return [...groups.values()].map((g) => {
    const first = g[0];
    if (g.length === 1) return { summary: first.message, subject: subjectOf(first), evidence: [...evidenceOf(first), ...otherLayers(s, spec, first)], vars: varsOf(first) };
    return {
      summary: `${g.length} of them for one container: ${first.message}`,
      subject: subjectOf(first),
      // the layers first: a long list of parked inits is cut short when shown
      evidence: [...otherLayers(s, spec, first), ...g.flatMap((f, i) => [`-- ${i + 1}: ${f.message}`, ...evidenceOf(f).map((e) => `   ${e}`)])],
      vars: varsOf(first),
    };
  });
}

/** One rule per entry of rules/tree-facts.json: its fact kind's facts are its hits. */
export const treeRules: (Rule & TreeFactEntry)[] = treeFactTable.map((spec) => ({
  ...spec,
  check(s: Snapshot) {
    const tree = need(s.tree, 'the process tree');
    return { hits: hitsOf(s, spec, tree.facts.filter((f) => f.kind === spec.fact)) };
  },
}));
