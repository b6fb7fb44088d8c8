// What the fact detectors share: naming pods and containers in a message, dropping empty fields.
import { shortId } from '../../ids.ts';
import type { ProcessInfo } from '../../snapshot/types/proc.ts';
import type { ContainerRef, PodRef, TreeFact, TreeFactKind } from '../../snapshot/types/tree.ts';
import type { FactContext } from '../inputs.ts';
import { createdMsOf } from '../identities.ts';

/** One detector per fact kind (rules/tree-facts.json judges each kind). */
export interface FactDetector {
  kind: TreeFactKind;
  detect(ctx: FactContext): TreeFact[];
}

/** The object without its undefined fields (evidence and subjects stay small and serialisable). */
export function sub<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

export const evidence = (o: Record<string, string | number | boolean | null | undefined>): TreeFact['evidence'] => sub(o) as TreeFact['evidence'];

export const podName = (pod?: PodRef): string => (pod?.namespace && pod.name ? `${pod.namespace}/${pod.name}` : pod?.sandboxId ? `sandbox ${shortId(pod.sandboxId)}` : 'no pod');
export const ctrName = (c?: ContainerRef): string => (c?.name ? `${c.name}${c.attempt !== undefined ? ` (attempt ${c.attempt})` : ''}` : c?.id ? shortId(c.id) : '?');

/** "4242(sleep) < 4200(sh) < 1(systemd)": who a process hangs under. */
export function ancestry(pid: number, procs: Map<number, ProcessInfo>): string {
  const parts: string[] = [];
  const seen = new Set<number>();
  let cur: number | undefined = pid;
  while (cur && !seen.has(cur) && parts.length < 8) {
    seen.add(cur);
    const p = procs.get(cur);
    if (!p) { parts.push(`${cur}(gone)`); break; }
    parts.push(`${cur}(${p.comm})`);
    cur = p.ppid;
  }
  return parts.join(' < ');
}

/** Is this process waiting to open a FIFO for writing (runc init on exec.fifo)? null: cannot tell. */
export function waitingInFifoOpen(p: ProcessInfo | undefined): { waiting: boolean | null; how: string } {
  if (!p) return { waiting: null, how: 'process not read' };
  if (p.kernelStack?.length) {
    const hit = p.kernelStack.find((f) => f === 'fifo_open' || f === 'wait_for_partner');
    return { waiting: !!hit, how: `kernel stack ${p.kernelStack.slice(0, 3).join(' < ')}` };
  }
  if (p.wchan) {
    const w = /fifo|wait_for_partner/.test(p.wchan);
    if (w) return { waiting: true, how: `wchan ${p.wchan}` };
  }
  if (p.fdTargets) {
    const fifo = Object.entries(p.fdTargets).find(([, t]) => t.endsWith('/exec.fifo'));
    if (fifo) return { waiting: true, how: `fd ${fifo[0]} -> ${fifo[1]}` };
  }
  if (p.wchan) return { waiting: false, how: `wchan ${p.wchan}` };
  return { waiting: null, how: 'no kernel stack, wchan or fd targets readable (not root?)' };
}

/** The shims alive now (a zombie shim is not). */
export const liveShims = (ctx: FactContext) => ctx.view.shims.filter((s) => s.state !== 'Z' && s.state !== 'X');

/**
 * A pod or container CRI says was created while /proc was read, or after: the scan may not have
 * seen its processes, so it is not judged against the process table (on a busy node pods start
 * all the time).
 */
export function newerThanScan(ctx: FactContext, id: string | undefined): boolean {
  const scanStart = Date.parse(ctx.inp.proc.takenAt) - (ctx.inp.proc.durationMs ?? 0) - 1000;
  const created = id === undefined ? undefined : createdMsOf(ctx.inp.cri, id);
  return created !== undefined && Number.isFinite(scanStart) && created > scanStart;
}
