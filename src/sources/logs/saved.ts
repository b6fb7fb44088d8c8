// Logs as people save them, fed line by line to an EpisodeBuilder: `journalctl -o json` lines
// unwrapped (message, time and SYSLOG_IDENTIFIER), a pager's '>' cut marks dropped (and said),
// newest-first files (`journalctl -r`) read in reverse (and said). Syslog and journald prefixes
// are the builder's (frame.ts). Pure: lines in.
import type { EpisodeBuilder } from './episodes.ts';
import { isNewestFirst, pagerCutWidth } from './order.ts';

export interface JournalEntry {
  message: string;
  timeMs?: number;
  /** SYSLOG_IDENTIFIER (else _COMM), when the export has it */
  tag?: string;
}

/** One journald JSON export line → the message, its time and its tag; undefined for a line that is not one. */
export function parseJournalLine(line: string): JournalEntry | undefined {
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!o || typeof o !== 'object') return undefined;
  const rec = o as Record<string, unknown>;
  let message: string;
  const m = rec.MESSAGE;
  if (typeof m === 'string') message = m;
  // journald exports a message that is not valid UTF-8 as an array of byte values
  else if (Array.isArray(m) && m.every((x) => typeof x === 'number')) message = Buffer.from(m as number[]).toString('utf8');
  else return undefined;
  const rt = rec.__REALTIME_TIMESTAMP;
  const us = typeof rt === 'string' && /^\d+$/.test(rt) ? Number(rt) : undefined;
  const tag = typeof rec.SYSLOG_IDENTIFIER === 'string' ? rec.SYSLOG_IDENTIFIER : typeof rec._COMM === 'string' ? rec._COMM : undefined;
  return { message, timeMs: us === undefined ? undefined : Math.floor(us / 1000), ...(tag ? { tag } : {}) };
}

/** `{"…","MESSAGE":…}`: a line of `journalctl -o json` (not a logrus JSON line, which has "msg"). */
export function isJournalJson(line: string): boolean {
  return line.charCodeAt(0) === 123 /* { */ && line.includes('"MESSAGE":');
}

const journalTime = (line: string): number | undefined => (isJournalJson(line) ? parseJournalLine(line)?.timeMs : undefined);

export interface FeedResult {
  notes: string[];
  newestFirst: boolean;
  /** lines fed before the deadline stopped the feed (all of them when it did not) */
  fed: number;
  stopped: boolean;
}

/**
 * Feeds saved lines to b in time order. `deadlineAt` (epoch ms) stops a long feed, checked every
 * 4096 lines. The caller's lines array is not changed.
 */
export function feedSavedLines(b: EpisodeBuilder, lines: readonly string[], opts: { refMs: number; deadlineAt?: number }): FeedResult {
  const notes: string[] = [];
  const newestFirst = isNewestFirst(lines, opts.refMs, journalTime);
  if (newestFirst) notes.push('the lines are newest first (journalctl -r): read in reverse');
  const width = pagerCutWidth(lines);
  let cut = 0;
  let fed = 0;
  let stopped = false;
  const n = lines.length;
  for (let k = 0; k < n; k++) {
    let line = lines[newestFirst ? n - 1 - k : k];
    if (width !== undefined) {
      const end = line.endsWith('\r') ? line.length - 1 : line.length;
      if (end === width && line.charCodeAt(end - 1) === 62) {
        line = line.slice(0, end - 1);
        cut++;
      }
    }
    if (isJournalJson(line)) {
      const j = parseJournalLine(line);
      if (j) {
        // journald keeps a multi-line message as one entry; match each of its lines
        for (const l of j.message.split('\n')) b.add(l, j.timeMs, j.tag ?? '');
      } else b.add(line);
    } else b.add(line);
    fed++;
    if (opts.deadlineAt !== undefined && fed % 4096 === 0 && Date.now() > opts.deadlineAt) {
      stopped = true;
      break;
    }
  }
  if (cut) notes.push(`${cut} line(s) were cut at ${width} characters by a pager ('>' at the end): what followed the cut is lost`);
  return { notes, newestFirst, fed, stopped };
}
