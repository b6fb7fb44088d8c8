// Buckets: goroutines with the same signature, as panicparse groups them. The signature is
// the header state, the frames (function, file, line and the arguments under the chosen
// similarity) and the creating call site; `locked to thread` only counts for exact. Each
// bucket keeps aggregates (count, wait min/max, a few ids) and the frames of its first
// goroutine, so memory grows with distinct stacks, not with goroutines.

import { latin1, type ScannedGoroutine } from './lines.ts';
import type { GoroutineBucket, GoroutineFrame, GoroutineSimilarity } from '../snapshot/types/goroutines.ts';

const SAMPLE_IDS = 5;
/** Distinct values of a tracked argument kept per bucket (e.g. which ttrpc client). */
const TRACK_MAX = 64;

/** Splits `pkg.f(args)` into [func, args]. */
export function splitFuncLine(line: string): [string, string] {
  if (!line.endsWith(')')) return [line, ''];
  const p = line.lastIndexOf('(');
  if (p <= 0) return [line, ''];
  return [line.slice(0, p), line.slice(p + 1, -1)];
}

function splitLoc(loc: string): { file: string; line: number } {
  const c = loc.lastIndexOf(':');
  return { file: loc.slice(0, c), line: Number(loc.slice(c + 1)) };
}

const NOISE = /^(?:runtime\.|runtime\/internal\/|sync\.|sync\/atomic\.|internal\/poll\.|internal\/sync\.|time\.Sleep$)/;

/** The first frame outside runtime/sync: where the goroutine waits or works. */
export function topFunction(frames: GoroutineFrame[]): string {
  for (const f of frames) if (!NOISE.test(f.func)) return f.func;
  return frames[0]?.func ?? '';
}

export interface BucketAgg extends GoroutineBucket {
  /** per tracked function: arg-0 value → goroutines */
  tracked?: { frame: number; func: string; values: Map<string, number>; overflow: number }[];
}

/** A waiting goroutine's minutes, into its bucket's range. */
function addWait(b: BucketAgg, minutes: number): void {
  if (b.waitingCount === 0 || minutes < b.waitMinMinutes) b.waitMinMinutes = minutes;
  if (b.waitingCount === 0 || minutes > b.waitMaxMinutes) b.waitMaxMinutes = minutes;
  b.waitingCount++;
}

/** A tracked frame's first argument (the receiver), counted per value up to TRACK_MAX values. */
function track(t: NonNullable<BucketAgg['tracked']>[number], g: ScannedGoroutine, w: number): void {
  const [, args] = splitFuncLine(latin1(g.fBuf[t.frame], g.fS[t.frame], g.fE[t.frame]));
  const c = args.indexOf(',');
  const v = (c === -1 ? args : args.slice(0, c)).replace('?', '');
  const prev = t.values.get(v);
  if (prev !== undefined) t.values.set(v, prev + w);
  else if (t.values.size < TRACK_MAX) t.values.set(v, w);
  else t.overflow += w;
}

export class Bucketer {
  private readonly map = new Map<number, BucketAgg>();
  /** buckets whose hash collided with a different signature (practically never) */
  private readonly spill = new Map<string, BucketAgg>();
  readonly states: Record<string, number> = Object.create(null) as Record<string, number>;
  total = 0;

  /** trackArgsOf: functions whose first argument (the receiver) is counted per bucket. */
  constructor(
    readonly similarity: GoroutineSimilarity,
    private readonly trackArgsOf: ReadonlySet<string> = new Set(),
  ) {}

  /** The bucket of g's key, or a spill bucket when the key collides with another signature. */
  private bucketOf(g: ScannedGoroutine): BucketAgg {
    let b = this.map.get(g.key);
    if (!b) {
      b = this.create(g);
      this.map.set(g.key, b);
    } else if (b.state !== g.state || b.frames.length !== g.n || (b.createdBy?.func ?? '') !== utf8(g.createdBy)) {
      // a hash collision between different signatures: keep them apart
      const k = `${g.key}|${g.state}|${g.n}|${g.createdBy}`;
      b = this.spill.get(k);
      if (!b) this.spill.set(k, (b = this.create(g)));
    }
    return b;
  }

  /** One goroutine, or a pprof debug=1 record standing for g.weight of them. */
  add(g: ScannedGoroutine): void {
    const w = g.weight;
    this.total += w;
    this.states[g.state] = (this.states[g.state] ?? 0) + w;
    const b = this.bucketOf(g);
    b.count += w;
    if (g.locked) b.lockedCount++;
    if (g.waitMinutes >= 0) addWait(b, g.waitMinutes);
    if (g.id >= 0 && b.sampleIds.length < SAMPLE_IDS) b.sampleIds.push(g.id);
    if (b.tracked) for (const t of b.tracked) if (t.frame < g.n) track(t, g, w);
  }

  private create(g: ScannedGoroutine): BucketAgg {
    const frames: GoroutineFrame[] = [];
    for (let i = 0; i < g.n; i++) {
      const [func, args] = splitFuncLine(utf8(latin1(g.fBuf[i], g.fS[i], g.fE[i])));
      frames.push({ func, args, ...splitLoc(utf8(latin1(g.lBuf[i], g.lS[i], g.lE[i]))) });
    }
    const b: BucketAgg = {
      id: 0,
      count: 0,
      state: g.state,
      lockedCount: 0,
      waitMinMinutes: 0,
      waitMaxMinutes: 0,
      waitingCount: 0,
      sampleIds: [],
      frames,
      elided: g.elided,
      stackUnavailable: g.unavailable,
      topFunction: topFunction(frames),
    };
    if (g.createdBy) b.createdBy = { func: utf8(g.createdBy), ...splitLoc(utf8(g.createdLoc)) };
    if (this.trackArgsOf.size > 0) {
      frames.forEach((f, i) => {
        if (this.trackArgsOf.has(f.func)) (b.tracked ??= []).push({ frame: i, func: f.func, values: new Map(), overflow: 0 });
      });
    }
    return b;
  }

  /** Largest first, then longest wait, then first seen; ids assigned 1.. in that order. */
  buckets(): BucketAgg[] {
    const list = [...this.map.values(), ...this.spill.values()];
    list.sort((a, b) => b.count - a.count || b.waitMaxMinutes - a.waitMaxMinutes);
    list.forEach((b, i) => (b.id = i + 1));
    return list;
  }
}

/** Lines are read as latin1 (fast, byte-exact); names shown to people are decoded as UTF-8. */
function utf8(s: string): string {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 127) return Buffer.from(s, 'latin1').toString('utf8');
  return s;
}
