// Which kubelet to read when several kubelet-like processes run: kind or minikube nodes seen
// from the host, a kubelet being replaced, a test machine's stand-ins. In this order:
//   1. the one --kubelet-pid names;
//   2. the only one;
//   3. the one whose runtime endpoint names the containerd inspected (its socket), the lowest
//      pid when several do;
//   4. none: judging another containerd's kubelet against this containerd is wrong, so the
//      kubelet rules skip and say how to pick one.
// A kubelet that names no endpoint uses kubelet's default, the default containerd socket.
import { DEFAULT_ENDPOINT } from '../cri/endpoint.ts';
import { unixPathOf } from '../protocol/endpoint.ts';
import { kubeletRuntimeEndpoint, type KubeletProcess } from './process.ts';

export interface KubeletChoice {
  proc?: KubeletProcess;
  notes: string[];
  notChosen?: { pids: number[]; why: string };
}

/** /var/run is a symlink to /run on every current distribution. */
const samePath = (p: string | undefined): string | undefined => p?.replace(/^\/var\/run\//, '/run/');

export async function chooseKubelet(procs: KubeletProcess[], o: { pid?: number; containerdSockets?: (string | undefined)[] }): Promise<KubeletChoice> {
  if (o.pid !== undefined) {
    const proc = procs.find((p) => p.pid === o.pid);
    return { proc, notes: proc ? [] : [`pid ${o.pid} is not a kubelet process (gone?)`] };
  }
  if (procs.length <= 1) return { proc: procs[0], notes: [] };
  const pids = procs.map((p) => p.pid).join(', ');
  const ours = new Set(o.containerdSockets?.map((s) => samePath(s && unixPathOf(s))).filter((s): s is string => !!s));
  const naming: KubeletProcess[] = [];
  for (const k of procs) {
    const named = await kubeletRuntimeEndpoint(k);
    if (ours.has(samePath(unixPathOf(named?.endpoint ?? DEFAULT_ENDPOINT)) ?? '')) naming.push(k);
  }
  if (naming.length) {
    const proc = naming[0];
    return { proc, notes: [`${procs.length} kubelet processes (pids ${pids}); reading pid ${proc.pid}, ${naming.length > 1 ? `the first of ${naming.length} whose runtime endpoint names` : 'whose runtime endpoint names'} the containerd inspected; --kubelet-pid PID reads another`] };
  }
  const why = `${procs.length} kubelet processes (pids ${pids}) and none names the containerd inspected (${[...ours].join(', ') || 'no socket known'}) as its runtime endpoint: none is judged; --kubelet-pid PID reads one`;
  return { notes: [why], notChosen: { pids: procs.map((p) => p.pid), why } };
}
