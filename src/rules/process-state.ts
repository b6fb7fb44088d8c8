// Process states that stop the stack, and how sure a Snapshot can be of a D. A stopped (T) or
// traced (t) process stays so until someone sends SIGCONT or detaches: one read is enough. D is
// normal for milliseconds (an fsync, a mount, a cgroup write), so a D is a finding only when two
// separate reads of /proc saw it: the process scan (s.proc) and the node scan (s.node's
// dStateTasks), taken at different moments of one collection; and, for the stack's processes,
// not when the doctor's second look (tree.secondLook, hundreds of ms later) saw it out of D.
import type { Snapshot } from '../snapshot/types/index.ts';

export interface ProcessStateName {
  /** how a summary says it: "stopped (T: SIGSTOP or a debugger)" */
  name: string;
  /** the rule text variant for this state (undefined: the rule's own text) */
  variant?: string;
}

export const processStates: Record<string, ProcessStateName> = {
  T: { name: 'stopped (T: SIGSTOP or a debugger)' },
  t: { name: 'stopped by a tracer (t: a debugger or strace holds it)', variant: 'traced' },
  D: { name: 'in uninterruptible sleep (D)', variant: 'uninterruptible' },
  Z: { name: 'a zombie (Z)', variant: 'zombie' },
};

/** T or t: stopped until someone lets it go. */
export const isStopped = (state: string | undefined): boolean => state === 'T' || state === 't';

/**
 * Whether both reads saw pid in D: true (both), false (one read saw it in another state, or the
 * other read exists and does not list it), undefined (only one read was taken).
 */
export function dStateConfirmed(s: Snapshot, pid: number): boolean | undefined {
  // the doctor's second look, hundreds of ms later, no longer saw it in D (src/collect/second-look.ts)
  if (s.tree.status === 'ok' && s.tree.data?.secondLook?.notInDAgain?.includes(pid)) return false;
  const procRead = s.proc.status === 'ok' ? s.proc.data?.processes.find((p) => p.pid === pid)?.state : undefined;
  const nodeRead = s.node.status === 'ok' ? s.node.data?.dStateTasks.some((t) => t.pid === pid) : undefined;
  if (s.proc.status === 'ok' && procRead !== 'D') return false;
  if (nodeRead === false) return false;
  return procRead === 'D' && nodeRead === true ? true : undefined;
}

/** For a pid the process scan saw in D: also in D when the node was read (or no node read to ask). */
export const seenInDTwice = (s: Snapshot, pid: number): boolean => dStateConfirmed(s, pid) !== false;
