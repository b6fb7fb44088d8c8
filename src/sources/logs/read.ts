// Reading a log for the pattern tables, bounded in bytes, lines and time:
//   - a file: only its last `maxBytes` (default 8 MiB) are read, never the whole file;
//   - journald: `journalctl -u UNIT -o json -n N --no-pager` under a deadline, killed when late.
// A missing journalctl, a unit with no entries or a missing file is `failed-precondition`
// (the collector records it as skipped, with the message as the reason).
import { open } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { CtrdocError } from '../../errors.ts';
import { formatMs, withDeadline } from '../../deadline.ts';
import type { LogScan } from '../../snapshot/types/index.ts';
import { EpisodeBuilder, type EpisodeOptions } from './episodes.ts';
import type { LogTable } from './table.ts';

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

/** Scans the end of a log file. */
export async function scanLogFile(path: string, opts: LogFileOptions): Promise<LogScan> {
  const maxBytes = Math.max(1, opts.maxBytes ?? DEFAULT_MAX_BYTES);
  const deadlineMs = opts.deadlineMs ?? DEFAULT_DEADLINE_MS;
  const startedAt = Date.now();
  let fh;
  try {
    fh = await withDeadline(open(path, 'r'), deadlineMs, `open ${path}`);
  } catch (err) {
    const e = CtrdocError.from(err, `log file ${path}`);
    if (e.kind === 'not-found') throw new CtrdocError('failed-precondition', `log file ${path} does not exist`, 'point ctrdoc at the daemon\'s log file, or at its journald unit');
    throw e;
  }
  let buf: Buffer;
  let size: number;
  let start: number;
  let mtimeMs: number;
  try {
    const st = await withDeadline(fh.stat(), deadlineMs, `stat ${path}`);
    if (!st.isFile()) throw new CtrdocError('bad-input', `${path} is not a regular file`, 'give the path of a log file');
    size = st.size;
    mtimeMs = st.mtimeMs;
    start = Math.max(0, size - maxBytes);
    buf = Buffer.allocUnsafe(size - start);
    let got = 0;
    const read = async (): Promise<void> => {
      while (got < buf.length) {
        const { bytesRead } = await fh!.read(buf, got, buf.length - got, start + got);
        if (bytesRead === 0) break; // the file shrank (rotated, truncated) while we read
        got += bytesRead;
      }
    };
    await withDeadline(read(), Math.max(1, deadlineMs - (Date.now() - startedAt)), `read ${path}`);
    buf = buf.subarray(0, got);
  } finally {
    await fh.close().catch(() => {});
  }
  const notes: string[] = [];
  let text = buf.toString('utf8');
  if (start > 0) {
    // the window starts mid-line: drop the partial first line
    const nl = text.indexOf('\n');
    text = nl >= 0 ? text.slice(nl + 1) : '';
    notes.push(`read the last ${MiB(buf.length)} of ${MiB(size)}`);
  }
  const b = new EpisodeBuilder(opts.table, { ...opts, refMs: opts.refMs ?? mtimeMs });
  let truncated = start > 0;
  let pos = 0;
  let n = 0;
  while (pos < text.length) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = text.length;
    b.add(text.slice(pos, nl));
    pos = nl + 1;
    if (++n % 4096 === 0 && Date.now() - startedAt > deadlineMs) {
      truncated = true;
      notes.push(`stopped at the deadline (${formatMs(deadlineMs)}) after ${n} lines`);
      break;
    }
  }
  return b.finish(`file:${path}`, buf.length, truncated, notes);
}

/** One journald JSON export line → the message and its time; undefined for a line that is not one. */
export function parseJournalLine(line: string): { message: string; timeMs?: number } | undefined {
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
  return { message, timeMs: us === undefined ? undefined : Math.floor(us / 1000) };
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
      // journald keeps a multi-line message as one entry; match each of its lines
      for (const l of j.message.split('\n')) b.add(l, j.timeMs);
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
