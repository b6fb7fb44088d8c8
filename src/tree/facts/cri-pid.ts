// CRI's verbose pid (asked only for the containers whose task list entry disagrees with CRI)
// against what runs: another pid by runc or containerd, or a process older than the container.
import type { TreeFact } from '../../snapshot/types/tree.ts';
import { containerRefOf, createdMsOf, podOfContainer } from '../identities.ts';
import { ctrName, evidence, newerThanScan, sub, type FactDetector } from './common.ts';

export const criPidMismatch: FactDetector = {
  kind: 'cri-pid-mismatch',
  detect(ctx) {
    const facts: TreeFact[] = [];
    for (const [id, pid] of ctx.ids.criPid) {
      const claimed = [...ctx.ids.containerOfPid].find(([, v]) => v.id === id && v.matchedBy !== 'cri');
      const p = ctx.procs.get(pid);
      if (!p && newerThanScan(ctx, id)) continue;
      const created = createdMsOf(ctx.inp.cri, id);
      const stale = !p || (created !== undefined && Date.parse(p.startedAt) + 1000 < created);
      const differs = claimed && claimed[0] !== pid;
      if (!stale && !differs) continue;
      const ctr = ctx.inp.cri?.containers.find((c) => c.id === id);
      if (!differs && ctr && ctr.state !== 'CONTAINER_RUNNING') continue; // an exited container keeps its last pid: expected
      facts.push({
        kind: 'cri-pid-mismatch',
        message: differs
          ? `CRI says container ${ctrName(containerRefOf(ctx.ids, id))} is pid ${pid}, runc/containerd say ${claimed![0]}`
          : `CRI says container ${ctrName(containerRefOf(ctx.ids, id))} is pid ${pid}, ${p ? `but that process started before the container was created (${p.comm})` : 'but no such process exists'}`,
        subject: sub({ container: containerRefOf(ctx.ids, id), pod: podOfContainer(ctx.ids, id), pid }),
        evidence: evidence({
          criPid: pid, otherPid: differs ? claimed![0] : undefined, otherSource: differs ? claimed![1].matchedBy : undefined,
          processStartedAt: p?.startedAt, containerCreatedAt: created !== undefined ? new Date(created).toISOString() : undefined, criState: ctr?.state,
        }),
      });
    }
    return facts;
  },
};
