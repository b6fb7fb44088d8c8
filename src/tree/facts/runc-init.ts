// runc init parked on exec.fifo past the threshold, and the same pod container parked again and
// again (kubelet retried: the fingerprint of a runtime that creates tasks and never starts them).
import { shortId } from '../../ids.ts';
import type { TreeFact } from '../../snapshot/types/tree.ts';
import { evidence, ctrName, podName, sub, type FactDetector } from './common.ts';
import { parkedInits, type ParkedInit } from './parked.ts';

function stuckFact(x: ParkedInit, ctx: Parameters<FactDetector['detect']>[0]): TreeFact {
  if (x.state) {
    const r = x.state;
    const p = r.initPid ? ctx.procs.get(r.initPid) : undefined;
    return {
      kind: 'stuck-runc-init',
      message: `runc init ${r.initPid ?? '?'} for ${podName(x.pod)} container ${ctrName(x.container)} is parked ${Math.round(x.ageSec)}s after runc create: ${x.frozen ? 'its cgroup is frozen' : 'runc start never came'}`,
      subject: sub({ pod: x.pod, container: x.container, pid: r.initPid, path: `${r.dir}/exec.fifo` }),
      evidence: evidence({
        runcStatus: r.status, execFifo: `${r.dir}/exec.fifo`, created: r.created, ageSec: Math.round(x.ageSec), thresholdSec: ctx.stuckInitSec,
        comm: p?.comm, state: p?.state, waitingInFifoOpen: x.wait?.waiting, waitEvidence: x.wait?.how, freezer: r.freezer,
      }),
    };
  }
  const t = x.process!;
  return {
    kind: 'stuck-runc-init',
    message: `${t.comm} ${t.pid} has waited ${Math.round(x.ageSec)}s to open its exec.fifo, and no runc state under ${ctx.inp.runc?.root ?? 'the runc root'} names it`,
    subject: sub({ pod: t.pod, container: t.container, pid: t.pid }),
    evidence: { comm: t.comm, state: t.stat, ageSec: Math.round(x.ageSec), thresholdSec: ctx.stuckInitSec, waitEvidence: x.wait?.how ?? null, runcRoot: ctx.inp.runc?.root ?? null },
  };
}

export const stuckRuncInit: FactDetector = {
  kind: 'stuck-runc-init',
  detect: (ctx) => parkedInits(ctx).filter((x) => x.stuck).map((x) => stuckFact(x, ctx)),
};

export const repeatedRuncInit: FactDetector = {
  kind: 'repeated-runc-init',
  detect(ctx) {
    const groups = new Map<string, ParkedInit[]>();
    // every parked init from runc's state counts (a retry need not be past the threshold yet); a
    // stateless one counts once it is stuck
    for (const x of parkedInits(ctx).filter((p) => p.state || p.stuck)) {
      const podKey = x.pod?.namespace && x.pod.name ? `${x.pod.namespace}/${x.pod.name}` : x.pod?.sandboxId;
      if (!podKey) continue;
      const key = `${podKey}\u0000${x.container.type === 'sandbox' ? '(sandbox)' : x.container.name ?? x.container.id}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = []));
      g.push(x);
    }
    const facts: TreeFact[] = [];
    for (const g of groups.values()) {
      if (g.length < 2) continue;
      g.sort((a, b) => b.ageSec - a.ageSec);
      const first = g[0];
      facts.push({
        kind: 'repeated-runc-init',
        message: `${g.length} runc inits parked for ${podName(first.pod)} ${first.container.type === 'sandbox' ? 'sandbox' : `container ${first.container.name ?? shortId(first.container.id)}`}: each retry left one behind`,
        subject: sub({ pod: first.pod, container: { ...first.container, id: first.container.id }, pid: first.pid }),
        evidence: {
          count: g.length,
          pids: g.map((x) => x.pid ?? '?').join(','),
          containerIds: g.map((x) => shortId(x.container.id)).join(','),
          attempts: g.map((x) => x.container.attempt ?? '?').join(','),
          agesSec: g.map((x) => Math.round(x.ageSec)).join(','),
        },
      });
    }
    return facts;
  },
};
