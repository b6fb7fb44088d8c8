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

/**
 * The prefix of a line, or undefined when the line starts with its payload. Cheap for lines
 * that cannot carry one (a goroutine dump's frames, klog, logrus): one or two character tests.
 */
export function lineFrame(line: string): LineFrame | undefined {
  const c = line.charCodeAt(0);
  let m: RegExpExecArray | null = null;
  let kind: FrameKind;
  if (c === 60 /* < */) {
    if ((m = RFC5424.exec(line))) kind = 'rfc5424';
    else if ((m = SHORT.exec(line))) kind = 'syslog';
    else if ((m = ISO.exec(line))) kind = 'iso';
    else return undefined;
  } else if (c >= 48 && c <= 57) {
    // 2026-…, 1702894106.1…, or a numeric month (8月)
    if (line.charCodeAt(4) === 45 /* - */) {
      if (!(m = ISO.exec(line))) return undefined;
      kind = 'iso';
    } else if ((m = UNIX.exec(line))) kind = 'unix';
    else if ((m = SHORT.exec(line))) kind = 'syslog';
    else return undefined;
  } else if (c === 91 /* [ */) {
    if (!(m = MONO.exec(line))) return undefined;
    kind = 'monotonic';
  } else {
    // a month or weekday name: a short word, then a space and a digit (or two spaces: `Oct  8`)
    const sp = line.indexOf(' ', 2);
    if (sp < 0 || sp > 13) return undefined;
    const d = line.charCodeAt(sp + 1);
    if (d === 32) {
      const d2 = line.charCodeAt(sp + 2);
      if (d2 < 48 || d2 > 57) return undefined;
    } else if (d < 48 || d > 57) return undefined;
    if ((m = SHORT.exec(line))) kind = 'syslog';
    else if ((m = FULL.exec(line))) kind = 'full';
    else return undefined;
  }
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
    return yearless(month, Number(s.day), h, mi, sec, ms, refMs);
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
