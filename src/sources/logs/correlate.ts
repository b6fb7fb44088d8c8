// Correlating a pattern's lines with the lines around them, by the id they name (a table entry's
// "correlate" block, see table.ts): containerd logs `shim disconnected id=X` on every normal
// removal, and on a shim's death too; what tells them apart is another line about the same X
// close by (`failed to get task exit status for "X"`: the task's exit could not be read). This
// module only records what it saw: per id, which markers came within the entry's span; the
// rules decide what an unexplained id means (the entry's "otherwise").
import type { EpisodeId, EpisodeIdVerdict, LogEpisode } from '../../snapshot/types/index.ts';
import type { CompiledLogPattern, CompiledMarker, LogTable } from './table.ts';
import { compareText } from '../../order.ts';

/** ids kept per episode in the scan (abnormal and unexplained first); the rest are counted */
export const MAX_EPISODE_IDS = 40;
/** recent marker lines remembered per marker, for lines that come after them */
const MAX_RECENT_MARKERS = 20_000;
const EXAMPLE_CHARS = 300;

const cut = (s: string): string => (s.length > EXAMPLE_CHARS ? `${s.slice(0, EXAMPLE_CHARS)}…` : s);
const iso = (ms: number | undefined): string => (ms === undefined ? '' : new Date(ms).toISOString());

interface IdState {
  ep: LogEpisode;
  id: string;
  count: number;
  firstMs?: number;
  lastMs?: number;
  example: string;
  markers: Map<string, string>;
}

interface MarkerRef {
  pattern: CompiledLogPattern & { correlate: NonNullable<CompiledLogPattern['correlate']> };
  marker: CompiledMarker;
}

interface Seen {
  t?: number;
  line: string;
}

/** Is a marker at time m within the span of a pattern line at time t? Lines without a time are. */
function within(ref: MarkerRef, t: number | undefined, m: number | undefined): boolean {
  if (t === undefined || m === undefined) return true;
  const span = ref.pattern.correlate.withinMs;
  // log lines of concurrent goroutines come a few ms out of order: a second of slack either way
  const slack = 1000;
  switch (ref.marker.when) {
    case 'before':
      return m <= t + slack && t - m <= span;
    case 'after':
      return m >= t - slack && m - t <= span;
    default:
      return Math.abs(t - m) <= span;
  }
}

export class Correlator {
  private readonly refs: MarkerRef[] = [];
  private readonly states = new Map<string, IdState>();
  /** per marker (pattern id + marker name): id → the newest line seen */
  private readonly recent = new Map<string, Map<string, Seen>>();
  private readonly noId = new Map<LogEpisode, number>();

  constructor(table: LogTable) {
    for (const p of table.patterns) {
      if (!p.correlate) continue;
      for (const marker of p.correlate.markers) this.refs.push({ pattern: p as MarkerRef['pattern'], marker });
    }
  }

  get active(): boolean {
    return this.refs.length > 0;
  }

  /** The markers' sources (for the builder's one-regex prefilter) and their flags. */
  get markerRegexes(): RegExp[] {
    return this.refs.map((r) => r.marker.regex);
  }

  /** A line of a correlated pattern: remember its id, and the markers already seen for it. */
  onPatternLine(p: CompiledLogPattern, ep: LogEpisode, m: RegExpExecArray, t: number | undefined, line: string): void {
    if (!p.correlate) return;
    const id = m.groups?.[p.correlate.by];
    if (!id) {
      this.noId.set(ep, (this.noId.get(ep) ?? 0) + 1);
      return;
    }
    const key = `${p.id}\u0000${id}`;
    let st = this.states.get(key);
    if (!st || st.ep !== ep) {
      st = { ep, id, count: 0, firstMs: t, lastMs: t, example: cut(line), markers: new Map() };
      this.states.set(key, st);
    }
    st.count++;
    if (t !== undefined) {
      if (st.firstMs === undefined || t < st.firstMs) st.firstMs = t;
      if (st.lastMs === undefined || t > st.lastMs) st.lastMs = t;
    }
    for (const ref of this.refs) {
      if (ref.pattern.id !== p.id || st.markers.has(ref.marker.name)) continue;
      const seen = this.recent.get(`${p.id}\u0000${ref.marker.name}`)?.get(id);
      if (seen && within(ref, t, seen.t)) st.markers.set(ref.marker.name, seen.line);
    }
  }

  /** Any line: is it a marker? Then remember it, and give it to the ids already seen close by. */
  onLine(head: string, t: number | undefined, line: string): void {
    for (const ref of this.refs) {
      const m = ref.marker.regex.exec(head);
      const id = m?.groups?.[ref.pattern.correlate.by];
      if (!id) continue;
      const mk = `${ref.pattern.id}\u0000${ref.marker.name}`;
      let seen = this.recent.get(mk);
      if (!seen) this.recent.set(mk, (seen = new Map()));
      seen.delete(id); // re-insert: the map's order is the order lines came in
      seen.set(id, { t, line: cut(line) });
      if (seen.size > MAX_RECENT_MARKERS) {
        // the oldest half goes: a marker that old is far outside any span on a log this busy
        let drop = seen.size / 2;
        for (const k of seen.keys()) {
          if (drop-- <= 0) break;
          seen.delete(k);
        }
      }
      const st = this.states.get(`${ref.pattern.id}\u0000${id}`);
      if (!st || st.markers.has(ref.marker.name)) continue;
      // a line at or after the id's lines: measured from its last line (or its first, for before)
      const at = ref.marker.when === 'before' ? st.firstMs : st.lastMs;
      if (within(ref, at, t)) st.markers.set(ref.marker.name, cut(line));
    }
  }

  /** Writes ids and idVerdicts onto the correlated patterns' episodes. */
  finish(table: LogTable): void {
    const byEp = new Map<LogEpisode, IdState[]>();
    for (const st of this.states.values()) {
      let l = byEp.get(st.ep);
      if (!l) byEp.set(st.ep, (l = []));
      l.push(st);
    }
    const meansOf = new Map<string, Map<string, string>>();
    for (const p of table.patterns) if (p.correlate) meansOf.set(p.id, new Map(p.correlate.markers.map((x) => [x.name, x.means])));
    const rank: Record<EpisodeIdVerdict, number> = { abnormal: 0, unexplained: 1, normal: 2 };
    const eps = new Set([...byEp.keys(), ...this.noId.keys()]);
    for (const ep of eps) {
      const means = meansOf.get(ep.pattern) ?? new Map<string, string>();
      const ids: EpisodeId[] = (byEp.get(ep) ?? []).map((st) => {
        const names = [...st.markers.keys()];
        const verdict: EpisodeIdVerdict = names.some((n) => means.get(n) === 'abnormal') ? 'abnormal' : names.length ? 'normal' : 'unexplained';
        return { id: st.id, count: st.count, first: iso(st.firstMs), last: iso(st.lastMs), example: st.example, markers: Object.fromEntries(st.markers), verdict };
      });
      const verdicts: Record<EpisodeIdVerdict | 'noId', number> = { abnormal: 0, normal: 0, unexplained: 0, noId: this.noId.get(ep) ?? 0 };
      for (const x of ids) verdicts[x.verdict]++;
      // newest first within a verdict: the ones a person looks at now
      ids.sort((a, b) => rank[a.verdict] - rank[b.verdict] || compareText(b.last, a.last));
      ep.ids = ids.slice(0, MAX_EPISODE_IDS);
      ep.idVerdicts = verdicts;
    }
  }
}
