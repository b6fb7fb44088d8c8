// runc's state against containerd and CRI: a state.json that cannot be used, a state naming a
// pid now another process's, a runc container nobody knows, a task with no runc state.
import { shortId } from '../../ids.ts';
import type { TreeFact } from '../../snapshot/types/tree.ts';
import { containerRefOf, knownToContainerd, podOfContainer } from '../identities.ts';
import { evidence, sub, type FactDetector } from './common.ts';

export const runcStateUnreadable: FactDetector = {
  kind: 'runc-state-unreadable',
  detect: (ctx) => (ctx.inp.runc?.containers ?? []).filter((r) => r.error).map((r) => ({
    kind: 'runc-state-unreadable',
    message: `runc state of ${shortId(r.id)} cannot be used: ${r.error}`,
    subject: sub({ container: containerRefOf(ctx.ids, r.id), path: `${r.dir}/state.json` }),
    evidence: { dir: r.dir, error: r.error!, execFifo: r.execFifo },
  })),
};

export const runcPidReused: FactDetector = {
  kind: 'runc-pid-reused',
  detect(ctx) {
    const taskIds = new Set((ctx.inp.tasks ?? []).map((t) => t.id));
    return (ctx.inp.runc?.containers ?? [])
      .filter((r) => r.initPid && r.initStart !== undefined && !r.initAlive && /reused/.test(r.statusReason))
      .map((r): TreeFact => {
        const p = ctx.procs.get(r.initPid!);
        return {
          kind: 'runc-pid-reused',
          message: `runc state of ${shortId(r.id)} names pid ${r.initPid}, now another process (${p?.comm ?? '?'}): the container's init is gone`,
          subject: sub({ container: containerRefOf(ctx.ids, r.id), pod: podOfContainer(ctx.ids, r.id), pid: r.initPid }),
          evidence: evidence({ initProcessStart: r.initStart, procStarttime: p?.starttime, procComm: p?.comm, knownToContainerd: ctx.inp.tasks ? taskIds.has(r.id) : undefined }),
        };
      });
  },
};

export const leakedRuncContainer: FactDetector = {
  kind: 'leaked-runc-container',
  detect: (ctx) => (ctx.inp.runc?.containers ?? []).filter((r) => knownToContainerd(r.id, ctx.inp) === false).map((r) => ({
    kind: 'leaked-runc-container',
    message: `runc container ${shortId(r.id)} (${r.status}) is unknown to containerd${ctx.inp.cri ? ' and CRI' : ''}`,
    subject: sub({ container: containerRefOf(ctx.ids, r.id), pod: podOfContainer(ctx.ids, r.id), pid: r.initAlive ? r.initPid : undefined, path: r.dir }),
    evidence: evidence({ status: r.status, initPid: r.initPid, initAlive: r.initAlive, created: r.created, bundle: r.bundle, runcRoot: ctx.inp.runc?.root }),
  })),
};

export const taskWithoutRuncState: FactDetector = {
  kind: 'task-without-runc-state',
  detect(ctx) {
    const { runc, tasks } = ctx.inp;
    if (!runc || runc.error || !tasks) return [];
    const runcIds = new Set(runc.containers.map((r) => r.id));
    return tasks.filter((t) => !runcIds.has(t.id) && t.status !== 'STOPPED' && t.status !== 'UNKNOWN').map((t) => ({
      kind: 'task-without-runc-state',
      message: `containerd task ${shortId(t.id)} is ${t.status} (pid ${t.pid}) but ${runc.root} has no state for it`,
      subject: sub({ container: containerRefOf(ctx.ids, t.id), pod: podOfContainer(ctx.ids, t.id), pid: t.pid || undefined }),
      evidence: { taskStatus: t.status, taskPid: t.pid, runcRoot: runc.root, pidAlive: ctx.procs.has(t.pid) },
    }));
  },
};
