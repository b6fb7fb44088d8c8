// Container processes running under no live shim (orphans), and zombies a shim or containerd
// should have reaped.
import type { TreeFact, TreeProcess } from '../../snapshot/types/tree.ts';
import { knownToContainerd } from '../identities.ts';
import { ancestry, ctrName, evidence, podName, sub, type FactDetector } from './common.ts';

export const orphanProcess: FactDetector = {
  kind: 'orphan-process',
  detect(ctx) {
    const groups = new Map<string, TreeProcess[]>();
    for (const t of ctx.view.processes) {
      if (t.role !== 'orphan') continue;
      const key = t.container?.id ?? `pid ${t.pid}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = []));
      g.push(t);
    }
    const facts: TreeFact[] = [];
    for (const g of groups.values()) {
      const head = g[0];
      // a runc container containerd never knew never had a shim: that is a leak (reported as
      // leaked-runc-container), not an orphan
      if (head.container?.id && knownToContainerd(head.container.id, ctx.inp) === false) continue;
      facts.push({
        kind: 'orphan-process',
        message: `${g.length} process(es) of ${podName(head.pod)} container ${ctrName(head.container)} run under no live shim (pid ${head.pid}, parent ${head.ppid})`,
        subject: sub({ pod: head.pod, container: head.container, pid: head.pid }),
        evidence: evidence({ pids: g.map((t) => t.pid).join(','), ancestry: ancestry(head.pid, ctx.procs), matchedBy: head.matchedBy, command: head.command.slice(0, 200) }),
      });
    }
    return facts;
  },
};

/** A zombie its parent should have reaped: a defunct shim under containerd, or anything under a shim. */
function unreaped(ctx: Parameters<FactDetector['detect']>[0], t: TreeProcess): boolean {
  const defunctShim = !!t.shim || ctx.procs.get(t.pid)!.comm.startsWith('containerd-shim');
  const underShim = ctx.view.shims.some((s) => s.pid === t.ppid) || !!t.container;
  if (underShim) return true;
  // A shim daemonizes under init, so a dead shim is init's to reap, which it does in its own
  // time; nor can a zombie's empty command line tell whose containerd it served. It is a
  // finding when its parent is one that should have reaped it: containerd (run as PID 1 in a
  // container: containerd#5708) or a shim.
  return defunctShim && !(t.ppid === 1 || ctx.procs.get(t.ppid)?.comm === 'systemd');
}

export const zombie: FactDetector = {
  kind: 'zombie',
  detect(ctx) {
    const byParent = new Map<number, TreeProcess[]>();
    for (const t of ctx.view.processes) {
      // exited at most its age ago: one younger than the stuck threshold may be reaped any moment
      // (containerd waits on each `shim start` and `shim delete` it runs; on a busy node, a while)
      if (t.role !== 'zombie' || t.ageSec < ctx.stuckInitSec || !unreaped(ctx, t)) continue;
      let g = byParent.get(t.ppid);
      if (!g) byParent.set(t.ppid, (g = []));
      g.push(t);
    }
    const facts: TreeFact[] = [];
    for (const [ppid, g] of byParent) {
      const shimParent = ctx.view.shims.find((s) => s.pid === ppid);
      const head = g[0];
      const defunctShims = g.filter((t) => t.shim || t.comm.startsWith('containerd-shim'));
      facts.push({
        kind: 'zombie',
        message: defunctShims.length
          ? `${defunctShims.length} defunct shim(s) not reaped by their parent ${ppid} (${ctx.procs.get(ppid)?.comm ?? 'gone'})`
          : `${g.length} zombie(s) under shim ${ppid} for ${podName(shimParent?.pod ?? head.pod)}: the shim has not reaped them`,
        subject: sub({ pod: shimParent?.pod ?? head.pod, container: head.container, pid: head.pid, shimPid: shimParent?.pid }),
        evidence: evidence({ pids: g.map((t) => t.pid).join(','), parent: ppid, parentComm: ctx.procs.get(ppid)?.comm, comms: g.map((t) => t.comm).join(',') }),
      });
    }
    return facts;
  },
};
