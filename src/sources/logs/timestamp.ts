// The time a log line carries, in the formats the stack writes:
//   logrus text / logfmt (containerd):  time="2026-11-26T22:48:13.123456789Z" level=info msg=...
//   logrus JSON (containerd --log-format json):  {"level":"info","msg":"...","time":"2026-11-26T22:48:13Z"}
//   klog (kubelet), year-less, node-local time:  E1126 22:48:13.123456    1234 remote_runtime.go:193] ...
//   RFC 3339 at the start (rsyslog high precision, `journalctl -o short-iso-precise`)
//   syslog, year-less:  Nov 26 22:48:13 node1 kubelet[1234]: ...
//   dmesg --ctime:  [Thu Nov 26 22:47:33 2026] ...
// journald's JSON carries __REALTIME_TIMESTAMP itself and does not come through here.

const LOGFMT_TIME = /(?:^|\s)time="?(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d))"?/;
const JSON_TIME = /"time"\s*:\s*"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d))"/;
const ISO_START = /^(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?)\s/;
const KLOG = /(?:^|[\s:])[IWEF](\d\d)(\d\d) (\d\d):(\d\d):(\d\d)\.(\d{6})\s+\d+ [^\s\]]+\]/;
const SYSLOG = /^([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d\d):(\d\d):(\d\d)\s/;
const CTIME = /^\[[A-Z][a-z]{2} ([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d\d):(\d\d):(\d\d) (\d{4})\]/;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Parses an RFC 3339 time with any number of fraction digits (Date.parse takes at most 3). */
export function parseRfc3339(text: string): number | undefined {
  const m = /^(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:?\d\d)?$/.exec(text);
  if (!m) return undefined;
  const frac = m[3] ? `.${m[3].slice(0, 3).padEnd(3, '0')}` : '';
  let zone = m[4] ?? '';
  if (zone.length === 5) zone = `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const t = Date.parse(`${m[1]}T${m[2]}${frac}${zone}`);
  return Number.isNaN(t) ? undefined : t;
}

/**
 * A year-less local time (klog, syslog) placed in the year that puts it at or before the
 * reference time (the file's mtime or now), allowing a day of clock skew: a December line read
 * in January belongs to last year.
 */
function yearless(month: number, day: number, h: number, mi: number, s: number, ms: number, refMs: number): number | undefined {
  if (month < 0 || month > 11 || day < 1 || day > 31 || h > 23 || mi > 59 || s > 60) return undefined;
  const refYear = new Date(refMs).getFullYear();
  let t = new Date(refYear, month, day, h, mi, s, ms).getTime();
  if (t > refMs + 86_400_000) t = new Date(refYear - 1, month, day, h, mi, s, ms).getTime();
  return Number.isNaN(t) ? undefined : t;
}

/** The time a line carries (epoch ms), or undefined. `refMs` places year-less formats. */
export function lineTime(line: string, refMs: number): number | undefined {
  const head = line.length > 400 ? line.slice(0, 400) : line;
  let m = LOGFMT_TIME.exec(head) ?? JSON_TIME.exec(head);
  if (m) return parseRfc3339(m[1]);
  if ((m = ISO_START.exec(head))) return parseRfc3339(m[1]);
  if ((m = KLOG.exec(head))) {
    return yearless(Number(m[1]) - 1, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), Math.floor(Number(m[6]) / 1000), refMs);
  }
  if ((m = CTIME.exec(head))) {
    const t = new Date(Number(m[6]), MONTHS.indexOf(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5])).getTime();
    return Number.isNaN(t) ? undefined : t;
  }
  if ((m = SYSLOG.exec(head))) {
    return yearless(MONTHS.indexOf(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), 0, refMs);
  }
  return undefined;
}
