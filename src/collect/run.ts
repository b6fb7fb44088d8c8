// Runs a subset of the registry: the probes a command asked for and every probe they need, each
// as soon as its needs have settled, each under its own budget inside the run's deadline.
import type { ProbeResult } from '../snapshot/types/index.ts';
import { CtrdocError } from '../errors.ts';
import { CollectContext, type CollectOptions } from './context.ts';
import { runProbe, type Probe } from './probe.ts';
import { Got } from './results.ts';
import { PROBES, type ProbeName } from './registry.ts';

const byName = new Map<string, Probe>(PROBES.map((p) => [p.name, p as unknown as Probe]));

/** The probes asked for and, transitively, what they need; in the registry's order. */
export function closureOf(names: readonly ProbeName[]): ProbeName[] {
  const want = new Set<string>();
  const visit = (n: string, path: string[]): void => {
    const p = byName.get(n);
    if (!p) throw new CtrdocError('internal', `no probe "${n}" in the registry${path.length ? ` (needed by ${path.join(' <- ')})` : ''}`);
    if (path.includes(n)) throw new CtrdocError('internal', `probe needs run in a circle: ${[...path, n].join(' -> ')}`);
    if (want.has(n)) return;
    for (const need of p.needs) visit(need, [...path, n]);
    want.add(n);
  };
  for (const n of names) visit(n, []);
  return PROBES.map((p) => p.name).filter((n) => want.has(n)) as ProbeName[];
}

/** The value of p once it settles, or undefined after ms (it keeps running). */
async function settledWithin<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([p, new Promise<undefined>((r) => { timer = setTimeout(() => r(undefined), Math.max(0, ms)); })]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs the probes asked for (and their needs) and returns every result by name. */
export async function collectProbes(names: readonly ProbeName[], opts: CollectOptions): Promise<Got> {
  const ctx = new CollectContext(opts);
  const results = new Map<string, ProbeResult<unknown>>();
  const running = new Map<string, Promise<ProbeResult<unknown>>>();
  const got = new Got(results, running);
  const start = (name: ProbeName): Promise<ProbeResult<unknown>> => {
    let r = running.get(name);
    if (r) return r;
    const p = byName.get(name)!;
    const kept = opts.reuse?.(name);
    if (kept) {
      results.set(name, kept);
      r = Promise.resolve(kept);
      running.set(name, r);
      return r;
    }
    r = (async () => {
      const needs = Promise.all(p.needs.map(start));
      if (p.waitForNeedsMs !== undefined) await settledWithin(needs, p.waitForNeedsMs);
      else await needs;
      const budget = ctx.budget(p.budget === 'call' ? undefined : p.budget);
      const result = await runProbe(name, budget, () => p.run(ctx, got), opts.onProgress);
      results.set(name, result);
      return result;
    })();
    running.set(name, r);
    return r;
  };
  try {
    await Promise.all(closureOf(names).map(start));
  } finally {
    ctx.close();
  }
  return got;
}
