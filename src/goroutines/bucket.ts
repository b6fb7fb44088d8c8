// Buckets: goroutines with the same signature, as panicparse groups them. The signature is
// the header state, the frames (function, file, line and the arguments under the chosen
// similarity) and the creating call site; `locked to thread` only counts for exact. Each
// bucket keeps aggregates (count, wait min/max, a few ids) and the frames of its first
// goroutine, so memory grows with distinct stacks, not with goroutines.

import type { ScannedGoroutine } from './lines.ts';
import type { GoroutineBucket, GoroutineFrame, GoroutineSimilarity } from '../snapshot/types/goroutines.ts';

const SAMPLE_IDS = 5;
/** Distinct values of a tracked argument kept per bucket (e.g. which ttrpc client). */
const TRACK_MAX = 64;

/**
 * panicparse's pointer guess: above 512 KiB and below 2^63-1. hex: the digits without 0x.
 */
export function isPointerHex(hex: string): boolean {
  let s = 0;
  while (s < hex.length - 1 && hex.charCodeAt(s) === 48) s++;
  const digits = hex.length - s;
  if (digits < 5) return false;
  if (digits <= 13) return parseInt(hex.slice(s), 16) > 512 * 1024;
  if (digits < 16) return true;
  if (digits > 16) return false;
  const first = hex.charCodeAt(s);
  // 0x8000000000000000 and above are not below MaxInt64; 0x7fffffffffffffff itself is not either
  if (first >= 56 /* '8' */) return false;
  return hex.slice(s) !== '7fffffffffffffff';
}

/** The argument text normalised for the similarity (panicparse ignores the `?` of inexact values). */
export function normaliseArgs(args: string, sim: GoroutineSimilarity): string {
  if (sim === 'exact') return args.indexOf('?') === -1 ? args : args.replaceAll('?', '');
  let out = '';
  let i = 0;
  const n = args.length;
  while (i < n) {
    const c = args.charCodeAt(i);
    if (c === 48 && args.charCodeAt(i + 1) === 120) {
      // 0x…
      let j = i + 2;
      while (j < n) {
        const d = args.charCodeAt(j);
        if ((d >= 48 && d <= 57) || (d >= 97 && d <= 102)) j++;
        else break;
      }
      if (sim === 'value') out += 'v';
      else {
        const hex = args.slice(i + 2, j);
        out += isPointerHex(hex) ? '*' : hex;
      }
      if (args.charCodeAt(j) === 63) j++; // '?'
      i = j;
      continue;
    }
    if (sim === 'value' && c === 95 /* _ */) {
      out += 'v'; // any value: an offset-too-large `_` matches any scalar too
      i++;
      continue;
    }
    out += args[i];
    i++;
  }
  return out;
}

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

export class Bucketer {
  private readonly map = new Map<string, BucketAgg>();
  readonly states: Record<string, number> = Object.create(null) as Record<string, number>;
  total = 0;

  /** trackArgsOf: functions whose first argument (the receiver) is counted per bucket. */
  constructor(
    readonly similarity: GoroutineSimilarity,
    private readonly trackArgsOf: ReadonlySet<string> = new Set(),
  ) {}

  add(g: ScannedGoroutine): void {
    this.total++;
    this.states[g.state] = (this.states[g.state] ?? 0) + 1;
    const sim = this.similarity;
    let key = g.state;
    if (sim === 'exact' && g.locked) key += '\x02L';
    if (g.elided) key += '\x02E';
    if (g.unavailable) key += '\x02U';
    key += '\x03' + g.createdBy + '\x01' + g.createdLoc;
    for (let i = 0; i < g.n; i++) {
      const fl = g.funcLines[i];
      const p = fl.endsWith(')') ? fl.lastIndexOf('(') : -1;
      if (p > 0) {
        const args = fl.slice(p + 1, -1);
        key += '\x03' + fl.slice(0, p) + '\x01' + (args.length === 0 ? '' : normaliseArgs(args, sim)) + '\x01' + g.locs[i];
      } else key += '\x03' + fl + '\x01\x04\x01' + g.locs[i];
    }
    let b = this.map.get(key);
    if (!b) {
      b = this.create(g);
      this.map.set(key, b);
    }
    b.count++;
    if (g.locked) b.lockedCount++;
    if (g.waitMinutes >= 0) {
      if (b.waitingCount === 0) {
        b.waitMinMinutes = g.waitMinutes;
        b.waitMaxMinutes = g.waitMinutes;
      } else {
        if (g.waitMinutes < b.waitMinMinutes) b.waitMinMinutes = g.waitMinutes;
        if (g.waitMinutes > b.waitMaxMinutes) b.waitMaxMinutes = g.waitMinutes;
      }
      b.waitingCount++;
    }
    if (b.sampleIds.length < SAMPLE_IDS) b.sampleIds.push(g.id);
    if (b.tracked) {
      for (const t of b.tracked) {
        const [, args] = splitFuncLine(g.funcLines[t.frame]);
        const c = args.indexOf(',');
        const v = (c === -1 ? args : args.slice(0, c)).replace('?', '');
        const prev = t.values.get(v);
        if (prev !== undefined) t.values.set(v, prev + 1);
        else if (t.values.size < TRACK_MAX) t.values.set(v, 1);
        else t.overflow++;
      }
    }
  }

  private create(g: ScannedGoroutine): BucketAgg {
    const frames: GoroutineFrame[] = [];
    for (let i = 0; i < g.n; i++) {
      const [func, args] = splitFuncLine(utf8(g.funcLines[i]));
      frames.push({ func, args, ...splitLoc(utf8(g.locs[i])) });
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
    const list = [...this.map.values()];
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
