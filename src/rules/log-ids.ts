// Naming the ids a log line carries: a sandbox or container id is named by the pod
// (namespace/name) and container the Snapshot knows for it (CRI's listings, containerd's
// containers and their kubelet labels, the process tree), or said to be no longer known (its pod
// was removed since, or it is not a Kubernetes task).
import type { FindingSubject, Snapshot } from '../snapshot/types/index.ts';
import { shortId } from '../ids.ts';

export interface IdName {
  /** namespace/name */
  pod?: string;
  podSandboxId?: string;
  /** the container's name; none for a pod's sandbox (pause) */
  container?: string;
  containerId?: string;
}

/** A container or sandbox id as containerd and CRI write it (64 hex; 12 or more when cut). */
export const TASK_ID = /^[0-9a-f]{12,64}$/;

const built = new WeakMap<Snapshot, Map<string, IdName>>();
/** Why the ids of this run cannot be named: none of the lists that name them was read. */
const unread = new WeakMap<Map<string, IdName>, string>();

/** Every id the Snapshot can name, built once per Snapshot. */
export function idNames(s: Snapshot): Map<string, IdName> {
  let names = built.get(s);
  if (!names) {
    built.set(s, (names = buildNames(s)));
    // an id no list of this run could name is not "removed": the lists were not read
    const lists = [s.cri.pods, s.cri.containers, s.containerd.containers];
    if (!lists.some((p) => p.status === 'ok')) unread.set(names, `this run could not read CRI's or containerd's lists (${lists.map((p) => `${p.probe} ${p.status}`).join(', ')})`);
  }
  return names;
}

/** CRI's pods and containers: the names kubelet gave them. */
function criNames(s: Snapshot, names: Map<string, IdName>): void {
  const podOf = new Map<string, string>();
  for (const p of s.cri.pods.data ?? []) {
    const pod = `${p.metadata.namespace}/${p.metadata.name}`;
    podOf.set(p.id, pod);
    names.set(p.id, { pod, podSandboxId: p.id });
  }
  for (const c of s.cri.containers.data ?? []) {
    names.set(c.id, { pod: podOf.get(c.podSandboxId), podSandboxId: c.podSandboxId, container: c.metadata.name, containerId: c.id });
  }
}

/** containerd's own record of a container carries kubelet's labels (and CRI's sandbox id). */
function labelName(id: string, l: Record<string, string>): IdName | undefined {
  const ns = l['io.kubernetes.pod.namespace'];
  const name = l['io.kubernetes.pod.name'];
  if (!ns || !name) return undefined;
  const pod = `${ns}/${name}`;
  if (l['io.cri-containerd.kind'] === 'sandbox') return { pod, podSandboxId: id };
  return { pod, container: l['io.kubernetes.container.name'], containerId: id, podSandboxId: l['io.kubernetes.sandbox.id'] };
}

/** The process tree's pods and containers (from the shims' and runc's ids). */
function treeNames(s: Snapshot, names: Map<string, IdName>): void {
  for (const t of s.tree.data?.processes ?? []) {
    const pod = t.pod?.namespace && t.pod.name ? `${t.pod.namespace}/${t.pod.name}` : undefined;
    if (!pod) continue;
    if (t.pod && !names.has(t.pod.sandboxId)) names.set(t.pod.sandboxId, { pod, podSandboxId: t.pod.sandboxId });
    if (t.container && !names.has(t.container.id)) {
      names.set(t.container.id, t.container.type === 'sandbox'
        ? { pod, podSandboxId: t.container.id }
        : { pod, podSandboxId: t.pod?.sandboxId, container: t.container.name, containerId: t.container.id });
    }
  }
}

function buildNames(s: Snapshot): Map<string, IdName> {
  const names = new Map<string, IdName>();
  criNames(s, names);
  for (const c of s.containerd.containers.data ?? []) {
    const n = names.has(c.id) ? undefined : labelName(c.id, c.labels ?? {});
    if (n) names.set(c.id, n);
  }
  treeNames(s, names);
  return names;
}

/** The name of an id, also when the line cut it short (12 or more hex characters: a prefix). */
export function nameOfId(names: Map<string, IdName>, id: string): IdName | undefined {
  const exact = names.get(id);
  if (exact || id.length >= 64) return exact;
  for (const [k, v] of names) if (k.startsWith(id)) return v;
  return undefined;
}

/** "pod ns/name container app (3bc9a08b1c2d)", "pod ns/name (its sandbox, 3bc9…)", "3bc9a08b1c2d (no longer known: …)", or "… (not named: …)" when no list was read. */
export function describeId(names: Map<string, IdName>, id: string): string {
  const n = nameOfId(names, id);
  const why = n?.pod ? undefined : unread.get(names);
  if (why) return `${shortId(id)} (not named: ${why})`;
  if (!n?.pod) return `${shortId(id)} (no longer known to CRI or containerd: its pod was removed since, or it is not a Kubernetes task)`;
  return n.container ? `pod ${n.pod} container ${n.container} (${shortId(id)})` : `pod ${n.pod} (its sandbox, ${shortId(id)})`;
}

/** The finding subject for the ids of one hit: the pod and container when they are one. */
export function subjectOfIds(names: Map<string, IdName>, ids: string[]): FindingSubject | undefined {
  const known = ids.map((id) => nameOfId(names, id)).filter((n): n is IdName => !!n?.pod);
  if (!known.length) return undefined;
  const pods = new Set(known.map((n) => n.pod));
  if (pods.size > 1) return undefined;
  const first = known[0];
  const ctrs = new Set(known.filter((n) => n.container).map((n) => n.containerId));
  const ctr = ctrs.size === 1 ? known.find((n) => n.container) : undefined;
  return {
    pod: first.pod,
    ...(first.podSandboxId ? { podSandboxId: first.podSandboxId } : {}),
    ...(ctr ? { container: ctr.container, containerId: ctr.containerId } : {}),
  };
}
