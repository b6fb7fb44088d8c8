// One pod's part of the tree: its processes with the containerd rows above them, its shim, its facts.
import type { ProcessTreeView } from '../snapshot/types/tree.ts';

/** Processes of one pod (name, ns/name or sandbox id prefix), with the containerd rows above them. */
export function filterByPod(view: ProcessTreeView, pod: string): ProcessTreeView {
  const match = (p?: { namespace?: string; name?: string; sandboxId: string }): boolean =>
    !!p && (p.name === pod || `${p.namespace}/${p.name}` === pod || p.sandboxId.startsWith(pod));
  const processes = view.processes.filter((t) => t.role === 'containerd' || match(t.pod));
  return {
    ...view,
    processes,
    shims: view.shims.filter((s) => match(s.pod)),
    facts: view.facts.filter((f) => match(f.subject.pod)),
  };
}
