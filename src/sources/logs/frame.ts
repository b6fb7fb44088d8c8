// The transport prefix in front of a log line as people save it, and the payload behind it.
// One grammar for every reader (containerd, kubelet, kernel logs and goroutine dumps):
//   journalctl -o short / syslog:  Dec 18 10:08:26 host containerd[3476]: PAYLOAD
//     (the month as the locale prints it: `Dez 18`, `déc. 18`, `8月 31`, `авг 31`; an optional <PRI>)
//   -o short-precise:              Dec 18 10:08:26.123456 host kubelet[12]: PAYLOAD
//   -o short-iso(-precise), rsyslog high precision:  2026-12-18T10:08:26+0100 host k3s[9]: PAYLOAD
//   -o short-full:                 Thu 2026-12-18 10:08:26 UTC host kernel: PAYLOAD
//   -o short-monotonic / -unix:    [ 1234.567890] host tag[1]: PAYLOAD   1702894106.123456 host tag[1]: PAYLOAD
//   RFC 5424:                      <30>1 2026-12-18T10:08:26.1Z host containerd 3476 - - PAYLOAD
// `journalctl -o json` lines are whole JSON objects (parseJournalLine in read.ts).
// Pure text in, positions out; nothing here throws.

import { monthIndex, parseRfc3339, yearless } from './calendar.ts';

export type FrameKind = 'syslog' | 'iso' | 'full' | 'monotonic' | 'unix' | 'rfc5424';

export interface LineFrame {
  kind: FrameKind;
  /** where the payload starts (in the string given) */
  at: number;
  host: string;
  /** the syslog identifier: containerd, kubelet, k3s, kernel ('' when RFC 5424 says '-') */
  tag: string;
  pid?: number;
  /** the prefix's time fields, turned into epoch ms by frameTime() */
  stamp: { month?: string; day?: string; hms?: string; frac?: string; iso?: string; zone?: string; unix?: string };
}

// One pattern per family; each ends right after `: ` (or the RFC 5424 header's space).
const SHORT =
  /^(?:<\d{1,3}>)?(?<month>\d{1,2}(?:月|월)|[^\s\d<[{("=:/\\]{2,12}) {1,2}(?<day>\d{1,2}) (?<hms>\d\d:\d\d:\d\d)(?<frac>[.,]\d{1,9})? (?<host>\S{1,255}) (?<tag>[^\s[\]:]{1,64}?)(?:\[(?<pid>\d{1,10})\])?(?:: |:$)/;
const ISO =
  /^(?:<\d{1,3}>)?(?<iso>\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d{1,9})?(?:Z|[+-]\d\d:?\d\d)?) (?<host>\S{1,255}) (?<tag>[^\s[\]:]{1,64}?)(?:\[(?<pid>\d{1,10})\])?(?:: |:$)/;
const FULL =
  /^[^\s\d]{2,12} (?<iso>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d{1,9})?) (?<zone>[A-Za-z]{1,6}|[+-]\d\d:?\d\d) (?<host>\S{1,255}) (?<tag>[^\s[\]:]{1,64}?)(?:\[(?<pid>\d{1,10})\])?(?:: |:$)/;
const MONO = /^\[\s*\d{1,10}\.\d{1,9}\] (?<host>\S{1,255}) (?<tag>[^\s[\]:]{1,64}?)(?:\[(?<pid>\d{1,10})\])?(?:: |:$)/;
const UNIX = /^(?<unix>\d{9,11}(?:\.\d{1,9})?) (?<host>\S{1,255}) (?<tag>[^\s[\]:]{1,64}?)(?:\[(?<pid>\d{1,10})\])?(?:: |:$)/;
// RFC 5424: <PRI>VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA [BOM]MSG
const RFC5424 =
  /^<\d{1,3}>\d{1,2} (?<iso>\S+) (?<host>\S{1,255}) (?<tag>\S{1,48}) (?<pid>\S{1,128}) \S{1,32} (?:-|(?:\[(?:[^\]\\]|\\.)*\])+)(?: \uFEFF?|$)/;

type PrefixHit = { m: RegExpExecArray; kind: FrameKind } | undefined;

/** The first of the forms that matches. */
function firstOf(line: string, forms: readonly (readonly [RegExp, FrameKind])[]): PrefixHit {
  for (const [re, kind] of forms) {
    const m = re.exec(line);
    if (m) return { m, kind };
  }
  return undefined;
}

const AFTER_ANGLE = [[RFC5424, 'rfc5424'], [SHORT, 'syslog'], [ISO, 'iso']] as const;
const ISO_ONLY = [[ISO, 'iso']] as const;
const AFTER_DIGIT = [[UNIX, 'unix'], [SHORT, 'syslog']] as const;
const MONO_ONLY = [[MONO, 'monotonic']] as const;
const AFTER_NAME = [[SHORT, 'syslog'], [FULL, 'full']] as const;

/** A month or weekday name: a short word, then a space and a digit (or two spaces: `Oct  8`). */
function startsWithName(line: string): boolean {
  const sp = line.indexOf(' ', 2);
  if (sp < 0 || sp > 13) return false;
  const d = line.charCodeAt(sp + 1) === 32 ? line.charCodeAt(sp + 2) : line.charCodeAt(sp + 1);
  return d >= 48 && d <= 57;
}

/** Which prefix form a line has, chosen by its first character before any regex runs. */
function matchPrefix(line: string): PrefixHit {
  const c = line.charCodeAt(0);
  if (c === 60 /* < */) return firstOf(line, AFTER_ANGLE);
  // 2026-…, 1702894106.1…, or a numeric month (8月)
  if (c >= 48 && c <= 57) return firstOf(line, line.charCodeAt(4) === 45 /* - */ ? ISO_ONLY : AFTER_DIGIT);
  if (c === 91 /* [ */) return firstOf(line, MONO_ONLY);
  return startsWithName(line) ? firstOf(line, AFTER_NAME) : undefined;
}

/**
 * The prefix of a line, or undefined when the line starts with its payload. Cheap for lines
 * that cannot carry one (a goroutine dump's frames, klog, logrus): one or two character tests.
 */
export function lineFrame(line: string): LineFrame | undefined {
  const hit = matchPrefix(line);
  if (!hit) return undefined;
  const { m, kind } = hit;
  const g = m.groups ?? {};
  const pid = g.pid !== undefined && /^\d{1,10}$/.test(g.pid) ? Number(g.pid) : undefined;
  // raw dmesg is `[  12.345] text` too: a monotonic or unix stamp frames a line only with a
  // `tag[pid]:` or `kernel:` after the host (`[ 3.1] EXT4-fs (sda1): mounted` is a kernel message)
  if ((kind === 'monotonic' || kind === 'unix') && pid === undefined && g.tag !== 'kernel') return undefined;
  return {
    kind,
    at: m[0].length,
    host: g.host ?? '',
    tag: g.tag === '-' ? '' : (g.tag ?? ''),
    ...(pid !== undefined ? { pid } : {}),
    stamp: { month: g.month, day: g.day, hms: g.hms, frac: g.frac, iso: g.iso, zone: g.zone, unix: g.unix },
  };
}

/** The prefix's time (epoch ms); refMs places year-less times (syslog). undefined when it has none. */
export function frameTime(f: LineFrame, refMs: number): number | undefined {
  const s = f.stamp;
  if (s.unix) return Math.round(Number(s.unix) * 1000);
  if (s.iso) {
    if (f.kind === 'full') {
      // `Thu 2026-12-18 10:08:26 UTC`: a numeric zone or UTC/GMT is exact; a zone name is taken as local time
      const zone = s.zone ?? '';
      if (/^(?:UTC|GMT|Z)$/.test(zone)) return parseRfc3339(`${s.iso}Z`);
      if (/^[+-]/.test(zone)) return parseRfc3339(`${s.iso}${zone}`);
      return localTime(s.iso);
    }
    const iso = s.iso.replace(',', '.');
    return /(?:Z|[+-]\d\d:?\d\d)$/.test(iso) ? parseRfc3339(iso) : localTime(iso);
  }
  if (s.month && s.day && s.hms) {
    const month = monthIndex(s.month);
    if (month < 0) return undefined;
    const [h, mi, sec] = s.hms.split(':').map(Number);
    const ms = s.frac ? Math.floor(Number(`0.${s.frac.slice(1)}`) * 1000) : 0;
    return yearless({ month, day: Number(s.day), h, mi, s: sec, ms }, refMs);
  }
  return undefined;
}

/** `2026-12-18 10:08:26(.fff)` without a zone: node-local time, as syslog writes it. */
function localTime(text: string): number | undefined {
  const m = /^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:\.(\d+))?$/.exec(text);
  if (!m) return undefined;
  const t = new Date(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6], m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0).getTime();
  return Number.isNaN(t) ? undefined : t;
}

/** The payload of a line: the text after any transport prefix. */
export function payloadOf(line: string): string {
  const f = lineFrame(line);
  return f ? line.slice(f.at) : line;
}
