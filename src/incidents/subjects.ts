// Who a finding is about, joined through the Snapshot: a pid to its container and pod (the
// process tree), a shim to its pod, a container id to its pod container (CRI, the tree), a pod
// name to its sandbox id, and the ids and pod names a finding's lines mention (log findings carry
// the ids their lines name). Plain data in, plain data out.
import type { Finding, Snapshot, TreeProcess } from '../snapshot/types/index.ts';

export interface PodName {
  sandboxId: string;
  /** namespace/name when known */
  name?: string;
  /** SANDBOX_READY, SANDBOX_NOTREADY (CRI), when listed */
  state?: string;
}

/** What the Snapshot says about every id, pid and pod it knows. */
export interface SubjectIndex {
  pods: Map<string, PodName>;
  podIdsByName: Map<string, string[]>;
  /** container id → its pod and name */
  containers: Map<string, { sandboxId?: string; name?: string }>;
  /** pid → the container (and pod) it runs in */
  pids: Map<number, { sandboxId?: string; containerId?: string; containerName?: string }>;
  /** shim pid → the pod it serves */
  shims: Map<number, string>;
}

/** A process of the tree: its pod, its container, and the pid itself as theirs. */
function indexProcess(p: TreeProcess, ix: { addPod: (sandboxId: string, namespace?: string, name?: string) => void } & Pick<SubjectIndex, 'containers' | 'pids'>): void {
  const pod = p.pod;
  const c = p.container;
  if (pod) ix.addPod(pod.sandboxId, pod.namespace, pod.name);
  if (c && !ix.containers.has(c.id)) ix.containers.set(c.id, { sandboxId: pod?.sandboxId, name: c.name });
  if (pod || c) ix.pids.set(p.pid, { sandboxId: pod?.sandboxId, containerId: c?.id, containerName: c?.name });
}

/** A pod's name and state: what was known first stays. */
const mergedPod = (had: PodName | undefined, sandboxId: string, name: string | undefined, state: string | undefined): PodName => ({ sandboxId, name: had?.name ?? name, state: had?.state ?? state });

export function subjectIndex(s: Snapshot): SubjectIndex {
  const pods = new Map<string, PodName>();
  const containers = new Map<string, { sandboxId?: string; name?: string }>();
  const pids = new Map<number, { sandboxId?: string; containerId?: string; containerName?: string }>();
  const shims = new Map<number, string>();
  const addPod = (sandboxId: string, namespace?: string, name?: string, state?: string) => pods.set(sandboxId, mergedPod(pods.get(sandboxId), sandboxId, namespace && name ? `${namespace}/${name}` : undefined, state));
  const ok = <T>(r: { status: string; data?: T }): T | undefined => (r.status === 'ok' ? r.data : undefined);
  for (const p of ok(s.cri.pods) ?? []) addPod(p.id, p.metadata?.namespace, p.metadata?.name, p.state);
  for (const c of ok(s.cri.containers) ?? []) containers.set(c.id, { sandboxId: c.podSandboxId, name: c.metadata?.name });
  const tree = ok(s.tree);
  for (const p of tree?.processes ?? []) indexProcess(p, { addPod, containers, pids });
  for (const sh of tree?.shims ?? []) {
    if (sh.pod) addPod(sh.pod.sandboxId, sh.pod.namespace, sh.pod.name);
    const id = sh.pod?.sandboxId ?? sh.id;
    if (id) shims.set(sh.pid, id);
  }
  return { pods, podIdsByName: idsByName(pods), containers, pids, shims };
}

/** Pod name → the sandbox ids of that name (a pod re-created keeps its name). */
function idsByName(pods: Map<string, PodName>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const p of pods.values()) if (p.name) out.set(p.name, [...(out.get(p.name) ?? []), p.sandboxId]);
  return out;
}

/** A finding's subject, joined: every pod, pod container, container id and pid it is about. */
export interface JoinedSubject {
  /** sandbox ids (or `name:ns/name` when only the name is known) */
  pods: Set<string>;
  /** `sandboxId/containerName`: kubelet's retries are new ids of one pod container */
  podContainers: Set<string>;
  containerIds: Set<string>;
  pids: Set<number>;
  /** ids and pod names a mention of this finding would use: full container and sandbox ids, namespace/name */
  tokens: Set<string>;
  /** pods the finding's own lines mention (log findings): sandbox ids */
  mentionedPods: Set<string>;
}

const FULL_ID = /\b[0-9a-f]{64}\b/g;

/** The finding's lines, as a mention or a text matcher reads them. */
export function findingText(f: Finding): string {
  return [f.summary, ...f.evidence].join('\n');
}

/** What the subject itself names: its pod (by id or name), container, pid and shim. */
function joinOwnSubject(j: JoinedSubject, sub: NonNullable<Finding['subject']>, ix: SubjectIndex): void {
  const addContainer = (id: string | undefined, sandboxId: string | undefined, name: string | undefined) => {
    if (id) j.containerIds.add(id);
    const known = id ? ix.containers.get(id) : undefined;
    const pod = sandboxId ?? known?.sandboxId;
    const cname = name ?? known?.name;
    if (pod) j.pods.add(pod);
    if (pod && cname) j.podContainers.add(`${pod}/${cname}`);
  };
  if (sub.podSandboxId) j.pods.add(sub.podSandboxId);
  if (sub.pod) {
    const ids = ix.podIdsByName.get(sub.pod);
    if (ids) for (const id of ids) j.pods.add(id);
    else if (!sub.podSandboxId) j.pods.add(`name:${sub.pod}`);
  }
  if (sub.containerId || sub.container) addContainer(sub.containerId, sub.podSandboxId ?? [...j.pods].find((p) => !p.startsWith('name:')), sub.container);
  if (sub.pid !== undefined) {
    j.pids.add(sub.pid);
    const p = ix.pids.get(sub.pid);
    if (p) addContainer(p.containerId, p.sandboxId, p.containerName);
  }
  const shimPod = sub.shimPid !== undefined ? ix.shims.get(sub.shimPid) : undefined;
  if (shimPod) j.pods.add(shimPod);
}

/** The tokens a mention of the finding would use: container ids, sandbox ids and pod names (short ones dropped). */
function tokensOf(j: JoinedSubject, ix: SubjectIndex): void {
  const addPod = (pod: string) => {
    j.tokens.add(pod);
    const name = ix.pods.get(pod)?.name;
    if (name) j.tokens.add(name);
  };
  for (const id of j.containerIds) j.tokens.add(id);
  for (const pod of j.pods) {
    if (pod.startsWith('name:')) j.tokens.add(pod.slice(5));
    else addPod(pod);
  }
  // a finding found through its mentions is about those pods too, so its consequences may mention them
  for (const pod of j.mentionedPods) addPod(pod);
  for (const t of [...j.tokens]) if (t.length < 8) j.tokens.delete(t);
}

export function joinSubject(f: Finding, ix: SubjectIndex): JoinedSubject {
  const j: JoinedSubject = { pods: new Set(), podContainers: new Set(), containerIds: new Set(), pids: new Set(), tokens: new Set(), mentionedPods: new Set() };
  joinOwnSubject(j, f.subject ?? {}, ix);
  // what the finding's own lines name: log findings carry ids, not subjects
  for (const id of findingText(f).match(FULL_ID) ?? []) {
    const pod = ix.pods.has(id) ? id : ix.containers.get(id)?.sandboxId;
    if (pod) j.mentionedPods.add(pod);
  }
  tokensOf(j, ix);
  return j;
}

function intersects<T>(a: Set<T>, b: Set<T>): boolean {
  for (const x of a) if (b.has(x)) return true;
  return false;
}

/** Does finding `g` (with joined subject `gj` and text `gText`) relate to `fj` as the join says? */
export function joined(join: string, fj: JoinedSubject, gj: JoinedSubject, gText: string): boolean {
  switch (join) {
    case 'node':
      return true;
    case 'anyPod':
      return gj.pods.size > 0;
    case 'pod':
      return intersects(fj.pods, gj.pods) || intersects(fj.mentionedPods, gj.pods) || intersects(fj.pods, gj.mentionedPods);
    case 'container':
      return intersects(fj.podContainers, gj.podContainers) || intersects(fj.containerIds, gj.containerIds);
    case 'pid':
      return intersects(fj.pids, gj.pids) || intersects(fj.containerIds, gj.containerIds);
    case 'mentions':
      for (const t of fj.tokens) if (gText.includes(t)) return true;
      return false;
    default:
      return false;
  }
}

/** The pods a finding affects, as sandbox ids: its subject's and those its lines mention. */
export function podsOf(j: JoinedSubject): string[] {
  return [...new Set([...j.pods, ...j.mentionedPods])];
}

/** A pod as a person reads it: namespace/name, else the sandbox id's start. */
export function podLabel(id: string, ix: SubjectIndex): string {
  if (id.startsWith('name:')) return id.slice(5);
  return ix.pods.get(id)?.name ?? id.slice(0, 13);
}
