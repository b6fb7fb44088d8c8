// Matching lines against a pattern table and grouping the matches into episodes: the same
// pattern with gaps shorter than `gapMs` is one episode (count, first/last time, examples,
// captured values). Pure: lines in, a LogScan out.
import type { LogEpisode, LogScan } from '../../snapshot/types/index.ts';
import type { LogTable } from './table.ts';
import { lineTime } from './timestamp.ts';

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
  private lastUntimed: string | undefined;
  linesRead = 0;

  constructor(table: LogTable, opts: EpisodeOptions = {}) {
    this.table = table;
    this.gapMs = opts.gapMs ?? DEFAULT_GAP_MS;
    this.tailLines = opts.tailLines ?? DEFAULT_TAIL_LINES;
    this.refMs = opts.refMs ?? Date.now();
    const sources = table.patterns.map((p) => p.regex.source);
    const sameFlags = table.patterns.every((p) => p.regex.flags === (table.patterns[0]?.regex.flags ?? ''));
    if (sources.length > 1 && sameFlags && !sources.some((x) => /\\(?:k<|[1-9])/.test(x))) {
      try {
        this.anyPattern = new RegExp(sources.map((x) => `(?:${x.replace(/\(\?<([A-Za-z_]\w*)>/g, '(?:')})`).join('|'), table.patterns[0].regex.flags);
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

  /** One line; `timeMs` when the transport knows it (journald), else parsed from the line. */
  add(rawLine: string, timeMs?: number): void {
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (!line) return;
    this.linesRead++;
    // NUL bytes do not occur in text logs: a corrupted block, a binary file, a sparse hole.
    if (line.includes('\0')) {
      this.binary++;
      return;
    }
    this.tail.push(cut(line, EXAMPLE_CHARS));
    if (this.tail.length > this.tailLines) this.tail.shift();
    let head = line;
    if (line.length > MAX_MATCH_CHARS) {
      this.long++;
      head = line.slice(0, MAX_MATCH_CHARS);
    }
    if (timeMs !== undefined) this.noteTime(timeMs);
    const matches = !this.anyPattern || this.anyPattern.test(head);
    // logs run forward in time: parse the time of the first dated line, of matching lines and
    // (in finish) of the last line; the lines in between do not move from/to
    let t = timeMs;
    if (t === undefined && (matches || this.minMs === undefined)) {
      t = lineTime(head, this.refMs);
      this.noteTime(t);
      this.lastUntimed = undefined;
    } else if (t === undefined) {
      this.lastUntimed = head;
    }
    if (!matches) return;
    for (const p of this.table.patterns) {
      const m = p.regex.exec(head);
      if (!m) continue;
      let cur = this.open.get(p.id);
      if (!cur || (t !== undefined && cur.lastMs !== undefined && t - cur.lastMs > this.gapMs)) {
        cur = { ep: { pattern: p.id, first: '', last: '', count: 0, examples: [], captures: {} }, firstMs: t, lastMs: t };
        this.open.set(p.id, cur);
        this.episodes.push(cur.ep);
      }
      const ep = cur.ep;
      ep.count++;
      if (t !== undefined) {
        if (cur.firstMs === undefined) cur.firstMs = t;
        if (cur.lastMs === undefined || t > cur.lastMs) cur.lastMs = t;
      }
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
    }
  }

  finish(source: string, bytesRead: number, truncated: boolean, notes: string[] = []): LogScan {
    if (this.lastUntimed !== undefined) this.noteTime(lineTime(this.lastUntimed, this.refMs));
    this.lastUntimed = undefined;
    const n = [...notes];
    if (this.binary) n.push(`${this.binary} line(s) held NUL bytes (binary data) and were skipped`);
    if (this.long) n.push(`${this.long} line(s) longer than ${MAX_MATCH_CHARS} characters were matched on their start only`);
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
    };
  }
}

/** Scans text (whole lines) with a table: the pure core used by the file and journald readers. */
export function scanText(text: string, table: LogTable, source: string, opts: EpisodeOptions = {}): LogScan {
  const b = new EpisodeBuilder(table, opts);
  for (const line of text.split('\n')) b.add(line);
  return b.finish(source, Buffer.byteLength(text), false);
}
