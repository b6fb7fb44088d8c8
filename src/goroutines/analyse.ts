// What panicparse does not do: rank buckets by wait, pair lock waiters with the goroutines
// likely holding those locks (and spot lock-order cycles), find piles of goroutines waiting in
// one function, and match the known signatures (signatures.ts). Pure functions over buckets.

import type {
  GoroutineFinding,
  GoroutineLockContention,
  GoroutinePile,
  GoroutineSeverity,
} from '../snapshot/types/goroutines.ts';
import type { BucketAgg } from './bucket.ts';
import { GOROUTINE_SIGNATURES, type GoroutineSignature } from './signatures.ts';

const reLockCall = /^sync\.\(\*(?:RW)?Mutex\)\.(?:R?Lock|lockSlow|rLock)$/;
const reLockState = /^(?:semacquire|sync\.(?:RW)?Mutex\.R?Lock|sync\.RWMutex\.RLock)$/;
const reRuntime = /^(?:runtime\.|internal\/sync\.|sync\.runtime_)/;
/** `pkg.(*T).m` → `pkg.(*T)`; `pkg.f` → `pkg.f` (a package-level lock: holders are inside f). */
const reOwner = /^(.*\.\(\*?[^()]+\))\.[^.]+/;

export function lockOwnerOf(func: string): string {
  const m = reOwner.exec(func);
  return m ? m[1] : func;
}

function inOwner(func: string, owner: string): boolean {
  return func === owner || func.startsWith(owner + '.');
}

interface LockWait {
  site: string;
  owner: string;
  call: string;
  /** index of the lock-site frame */
  siteIndex: number;
}

/** Where a bucket waits for a sync lock, if it does. */
export function lockWaitOf(b: BucketAgg): LockWait | undefined {
  const f = b.frames;
  let k = -1;
  for (let i = 0; i < f.length && i < 8; i++) {
    if (reLockCall.test(f[i].func)) k = i;
    else if (k !== -1) break;
    else if (!reRuntime.test(f[i].func)) break;
  }
  if (k === -1) {
    if (!reLockState.test(b.state)) return undefined;
    return undefined;
  }
  const siteIndex = k + 1;
  if (siteIndex >= f.length) return undefined;
  // the outermost Lock/RLock of the sync frames names the call
  let call = f[k].func;
  for (let i = k; i >= 0 && reLockCall.test(f[i].func); i--) if (/\.R?Lock$/.test(f[i].func)) call = f[i].func;
  const site = f[siteIndex].func;
  return { site, owner: lockOwnerOf(site), call, siteIndex };
}

export function lockContention(buckets: BucketAgg[]): GoroutineLockContention[] {
  const waits = new Map<BucketAgg, LockWait>();
  for (const b of buckets) {
    const w = lockWaitOf(b);
    if (w) waits.set(b, w);
  }
  const groups = new Map<string, { w: LockWait; buckets: BucketAgg[] }>();
  for (const [b, w] of waits) {
    const key = w.site + '\x00' + w.call;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { w, buckets: [] }));
    g.buckets.push(b);
  }
  const out: GoroutineLockContention[] = [];
  for (const { w, buckets: ws } of groups.values()) {
    const holders: GoroutineLockContention['holders'] = [];
    for (const b of buckets) {
      const own = waits.get(b);
      let from = 0;
      if (own && own.site === w.site && own.call === w.call) continue;
      if (own && own.owner === w.owner) from = own.siteIndex + 1;
      for (let i = from; i < b.frames.length; i++) {
        const fn = b.frames[i].func;
        if (inOwner(fn, w.owner) && !reLockCall.test(fn)) {
          holders.push({
            bucket: b.id,
            count: b.count,
            state: b.state,
            waitMaxMinutes: b.waitMaxMinutes,
            inFunction: fn,
            ...(own ? { waitingOn: `${own.call} in ${own.site}` } : {}),
          });
          break;
        }
      }
    }
    out.push({
      lockSite: w.site,
      lockOwner: w.owner,
      lockCall: w.call,
      waiters: ws.reduce((n, b) => n + b.count, 0),
      waitMaxMinutes: Math.max(...ws.map((b) => b.waitMaxMinutes)),
      waiterBuckets: ws.map((b) => b.id).sort((a, b) => a - b),
      holders,
    });
  }
  out.sort((a, b) => b.waitMaxMinutes - a.waitMaxMinutes || b.waiters - a.waiters);
  return out;
}

export const PILE_MIN_COUNT = 10;

/** Goroutines with a printed wait (≥1 minute), grouped by the function they wait in. */
export function piles(buckets: BucketAgg[], minCount = PILE_MIN_COUNT): GoroutinePile[] {
  const by = new Map<string, GoroutinePile>();
  for (const b of buckets) {
    if (b.waitingCount === 0) continue;
    let p = by.get(b.topFunction);
    if (!p) {
      by.set(b.topFunction, (p = { function: b.topFunction, count: 0, waitMinMinutes: b.waitMinMinutes, waitMaxMinutes: 0, states: [], buckets: [] }));
    }
    p.count += b.waitingCount;
    p.waitMinMinutes = Math.min(p.waitMinMinutes, b.waitMinMinutes);
    p.waitMaxMinutes = Math.max(p.waitMaxMinutes, b.waitMaxMinutes);
    if (!p.states.includes(b.state)) p.states.push(b.state);
    p.buckets.push(b.id);
  }
  return [...by.values()]
    .filter((p) => p.count >= minCount)
    .sort((a, b) => b.count * Math.max(1, b.waitMaxMinutes) - a.count * Math.max(1, a.waitMaxMinutes) || b.count - a.count);
}

/** Frames of the bucket matching the signature's patterns in order (innermost first). */
function matchFrames(b: BucketAgg, res: RegExp[]): number[] | undefined {
  const at: number[] = [];
  let j = 0;
  for (let i = 0; i < b.frames.length && j < res.length; i++) {
    if (res[j].test(b.frames[i].func)) {
      at.push(i);
      j++;
    }
  }
  return j === res.length ? at : undefined;
}

const compiled = new WeakMap<GoroutineSignature, { frames: RegExp[]; state?: RegExp }>();
function compile(sig: GoroutineSignature) {
  let c = compiled.get(sig);
  if (!c) compiled.set(sig, (c = { frames: sig.frames.map((f) => new RegExp(f)), state: sig.state ? new RegExp(sig.state) : undefined }));
  return c;
}

function describeBucket(b: BucketAgg, at?: number[]): string {
  const wait = b.waitingCount > 0 ? `, ${b.waitMinMinutes === b.waitMaxMinutes ? b.waitMaxMinutes : `${b.waitMinMinutes}-${b.waitMaxMinutes}`} minutes` : '';
  const path = (at ?? [0]).map((i) => shortName(b.frames[i]?.func ?? '')).join(' <- ');
  return `bucket #${b.id}: ${b.count} goroutine${b.count === 1 ? '' : 's'} [${b.state}${wait}] in ${shortName(b.topFunction)}${at ? ` (${path})` : ''}`;
}

/** `github.com/containerd/containerd/services/tasks.(*local).Start` → `tasks.(*local).Start` */
export function shortName(func: string): string {
  const s = func.lastIndexOf('/');
  return s === -1 ? func : func.slice(s + 1);
}

const RANK: Record<GoroutineSeverity, number> = { critical: 0, warning: 1, info: 2 };

type SignatureHit = { b: BucketAgg; at: number[] };

/** The buckets a signature matches: its state and frames, not an excepted frame, not a bucket an `unless` signature took. */
function signatureHits(sig: GoroutineSignature, buckets: BucketAgg[], skip: Set<number>): SignatureHit[] {
  const { frames, state } = compile(sig);
  const except = (sig.exceptFrames ?? []).map((r) => new RegExp(r));
  const isExcepted = (b: BucketAgg) => except.length > 0
    && (b.frames.some((f) => except.some((re) => re.test(f.func))) || (!!b.createdBy && except.some((re) => re.test(b.createdBy!.func))));
  const hits: SignatureHit[] = [];
  for (const b of buckets) {
    if (skip.has(b.id) || (state && !state.test(b.state)) || isExcepted(b)) continue;
    const at = matchFrames(b, frames);
    if (at) hits.push({ b, at });
  }
  return hits;
}

/** groupByReceiverOf: how many clients wait in that function, and the busiest one. */
function busiestReceiver(hits: SignatureHit[], func: string): string | undefined {
  const per = new Map<string, number>();
  for (const t of hits.flatMap((h) => h.b.tracked ?? [])) {
    if (t.func !== func) continue;
    for (const [v, n] of t.values) per.set(v, (per.get(v) ?? 0) + n);
  }
  const ranked = [...per].sort((a, b) => b[1] - a[1]);
  if (!ranked.length) return undefined;
  return `${ranked.length} client${ranked.length === 1 ? '' : 's'}; the busiest, ${ranked[0][0]}, has ${ranked[0][1]} call${ranked[0][1] === 1 ? '' : 's'} waiting`;
}

/** A signature's severity at this wait: critical once waited past criticalAfterMinutes, info while a call may still be in flight. */
function signatureSeverity(sig: GoroutineSignature, waitMax: number): GoroutineFinding['severity'] {
  if (sig.criticalAfterMinutes !== undefined && waitMax >= sig.criticalAfterMinutes) return 'critical';
  if (sig.inFlightUnderMinutes !== undefined && waitMax < sig.inFlightUnderMinutes) return 'info';
  return sig.severity;
}

export function matchSignatures(buckets: BucketAgg[], table: readonly GoroutineSignature[] = GOROUTINE_SIGNATURES): GoroutineFinding[] {
  const matchedBy = new Map<string, Set<number>>();
  const out: GoroutineFinding[] = [];
  for (const sig of table) {
    const skip = new Set<number>();
    for (const u of sig.unless ?? []) for (const id of matchedBy.get(u) ?? []) skip.add(id);
    const hits = signatureHits(sig, buckets, skip);
    matchedBy.set(sig.id, new Set(hits.map((h) => h.b.id)));
    const count = hits.reduce((n, h) => n + h.b.count, 0);
    if (count === 0 || count < (sig.minCount ?? 1)) continue;
    const waitMax = Math.max(0, ...hits.map((h) => h.b.waitMaxMinutes));
    const severity = signatureSeverity(sig, waitMax);
    const evidence = hits.slice(0, 5).map((h) => describeBucket(h.b, h.at));
    if (hits.length > 5) evidence.push(`… and ${hits.length - 5} more buckets`);
    const busiest = sig.groupByReceiverOf ? busiestReceiver(hits, sig.groupByReceiverOf) : undefined;
    if (busiest) evidence.push(busiest);
    out.push({
      id: sig.id,
      severity,
      title: sig.title,
      explanation: sig.explanation,
      links: [...sig.links],
      count,
      waitMaxMinutes: waitMax,
      buckets: hits.map((h) => h.b.id),
      evidence,
    });
  }
  return out;
}

/** Lock contention and cycles, and piles, as findings. */
export function genericFindings(buckets: BucketAgg[], locks: GoroutineLockContention[], pileList: GoroutinePile[]): GoroutineFinding[] {
  const out: GoroutineFinding[] = [];
  const byId = new Map(buckets.map((b) => [b.id, b]));
  // a cycle: the waiters of A hold B and the waiters of B hold A
  const seen = new Set<string>();
  for (const a of locks) {
    for (const b of locks) {
      if (a === b || a.lockOwner === b.lockOwner) continue;
      const aHoldsB = b.holders.some((h) => a.waiterBuckets.includes(h.bucket));
      const bHoldsA = a.holders.some((h) => b.waiterBuckets.includes(h.bucket));
      const key = [a.lockSite, b.lockSite].sort().join('\x00');
      if (aHoldsB && bHoldsA && !seen.has(key)) {
        seen.add(key);
        out.push({
          id: 'lock-cycle',
          severity: 'critical',
          title: `lock-order inversion: ${shortName(a.lockOwner)} and ${shortName(b.lockOwner)} wait on each other`,
          explanation:
            `Goroutines waiting for a lock in ${shortName(a.lockSite)} are inside ${shortName(b.lockOwner)} (likely holding its lock), ` +
            `and goroutines waiting in ${shortName(b.lockSite)} are inside ${shortName(a.lockOwner)}: a deadlock that only a restart ends.`,
          links: [],
          count: a.waiters + b.waiters,
          waitMaxMinutes: Math.max(a.waitMaxMinutes, b.waitMaxMinutes),
          buckets: [...a.waiterBuckets, ...b.waiterBuckets],
          evidence: [
            `${a.waiters} waiting in ${shortName(a.lockCall)} from ${shortName(a.lockSite)} (up to ${a.waitMaxMinutes} minutes)`,
            `${b.waiters} waiting in ${shortName(b.lockCall)} from ${shortName(b.lockSite)} (up to ${b.waitMaxMinutes} minutes)`,
          ],
        });
      }
    }
  }
  for (const l of locks) {
    if (l.waitMaxMinutes < 1 && l.waiters < PILE_MIN_COUNT) continue;
    const evidence = l.waiterBuckets.slice(0, 3).map((id) => describeBucket(byId.get(id)!));
    for (const h of l.holders.slice(0, 3)) {
      evidence.push(`likely holder: bucket #${h.bucket}: ${h.count} in ${shortName(h.inFunction)} [${h.state}${h.waitMaxMinutes ? `, ${h.waitMaxMinutes} minutes` : ''}]${h.waitingOn ? `, itself waiting on ${shortName(h.waitingOn)}` : ''}`);
    }
    if (l.holders.length === 0) evidence.push(`no goroutine is inside ${shortName(l.lockOwner)} outside the wait: the holder may have returned without unlocking`);
    out.push({
      id: 'lock-contention',
      severity: l.waitMaxMinutes >= 1 ? 'warning' : 'info',
      title: `${l.waiters} goroutine${l.waiters === 1 ? '' : 's'} waiting for a lock in ${shortName(l.lockSite)}`,
      explanation: `Waiting in ${shortName(l.lockCall)} called from ${shortName(l.lockSite)}; the likely holders are the goroutines inside ${shortName(l.lockOwner)} that are not waiting there.`,
      links: [],
      count: l.waiters,
      waitMaxMinutes: l.waitMaxMinutes,
      buckets: [...l.waiterBuckets, ...l.holders.map((h) => h.bucket)],
      evidence,
    });
  }
  for (const p of pileList) {
    const lockish = p.states.some((s) => /semacquire|Mutex|chan send|chan receive|WaitGroup|Cond/.test(s));
    out.push({
      id: 'pile',
      severity: lockish ? 'warning' : 'info',
      title: `${p.count} goroutines waiting in ${shortName(p.function)} for ${p.waitMinMinutes === p.waitMaxMinutes ? p.waitMaxMinutes : `${p.waitMinMinutes}-${p.waitMaxMinutes}`} minutes`,
      explanation: 'Many goroutines have been waiting in the same function for minutes. A pile that grows between two dumps is a leak or a hang.',
      links: [],
      count: p.count,
      waitMaxMinutes: p.waitMaxMinutes,
      buckets: p.buckets,
      evidence: [`states: ${p.states.join(', ')}`, ...p.buckets.slice(0, 3).map((id) => describeBucket(byId.get(id)!))],
    });
  }
  return out;
}

export function rankFindings(findings: GoroutineFinding[]): GoroutineFinding[] {
  // stable: signatures first (table order) within equal severity and wait
  return findings
    .map((f, i) => ({ f, i }))
    .sort((a, b) => RANK[a.f.severity] - RANK[b.f.severity] || b.f.waitMaxMinutes - a.f.waitMaxMinutes || a.i - b.i)
    .map((x) => x.f);
}

export function waitRanking(buckets: BucketAgg[]): number[] {
  return buckets
    .filter((b) => b.waitingCount > 0)
    .sort((a, b) => b.waitMaxMinutes - a.waitMaxMinutes || b.count - a.count)
    .map((b) => b.id);
}
