// Reading a log for the pattern tables, bounded in bytes, lines and time:
//   - a file: only its newest `maxBytes` (default 8 MiB) are read, never the whole file: its
//     end, or its head when it runs newest first (saved from `journalctl -r`);
//   - journald: `journalctl -u UNIT -o json -n N --no-pager` under a deadline, killed when late.
// A missing journalctl, a unit with no entries or a missing file is `failed-precondition`
// (the collector records it as skipped, with the message as the reason).
import { open, type FileHandle } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { CtrdocError } from '../../errors.ts';
import { formatMs, withDeadline } from '../../deadline.ts';
import type { LogScan } from '../../snapshot/types/index.ts';
import { EpisodeBuilder, type EpisodeOptions } from './episodes.ts';
import type { LogTable } from './table.ts';
import { feedSavedLines, parseJournalLine } from './saved.ts';
import { isNewestFirst } from './order.ts';

export { parseJournalLine } from './saved.ts';

export const DEFAULT_MAX_BYTES = 8 * 1024 * 1024;
export const DEFAULT_JOURNAL_LINES = 20_000;
const DEFAULT_DEADLINE_MS = 3000;

export interface LogReadOptions extends EpisodeOptions {
  table: LogTable;
  /** give up (keeping what was scanned) after this long; default 3 s */
  deadlineMs?: number;
}

export interface LogFileOptions extends LogReadOptions {
  /** read at most the last this-many bytes; default 8 MiB */
  maxBytes?: number;
}

export interface JournalOptions extends LogReadOptions {
  /** journalctl --since value, e.g. "-2h" or "2026-11-26 20:00:00" */
  since?: string;
  /** journalctl -n: at most this many newest entries; default 20000 */
  maxLines?: number;
  /** the journalctl binary (tests point it elsewhere); default "journalctl" */
  journalctl?: string;
  /** stop reading journalctl's output after this many bytes; default 64 MiB */
  maxBytes?: number;
}

const MiB = (n: number): string => `${+(n / 1048576).toFixed(1)} MiB`;

/** Reads [start, start+len) of an open file; fewer bytes when the file shrank meanwhile. */
async function readRange(fh: FileHandle, start: number, len: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(len);
  let got = 0;
  while (got < len) {
    const { bytesRead } = await fh.read(buf, got, len - got, start + got);
    if (bytesRead === 0) break; // the file shrank (rotated, truncated) while we read
    got += bytesRead;
  }
  return buf.subarray(0, got);
}

/**
 * Scans the newest part of a log file: its last `maxBytes`, or its first when the file runs newest
 * first (`journalctl -r > file`). Lines may carry syslog or journald prefixes, be journald JSON
 * export lines, end in CRLF, or be cut by a pager (see saved.ts).
 */
export async function scanLogFile(path: string, opts: LogFileOptions): Promise<LogScan> {
  const maxBytes = Math.max(1, opts.maxBytes ?? DEFAULT_MAX_BYTES);
  const deadlineMs = opts.deadlineMs ?? DEFAULT_DEADLINE_MS;
  const startedAt = Date.now();
  let fh: FileHandle;
  try {
    fh = await withDeadline(open(path, 'r'), deadlineMs, `open ${path}`);
  } catch (err) {
    const e = CtrdocError.from(err, `log file ${path}`);
    if (e.kind === 'not-found') throw new CtrdocError('failed-precondition', `log file ${path} does not exist`, 'point ctrdoc at the daemon\'s log file, or at its journald unit');
    throw e;
  }
  const notes: string[] = [];
  let lines: string[];
  let bytes: number;
  let mtimeMs: number;
  let truncated: boolean;
  try {
    const st = await withDeadline(fh.stat(), deadlineMs, `stat ${path}`);
    if (!st.isFile()) throw new CtrdocError('bad-input', `${path} is not a regular file`, 'give the path of a log file');
    const size = st.size;
    mtimeMs = st.mtimeMs;
    const refMs = opts.refMs ?? mtimeMs;
    const left = (): number => Math.max(1, deadlineMs - (Date.now() - startedAt));
    const start = Math.max(0, size - maxBytes);
    let buf = await withDeadline(readRange(fh, start, size - start), left(), `read ${path}`);
    let text = buf.toString('utf8');
    // the window starts mid-line: drop the partial first line
    if (start > 0) text = text.slice(text.indexOf('\n') + 1 || text.length);
    lines = text.split('\n');
    truncated = start > 0;
    if (start > 0 && isNewestFirst(lines, refMs)) {
      // newest first: the newest lines are at the head of the file
      buf = await withDeadline(readRange(fh, 0, maxBytes), left(), `read ${path}`);
      text = buf.toString('utf8');
      const nl = text.lastIndexOf('\n');
      lines = (nl >= 0 ? text.slice(0, nl) : '').split('\n');
      notes.push(`read the first ${MiB(buf.length)} of ${MiB(size)} (the newest lines)`);
    } else if (start > 0) {
      notes.push(`read the last ${MiB(buf.length)} of ${MiB(size)}`);
    }
    bytes = buf.length;
  } finally {
    await fh.close().catch(() => {});
  }
  const refMs = opts.refMs ?? mtimeMs;
  const b = new EpisodeBuilder(opts.table, { ...opts, refMs });
  const fed = feedSavedLines(b, lines, { refMs, deadlineAt: startedAt + deadlineMs });
  notes.push(...fed.notes);
  if (fed.stopped) {
    truncated = true;
    notes.push(`stopped at the deadline (${formatMs(deadlineMs)}) after ${fed.fed} lines`);
  }
  return b.finish(`file:${path}`, bytes, truncated, notes, { newestFirst: fed.newestFirst });
}

/** Scans the newest entries of a systemd unit's journal. */
export function scanJournal(unit: string, opts: JournalOptions): Promise<LogScan> {
  const deadlineMs = opts.deadlineMs ?? DEFAULT_DEADLINE_MS;
  const maxLines = opts.maxLines ?? DEFAULT_JOURNAL_LINES;
  const maxBytes = opts.maxBytes ?? 64 * 1024 * 1024;
  const bin = opts.journalctl ?? 'journalctl';
  const args = ['-u', unit, '-o', 'json', '--output-fields=MESSAGE,__REALTIME_TIMESTAMP', '--no-pager', '-n', String(maxLines)];
  if (opts.since) args.push('--since', opts.since);
  const b = new EpisodeBuilder(opts.table, opts);
  const notes: string[] = [];
  return new Promise<LogScan>((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let pending = '';
    let bytes = 0;
    let entries = 0;
    let stderr = '';
    let truncated = false;
    let done = false;
    const timer = setTimeout(() => {
      truncated = true;
      notes.push(`journalctl did not finish within ${formatMs(deadlineMs)}: scanned the ${entries} entries that came`);
      child.kill('SIGKILL');
    }, deadlineMs);
    const feed = (line: string): void => {
      if (!line) return;
      const j = parseJournalLine(line);
      if (!j) return;
      entries++;
      // journald keeps a multi-line message as one entry; match each of its lines (its unit's:
      // no tag filter, and no prefix to read)
      for (const l of j.message.split('\n')) b.add(l, j.timeMs, '');
    };
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      bytes += Buffer.byteLength(chunk);
      pending += chunk;
      let nl;
      while ((nl = pending.indexOf('\n')) >= 0) {
        feed(pending.slice(0, nl));
        pending = pending.slice(nl + 1);
      }
      if (bytes > maxBytes && !truncated) {
        truncated = true;
        notes.push(`stopped reading journalctl after ${MiB(maxBytes)}`);
        child.kill('SIGKILL');
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (c: string) => {
      if (stderr.length < 4096) stderr += c;
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (err.code === 'ENOENT') {
        reject(new CtrdocError('failed-precondition', `journalctl not found (${bin}): cannot read the journal of ${unit}`, 'give the log file instead'));
      } else reject(CtrdocError.from(err, `journalctl -u ${unit}`));
    });
    child.on('close', (code) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (!truncated) feed(pending);
      const why = stderr.trim().split('\n')[0] ?? '';
      if (!truncated && code !== 0) {
        reject(new CtrdocError('unavailable', `journalctl -u ${unit} failed (exit ${code})${why ? `: ${why}` : ''}`, 'is the journal readable (root or the systemd-journal group)?'));
        return;
      }
      if (entries === 0) {
        if (truncated) reject(new CtrdocError('deadline-exceeded', `journalctl -u ${unit}: no entry within ${formatMs(deadlineMs)}`));
        else reject(new CtrdocError('failed-precondition', `the journal has no entries for unit ${unit}${why ? ` (${why})` : ''}`, 'is that the unit\'s name, and does this node use journald? give the log file instead'));
        return;
      }
      if (entries >= maxLines) {
        truncated = true;
        notes.push(`read the newest ${maxLines} journal entries`);
      }
      resolve(b.finish(`journald:${unit}`, bytes, truncated, notes));
    });
  });
}

/** A file when given, else the unit's journal. */
export function scanLog(where: { file?: string; journalUnit?: string }, opts: LogFileOptions & JournalOptions): Promise<LogScan> {
  if (where.file) return scanLogFile(where.file, opts);
  if (where.journalUnit) return scanJournal(where.journalUnit, opts);
  return Promise.reject(new CtrdocError('failed-precondition', 'no log to read: neither a file nor a journald unit was given'));
}
