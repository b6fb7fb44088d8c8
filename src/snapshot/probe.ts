// Runs one probe under its deadline and records how it ended: the data, or the error as
// evidence ("containerd did not answer CRI Status in 2s"), never thrown past the collector.
import { CtrdocError } from '../errors.ts';
import { withDeadline } from '../deadline.ts';
import type { ProbeResult } from './types/index.ts';

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
  if (timeoutMs <= 0) return done({ probe: name, status: 'timeout', durationMs: 0, message: 'the overall deadline had passed before this probe could start' });
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
