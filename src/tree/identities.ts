// Who is who: container and pod identities from CRI, containerd tasks and runc states, and the
// pid each source claims for a container, checked against /proc start times. Pure.
import type { Container, ContainerDetail, PodSandbox, SandboxDetail } from '../snapshot/types/cri.ts';
import type { TaskView } from '../snapshot/types/containerd.ts';
import type { ProcessInfo } from '../snapshot/types/proc.ts';
import type { RuncContainerState } from '../snapshot/types/runc.ts';
import type { ContainerRef, PodRef } from '../snapshot/types/tree.ts';

export interface CriInputs {
  pods: PodSandbox[];
  containers: Container[];
  /** verbose container statuses (info.pid) */
  containerDetails?: ContainerDetail[];
  /** verbose sandbox statuses (info.pid) */
  sandboxDetails?: SandboxDetail[];
}

export interface Identities {
  podOfSandbox: Map<string, PodRef>;
  containerOfId: Map<string, ContainerRef & { sandboxId?: string }>;
  /** pid → container id, with the source that said so (start time checked where possible) */
  containerOfPid: Map<number, { id: string; matchedBy: string }>;
  /** CRI's verbose pid per container id */
  criPid: Map<string, number>;
  /** containers CRI or containerd know about (ids) */
  knownIds: Set<string>;
}

/** CRI createdAt (ns since the epoch, decimal) → ms. */
export function nsToMs(ns: string | undefined): number | undefined {
  if (!ns || !/^\d+$/.test(ns)) return undefined;
  const v = Number(BigInt(ns) / 1_000_000n);
  return v > 0 ? v : undefined;
}

type Names = Pick<Identities, 'podOfSandbox' | 'containerOfId' | 'knownIds'>;

/** Names from CRI (pods, containers) and the ids containerd's tasks know. */
function namesFromCri(n: Names, cri: CriInputs | undefined, tasks: TaskView[] | undefined): void {
  for (const p of cri?.pods ?? []) {
    const m = p.metadata;
    n.podOfSandbox.set(p.id, { namespace: m?.namespace, name: m?.name, uid: m?.uid, sandboxId: p.id });
    n.containerOfId.set(p.id, { id: p.id, name: m?.name, attempt: m?.attempt, type: 'sandbox', sandboxId: p.id });
    n.knownIds.add(p.id);
  }
  for (const c of cri?.containers ?? []) {
    n.containerOfId.set(c.id, { id: c.id, name: c.metadata?.name, attempt: c.metadata?.attempt, type: 'container', sandboxId: c.podSandboxId });
    n.knownIds.add(c.id);
  }
  for (const t of tasks ?? []) n.knownIds.add(t.id);
}

/** runc labels fill in what CRI did not say (CRI down, or a container CRI forgot). */
function namesFromRunc(n: Names, runc: RuncContainerState[]): void {
  for (const r of runc) {
    const k = r.kube;
    if (k.sandboxId && !n.podOfSandbox.has(k.sandboxId) && (k.sandboxName || k.sandboxNamespace)) {
      n.podOfSandbox.set(k.sandboxId, { namespace: k.sandboxNamespace, name: k.sandboxName, uid: k.sandboxUid, sandboxId: k.sandboxId });
    }
    if (n.containerOfId.has(r.id) || !(k.containerType || k.sandboxId)) continue;
    const type = k.containerType === 'sandbox' ? 'sandbox' : 'container';
    n.containerOfId.set(r.id, { id: r.id, name: type === 'sandbox' ? k.sandboxName : k.containerName, type, sandboxId: k.sandboxId ?? (type === 'sandbox' ? r.id : undefined) });
  }
}

/** CRI's verbose pid per container and sandbox id. */
function criPids(cri: CriInputs | undefined): Map<string, number> {
  const criPid = new Map<string, number>();
  for (const d of [...(cri?.containerDetails ?? []), ...(cri?.sandboxDetails ?? [])]) {
    const pid = d.info?.pid;
    if (pid && pid > 0) criPid.set(d.status.id, pid);
  }
  return criPid;
}

export function buildIdentities(
  procs: Map<number, ProcessInfo>,
  runc: RuncContainerState[],
  cri: CriInputs | undefined,
  tasks: TaskView[] | undefined,
): Identities {
  const names: Names = { podOfSandbox: new Map(), containerOfId: new Map(), knownIds: new Set() };
  namesFromCri(names, cri, tasks);
  namesFromRunc(names, runc);
  const containerOfPid = new Map<number, { id: string; matchedBy: string }>();
  const claim = (pid: number | undefined, id: string, matchedBy: string): void => {
    if (!pid || pid <= 0 || containerOfPid.has(pid) || !procs.has(pid)) return;
    containerOfPid.set(pid, { id, matchedBy });
  };
  // runc states first: the only source with a start time to check the pid against.
  for (const r of runc) {
    if (r.initPid && r.initStart !== undefined && procs.get(r.initPid)?.starttime === r.initStart) claim(r.initPid, r.id, 'runc-state');
  }
  for (const t of tasks ?? []) if (t.status === 'RUNNING' || t.status === 'CREATED' || t.status === 'PAUSED') claim(t.pid, t.id, 'task');
  const criPid = criPids(cri);
  for (const [id, pid] of criPid) {
    const p = procs.get(pid);
    const created = createdMsOf(cri, id);
    // CRI keeps a dead container's last pid: only trust it for a process that started after the container was created.
    if (p && (created === undefined || Date.parse(p.startedAt) + 1000 >= created)) claim(pid, id, 'cri');
  }
  return { ...names, containerOfPid, criPid };
}

export function createdMsOf(cri: CriInputs | undefined, id: string): number | undefined {
  const c = cri?.containers.find((x) => x.id === id) ?? cri?.pods.find((x) => x.id === id);
  return nsToMs(c?.createdAt);
}

/** The pod a container belongs to, by its sandbox id. */
export function podOfContainer(ids: Identities, containerId: string): PodRef | undefined {
  const c = ids.containerOfId.get(containerId);
  const sb = c?.sandboxId ?? (c?.type === 'sandbox' ? containerId : undefined);
  if (!sb) return undefined;
  return ids.podOfSandbox.get(sb) ?? { sandboxId: sb };
}

export function containerRefOf(ids: Identities, id: string): ContainerRef {
  const c = ids.containerOfId.get(id);
  if (!c) return { id };
  const ref: ContainerRef = { id };
  if (c.name !== undefined) ref.name = c.name;
  if (c.attempt !== undefined) ref.attempt = c.attempt;
  if (c.type) ref.type = c.type;
  return ref;
}

/** true/false when containerd (tasks) or CRI could be asked; null when neither answered. */
export function knownToContainerd(id: string, inp: { tasks?: { id: string }[]; cri?: Pick<CriInputs, 'pods' | 'containers'> }): boolean | null {
  if (!inp.tasks && !inp.cri) return null;
  if (inp.tasks?.some((t) => t.id === id)) return true;
  if (inp.cri?.containers.some((c) => c.id === id) || inp.cri?.pods.some((p) => p.id === id)) return true;
  return false;
}
