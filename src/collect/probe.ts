// One probe: what it reads from the node, under its own deadline. A probe's result is recorded
// as data (the value, or the error as evidence: "containerd did not answer CRI Status in 2s"),
// never thrown past the collector. Probes sit in the registry (registry.ts), one file each.
import { CtrdocError } from '../errors.ts';
import { withDeadline } from '../deadline.ts';
import type { ProbeResult } from '../snapshot/types/index.ts';
import type { CollectContext } from './context.ts';
import type { Got } from './results.ts';
import type { ProbeName } from './registry.ts';

export class Skip extends Error {}

/** Throw inside a probe to mark it skipped with a reason (it does not apply here). */
export function skip(reason: string): never {
  throw new Skip(reason);
}

export interface ProbeTiming {
  probe: string;
  status: ProbeResult<unknown>['status'];
  durationMs: number;
}

/**
 * A probe: its name (the key of its result), the probes whose results it reads (it starts once
 * they have settled, however they ended), its deadline, and what it does.
 */
export interface Probe<N extends string = string, T = unknown> {
  name: N;
  needs: readonly ProbeName[];
  /** ms; 'call' is the per-call timeout (--probe-timeout); always cut to what is left of the run */
  budget: number | 'call';
  /** wait at most this long for the needs; one not settled by then is read as absent */
  waitForNeedsMs?: number;
  run(ctx: CollectContext, got: Got): Promise<T> | T;
}

/** A probe that is one call to the runtime's API (CRI or containerd's), skipped under --no-api. */
export function apiProbe<N extends string, C, T>(name: N, client: (ctx: CollectContext) => Promise<C>, call: (c: C) => Promise<T>): Probe<N, T> {
  return {
    name,
    needs: [],
    budget: 'call',
    async run(ctx) {
      if (!ctx.apis) skip('not asked: --no-api');
      return call(await client(ctx));
    },
  };
}

export async function runProbe<T>(
  name: string,
  timeoutMs: number,
  fn: () => Promise<T> | T,
  onDone?: (t: ProbeTiming) => void,
): Promise<ProbeResult<T>> {
  const started = performance.now();
  const done = (r: ProbeResult<T>): ProbeResult<T> => {
    onDone?.({ probe: name, status: r.status, durationMs: r.durationMs });
    return r;
  };
  const ms = () => Math.round(performance.now() - started);
  if (timeoutMs <= 0) return done({ probe: name, status: 'timeout', durationMs: 0, message: 'the overall deadline had passed before this probe could start', errorKind: 'deadline-exceeded' });
  try {
    const data = await withDeadline(Promise.resolve().then(fn), timeoutMs, name);
    return done({ probe: name, status: 'ok', durationMs: ms(), data });
  } catch (err) {
    if (err instanceof Skip) return done({ probe: name, status: 'skipped', durationMs: ms(), message: err.message });
    const e = CtrdocError.from(err);
    // a source's "there is nothing here to read" (no journald, no such unit, no log file)
    if (e.kind === 'failed-precondition') return done({ probe: name, status: 'skipped', durationMs: ms(), message: e.message, errorKind: e.kind });
    return done({ probe: name, status: e.kind === 'deadline-exceeded' ? 'timeout' : 'error', durationMs: ms(), message: e.message, errorKind: e.kind });
  }
}
