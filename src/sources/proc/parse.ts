// Parsers for the /proc/PID files ctrdoc reads. Pure: text in, plain values out, null for text
// that is not what the kernel writes (never a throw).
import type { ProcCgroupLine } from '../../snapshot/types/proc.ts';

export interface StatFields {
  pid: number;
  comm: string;
  state: string;
  ppid: number;
  pgid: number;
  sid: number;
  flags: number;
  utime: number;
  stime: number;
  threads: number;
  starttime: number;
  vsizeBytes: number;
  rssPages: number;
}

/** PF_KTHREAD in stat's flags field. */
export const PF_KTHREAD = 0x00200000;

/**
 * Parses /proc/PID/stat: `pid (comm) state ppid ...`. comm may hold spaces and ')' itself, so
 * it runs from the first '(' to the LAST ')' in the line; fields are counted after that.
 */
export function parseStat(text: string): StatFields | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 1 || close < open) return null;
  const pid = toInt(text.slice(0, open).trim());
  if (pid === null || pid <= 0) return null;
  const comm = text.slice(open + 1, close);
  // Fields from 3 (state) on, separated by single spaces; read only up to field 24 (rss),
  // digit by digit (a scan parses thousands of these).
  const vals: number[] = [];
  let i = close + 1;
  if (text.charCodeAt(i) !== 32) return null;
  i++;
  const stateEnd = text.indexOf(' ', i);
  if (stateEnd !== i + 1) return null;
  const state = text[i];
  i = stateEnd + 1;
  for (let field = 4; field <= 24; field++) {
    let v = 0;
    let neg = false;
    let digits = 0;
    if (text.charCodeAt(i) === 45) { neg = true; i++; }
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c < 48 || c > 57) break;
      v = v * 10 + (c - 48);
      digits++;
    }
    const end = text.charCodeAt(i);
    if (!digits || !(end === 32 || end === 10 || Number.isNaN(end)) || !Number.isSafeInteger(v)) return null;
    if (Number.isNaN(end) && field < 24) return null;
    vals.push(neg ? -v : v);
    i++;
  }
  const n = (field: number): number => vals[field - 4];
  return {
    pid, comm, state, ppid: n(4), pgid: n(5), sid: n(6), flags: n(9), utime: n(14), stime: n(15),
    threads: n(20), starttime: n(22), vsizeBytes: n(23), rssPages: n(24),
  };
}

function toInt(s: string | undefined): number | null {
  if (s === undefined || s === '' || !/^-?\d+$/.test(s)) return null;
  const v = Number(s);
  return Number.isSafeInteger(v) ? v : null;
}

export interface StatusFields {
  uid?: number;
  nspid?: number[];
  vmRssKb?: number;
  threads?: number;
}

/** The few /proc/PID/status lines ctrdoc uses: Uid (real), NSpid, VmRSS, Threads. */
export function parseStatus(text: string): StatusFields {
  const out: StatusFields = {};
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const key = line.slice(0, colon);
    const value = line.slice(colon + 1).trim();
    if (key === 'Uid') {
      const v = toInt(value.split(/\s+/)[0]);
      if (v !== null) out.uid = v;
    } else if (key === 'NSpid') {
      const parts = value.split(/\s+/).map(toInt);
      if (parts.length > 0 && parts.every((p) => p !== null)) out.nspid = parts as number[];
    } else if (key === 'VmRSS') {
      const v = toInt(value.replace(/\s*kB$/, ''));
      if (v !== null) out.vmRssKb = v;
    } else if (key === 'Threads') {
      const v = toInt(value);
      if (v !== null) out.threads = v;
    }
  }
  return out;
}

/** /proc/PID/cgroup: one `id:controllers:path` per line; lines that do not fit are skipped. */
export function parseCgroup(text: string): ProcCgroupLine[] {
  const out: ProcCgroupLine[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const a = line.indexOf(':');
    const b = a < 0 ? -1 : line.indexOf(':', a + 1);
    if (a < 0 || b < 0) continue;
    out.push({ hierarchy: line.slice(0, a), controllers: line.slice(a + 1, b), path: line.slice(b + 1) });
  }
  return out;
}

/** /proc/PID/cmdline: NUL-separated argv (a trailing NUL ends the last argument). */
export function parseCmdline(text: string): string[] {
  if (!text) return [];
  const parts = text.split('\0');
  if (parts[parts.length - 1] === '') parts.pop();
  // A process that rewrote its argv into one space-separated string (setproctitle) has one part.
  return parts;
}

/** /proc/PID/stack lines `[<0>] fifo_open+0x215/0x330` → function names, innermost first. */
export function parseKernelStack(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^\[<[0-9a-fx]+>\]\s+([^+\s]+)/.exec(line.trim());
    if (m) out.push(m[1]);
  }
  return out;
}

/** A namespace link target `pid:[4026531836]` → 4026531836. */
export function parseNsLink(target: string): number | undefined {
  const m = /:\[(\d+)\]$/.exec(target);
  return m ? Number(m[1]) : undefined;
}

/** The 64-hex container id in a cgroup path (kubepods/.../<id>, cri-containerd-<id>.scope, or /<id>). */
export function containerIdOfCgroupPath(path: string): string | undefined {
  const m = /(?:^|[/-])([0-9a-f]{64})(?:\.scope)?$/.exec(path);
  return m ? m[1] : undefined;
}
