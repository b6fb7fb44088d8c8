// Matching lines against a pattern table and grouping the matches into episodes: the same
// pattern with gaps shorter than `gapMs` is one episode (count, first/last time, examples,
// captured values). Patterns see a line's payload: the text behind any syslog or journald
// prefix (frame.ts), so a line saved from `journalctl -u containerd` matches as the daemon wrote
// it; lines another process logged (by their tag) are not matched. Pure: lines in, a LogScan out.
import type { LogEpisode, LogScan, LogWindow } from '../../snapshot/types/index.ts';
import type { CompiledLogPattern, LogTable } from './table.ts';
import { lineTime } from './timestamp.ts';
import { frameTime, lineFrame, type LineFrame } from './frame.ts';
import { isForeignTag, LOG_TABLE_TAGS } from './tables.ts';
import { feedSavedLines } from './saved.ts';
import { logFields } from './fields.ts';
import { Correlator } from './correlate.ts';
import { windowStartMs } from './window.ts';

export const DEFAULT_GAP_MS = 5 * 60_000;
export const DEFAULT_TAIL_LINES = 20;
/** a line is matched on its first this-many characters (a goroutine dump can be one 5 MB line) */
export const MAX_MATCH_CHARS = 16 * 1024;
const EXAMPLE_CHARS = 500;
const MAX_CAPTURE_VALUES = 20;

export interface EpisodeOptions {
  gapMs?: number;
  tailLines?: number;
  /** reference time for year-less formats (klog, syslog): the file's mtime, or now */
  refMs?: number;
  /** episodes whose last line is older than the window's start are kept, marked beforeWindow */
  window?: LogWindow;
  /** syslog identifiers whose lines are read (default: the table's, LOG_TABLE_TAGS) */
  ownTags?: readonly string[];
}

interface OpenEpisode {
  ep: LogEpisode;
  firstMs?: number;
  lastMs?: number;
}

const cut = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n)}…` : s);
const iso = (ms: number | undefined): string => (ms === undefined ? '' : new Date(ms).toISOString());

export class EpisodeBuilder {
  private readonly table: LogTable;
  private readonly gapMs: number;
  private readonly tailLines: number;
  private readonly refMs: number;
  private readonly open = new Map<string, OpenEpisode>();
  private readonly episodes: LogEpisode[] = [];
  private readonly tail: string[] = [];
  private minMs: number | undefined;
  private maxMs: number | undefined;
  private binary = 0;
  private long = 0;
  /** one regex that any matching line matches (all patterns, groups unnamed): most lines stop here */
  private readonly anyPattern: RegExp | undefined;
  /** the newest line not yet looked at for its time (times are parsed lazily: first, matches, last) */
  private lastUntimed: { head: string; frame?: LineFrame } | undefined;
  private readonly ownTags: readonly string[];
  /** lines skipped because another process logged them, per tag */
  private readonly foreign = new Map<string, number>();
  private readonly windowStartMs: number | undefined;
  private readonly window: LogWindow | undefined;
  /** the table's correlated patterns: the ids their lines name and the marker lines around them */
  private readonly correlator: Correlator;
  linesRead = 0;

  constructor(table: LogTable, opts: EpisodeOptions = {}) {
    this.table = table;
    this.gapMs = opts.gapMs ?? DEFAULT_GAP_MS;
    this.tailLines = opts.tailLines ?? DEFAULT_TAIL_LINES;
    this.refMs = opts.refMs ?? Date.now();
    this.ownTags = opts.ownTags ?? LOG_TABLE_TAGS[table.name] ?? [];
    this.window = opts.window;
    this.windowStartMs = opts.window ? windowStartMs(opts.window) : undefined;
    this.correlator = new Correlator(table);
    // marker lines (correlate.markers) must get past the prefilter too
    const all = [...table.patterns.map((p) => p.regex), ...this.correlator.markerRegexes];
    const sources = all.map((r) => r.source);
    const sameFlags = all.every((r) => r.flags === (all[0]?.flags ?? ''));
    if (sources.length > 1 && sameFlags && !sources.some((x) => /\\(?:k<|[1-9])/.test(x))) {
      try {
        this.anyPattern = new RegExp(sources.map((x) => `(?:${x.replace(/\(\?<([A-Za-z_]\w*)>/g, '(?:')})`).join('|'), all[0].flags);
      } catch {
        this.anyPattern = undefined;
      }
    }
  }

  private noteTime(t: number | undefined): void {
    if (t === undefined) return;
    if (this.minMs === undefined || t < this.minMs) this.minMs = t;
    if (this.maxMs === undefined || t > this.maxMs) this.maxMs = t;
  }

  /** The time of a line's payload, else of its prefix. */
  private timeOf(head: string, frame: LineFrame | undefined): number | undefined {
    return lineTime(head, this.refMs) ?? (frame ? frameTime(frame, this.refMs) : undefined);
  }

  /** The line's payload after its syslog/journald prefix, and that prefix (when the transport gave no tag). */
  private framed(line: string, tag: string | undefined): { payload: string; frame?: LineFrame; tag?: string } {
    if (tag !== undefined) return { payload: line, tag };
    // journal lines pasted indented (`systemctl status`, a markdown block) keep their prefix
    const lead = line.charCodeAt(0) === 32 || line.charCodeAt(0) === 9 ? line.length - line.trimStart().length : 0;
    const frame = lineFrame(lead ? line.slice(lead) : line);
    return frame ? { payload: line.slice(lead + frame.at), frame, tag: frame.tag } : { payload: line };
  }

  /**
   * The line's time. Logs run forward in time: the time of the first dated line, of matching
   * lines and (in finish) of the last line is parsed; the lines in between do not move from/to.
   */
  private timeFor(head: string, frame: LineFrame | undefined, timeMs: number | undefined, matches: boolean): number | undefined {
    if (timeMs !== undefined) {
      this.noteTime(timeMs);
      return timeMs;
    }
    if (!matches && this.minMs !== undefined) {
      this.lastUntimed = { head, frame };
      return undefined;
    }
    const t = this.timeOf(head, frame);
    this.noteTime(t);
    this.lastUntimed = undefined;
    return t;
  }

  /** The open episode of a pattern, or a new one when none is open or the gap since its last line is too long. */
  private episodeFor(id: string, t: number | undefined): { ep: LogEpisode; firstMs?: number; lastMs?: number } {
    let cur = this.open.get(id);
    if (!cur || (t !== undefined && cur.lastMs !== undefined && t - cur.lastMs > this.gapMs)) {
      cur = { ep: { pattern: id, first: '', last: '', count: 0, examples: [], captures: {} }, firstMs: t, lastMs: t };
      this.open.set(id, cur);
      this.episodes.push(cur.ep);
    }
    return cur;
  }

  /** One matching line counted in its pattern's episode: time span, level, example, captures. */
  private count(p: CompiledLogPattern, m: RegExpExecArray, line: string, t: number | undefined, level: string | null): LogEpisode {
    const cur = this.episodeFor(p.id, t);
    const ep = cur.ep;
    ep.count++;
    if (t !== undefined) {
      if (cur.firstMs === undefined) cur.firstMs = t;
      if (cur.lastMs === undefined || t > cur.lastMs) cur.lastMs = t;
    }
    if (level && !ep.levels?.includes(level)) (ep.levels ??= []).push(level);
    const example = cut(line, EXAMPLE_CHARS);
    if (ep.examples.length < 3) ep.examples.push(example);
    else ep.examples[2] = example;
    for (const name of p.captureNames) {
      const v = m.groups?.[name];
      if (v === undefined || v === '') continue;
      const list = (ep.captures[name] ??= []);
      if (list.length < MAX_CAPTURE_VALUES && !list.includes(v)) list.push(v);
    }
    ep.first = iso(cur.firstMs);
    ep.last = iso(cur.lastMs);
    return ep;
  }

  /**
   * One line. `timeMs` and `tag` when the transport knows them (journald's fields); else both
   * come from the line: its syslog/journald prefix, and the time in its payload.
   */
  add(rawLine: string, timeMs?: number, tagGiven?: string): void {
    let line = rawLine;
    while (line.endsWith('\r')) line = line.slice(0, -1);
    if (!line) return;
    this.linesRead++;
    // NUL bytes do not occur in text logs: a corrupted block, a binary file, a sparse hole.
    if (line.includes('\0')) {
      this.binary++;
      return;
    }
    const { payload, frame, tag } = this.framed(line, tagGiven);
    if (tag && isForeignTag(tag, this.ownTags)) {
      this.foreign.set(tag, (this.foreign.get(tag) ?? 0) + 1);
      return;
    }
    this.tail.push(cut(line, EXAMPLE_CHARS));
    if (this.tail.length > this.tailLines) this.tail.shift();
    let head = payload;
    if (payload.length > MAX_MATCH_CHARS) {
      this.long++;
      head = payload.slice(0, MAX_MATCH_CHARS);
    }
    const matches = !this.anyPattern || this.anyPattern.test(head);
    const t = this.timeFor(head, frame, timeMs, matches);
    if (!matches) return;
    let level: string | null | undefined;
    for (const p of this.table.patterns) {
      const m = p.regex.exec(head);
      if (!m) continue;
      if (level === undefined) level = logFields(head).level ?? null;
      const ep = this.count(p, m, line, t, level);
      this.correlator.onPatternLine(p, ep, m, t, line);
    }
    if (this.correlator.active) this.correlator.onLine(head, t, line);
  }

  finish(source: string, bytesRead: number, truncated: boolean, notes: string[] = [], order?: { newestFirst?: boolean }): LogScan {
    if (this.lastUntimed !== undefined) this.noteTime(this.timeOf(this.lastUntimed.head, this.lastUntimed.frame));
    this.lastUntimed = undefined;
    const n = [...notes];
    if (this.binary) n.push(`${this.binary} line(s) held NUL bytes (binary data) and were skipped`);
    if (this.long) n.push(`${this.long} line(s) longer than ${MAX_MATCH_CHARS} characters were matched on their start only`);
    if (this.foreign.size) {
      const by = [...this.foreign].sort((a, b) => b[1] - a[1]).map(([t, c]) => `${t} ${c}`).join(', ');
      n.push(`${[...this.foreign.values()].reduce((a, b) => a + b, 0)} line(s) logged by other processes were not matched (${by})`);
    }
    this.correlator.finish(this.table);
    if (this.windowStartMs !== undefined) {
      for (const ep of this.episodes) {
        const last = ep.last ? Date.parse(ep.last) : NaN;
        if (Number.isFinite(last) && last < this.windowStartMs) ep.beforeWindow = true;
      }
    }
    return {
      source,
      linesRead: this.linesRead,
      bytesRead,
      from: iso(this.minMs),
      to: iso(this.maxMs),
      tail: this.tail,
      episodes: this.episodes,
      truncated,
      ...(n.length ? { notes: n } : {}),
      ...(this.window ? { window: this.window } : {}),
      ...(order?.newestFirst ? { newestFirst: true } : {}),
    };
  }
}

/** Scans text (whole lines, as saved: see saved.ts) with a table. */
export function scanText(text: string, table: LogTable, source: string, opts: EpisodeOptions = {}): LogScan {
  const b = new EpisodeBuilder(table, opts);
  const fed = feedSavedLines(b, text.split('\n'), { refMs: opts.refMs ?? Date.now() });
  return b.finish(source, Buffer.byteLength(text), false, fed.notes, { newestFirst: fed.newestFirst });
}
