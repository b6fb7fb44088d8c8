// Pod and container names for the ids events and polls carry, from what is already at hand or
// one list call away, never one call per container:
//  - runc's state.json labels (io.kubernetes.cri.*: the sandbox's namespace, name and id, the
//    container's name and type), read once per container by the runc poll;
//  - CRI's ListPodSandbox and ListContainers (names, attempts), and containerd's Containers.List
//    (its io.kubernetes.* labels name a container before CRI's own store has it);
//  - the CRI events of 2.x, which carry their pod's status.
import type { Container, ContainerdContainerView, PodSandbox } from '../snapshot/types/index.ts';
import type { RuncKubeLabels } from '../snapshot/types/runc.ts';
import type { Names } from './types.ts';

const podName = (ns: string | undefined, name: string | undefined) => (ns && name ? `${ns}/${name}` : undefined);

function drop(n: Names): Names {
  for (const k of Object.keys(n) as (keyof Names)[]) if (n[k] === undefined || n[k] === '') delete n[k];
  return n;
}

/** CRI's two lists: each pod's sandbox id, and each container's name, attempt and pod. */
export function namesFromCri(pods: readonly PodSandbox[], containers: readonly Container[]): [string, Names][] {
  const podOf = new Map(pods.map((p) => [p.id, podName(p.metadata?.namespace, p.metadata?.name)]));
  return [
    ...pods.map((p): [string, Names] => [p.id, drop({ pod: podOf.get(p.id), podSandboxId: p.id, sandbox: true })]),
    ...containers.map((c): [string, Names] => [c.id, drop({
      pod: podOf.get(c.podSandboxId), podSandboxId: c.podSandboxId || undefined, container: c.metadata?.name, attempt: c.metadata?.attempt,
    })]),
  ];
}

/** containerd's containers: the io.kubernetes.* labels kubelet put in their configs, and the CRI plugin's kind. */
export function namesFromContainerdLabels(containers: readonly ContainerdContainerView[]): [string, Names][] {
  return containers.map((c): [string, Names] => {
    const l = c.labels ?? {};
    const sandbox = l['io.cri-containerd.kind'] === 'sandbox';
    return [c.id, drop({
      pod: podName(l['io.kubernetes.pod.namespace'], l['io.kubernetes.pod.name']),
      podSandboxId: sandbox ? c.id : undefined,
      container: sandbox ? undefined : l['io.kubernetes.container.name'],
      sandbox: sandbox || undefined,
    })];
  });
}

/** runc's state labels (the OCI annotations containerd's CRI plugin writes). */
export function namesFromRunc(id: string, kube: RuncKubeLabels): Names {
  const sandbox = kube.containerType === 'sandbox';
  return drop({
    pod: podName(kube.sandboxNamespace, kube.sandboxName),
    podSandboxId: kube.sandboxId ?? (sandbox ? id : undefined),
    container: sandbox ? undefined : kube.containerName,
    sandbox: sandbox || undefined,
  });
}

/**
 * The names known for each id. What a later source says fills in and corrects what an earlier
 * one said (CRI's lists carry attempts, runc's labels do not). Ids nothing mentioned for a while
 * are forgotten (prune), so a node's churn does not grow it without end.
 */
export class NameBook {
  private readonly byId = new Map<string, { names: Names; at: number }>();

  learn(entries: Iterable<[string, Names]>, at: number): void {
    for (const [id, n] of entries) {
      if (!id) continue;
      // what a source does not say leaves what another said
      const names: Names = { ...this.byId.get(id)?.names };
      for (const [k, v] of Object.entries(n) as [keyof Names, Names[keyof Names]][]) if (v !== undefined && v !== '') (names as Record<string, unknown>)[k] = v;
      this.byId.set(id, { names, at });
    }
  }

  get(id: string): Names | undefined {
    return this.byId.get(id)?.names;
  }

  /** The names, with the pod's filled from its sandbox when only the sandbox id was known. */
  lookup(id: string): Names | undefined {
    const n = this.get(id);
    if (!n || n.pod || !n.podSandboxId || n.podSandboxId === id) return n;
    const pod = this.get(n.podSandboxId)?.pod;
    return pod ? { ...n, pod } : n;
  }

  /** Forgets ids last mentioned before `before` (ms). */
  prune(before: number): void {
    for (const [id, e] of this.byId) if (e.at < before) this.byId.delete(id);
  }

  get size(): number {
    return this.byId.size;
  }
}
