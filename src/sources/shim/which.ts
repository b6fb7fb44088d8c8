// Which shim a person means by `--shim X`: a pid, a shim's -id (a pod's sandbox id, or a prefix
// of it), a container id (its bundle names its sandbox), or a pod name (CRI names it). Pure:
// the caller gathers the shims, bundles and pods.

export interface ShimCandidate {
  pid: number;
  /** the shim's -id: the sandbox id under CRI */
  id: string;
}

export interface ShimLookup {
  shims: ShimCandidate[];
  /** task bundles: container id → its sandbox id (from the bundle's config.json) */
  bundles?: { id: string; sandboxId?: string }[];
  /** CRI pods, for names */
  pods?: { id: string; name: string; namespace: string }[];
}

export type ShimChoice = { pid: number; why: string } | { error: string; candidates?: string[] };

export function whichShim(target: string, l: ShimLookup): ShimChoice {
  if (/^\d+$/.test(target)) return { pid: Number(target), why: 'pid' };
  const byId = (sandboxId: string, why: string): ShimChoice => {
    const s = l.shims.find((x) => x.id === sandboxId);
    return s ? { pid: s.pid, why } : { error: `no running shim serves sandbox ${sandboxId} (${why}): its shim is gone` };
  };
  const idMatches = l.shims.filter((s) => s.id.startsWith(target));
  if (idMatches.length === 1) return { pid: idMatches[0].pid, why: `shim -id ${idMatches[0].id}` };
  if (idMatches.length > 1) return { error: `"${target}" is the start of ${idMatches.length} shims' ids`, candidates: idMatches.map((s) => `${s.pid} ${s.id}`) };
  const bundles = (l.bundles ?? []).filter((b) => b.id.startsWith(target));
  if (bundles.length === 1) return byId(bundles[0].sandboxId ?? bundles[0].id, `container ${bundles[0].id}`);
  if (bundles.length > 1) return { error: `"${target}" is the start of ${bundles.length} container ids`, candidates: bundles.map((b) => b.id) };
  const pods = (l.pods ?? []).filter((p) => p.name === target || `${p.namespace}/${p.name}` === target);
  if (pods.length === 1) return byId(pods[0].id, `pod ${pods[0].namespace}/${pods[0].name}`);
  if (pods.length > 1) return { error: `${pods.length} pods are named "${target}"`, candidates: pods.map((p) => `${p.namespace}/${p.name}`) };
  return { error: `no shim, container or pod matches "${target}"` };
}
