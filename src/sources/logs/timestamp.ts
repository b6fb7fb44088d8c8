// The time a log line carries, in the formats the stack writes:
//   logrus text / logfmt (containerd):  time="2026-11-26T22:48:13.123456789Z" level=info msg=...
//   logrus JSON (containerd --log-format json):  {"level":"info","msg":"...","time":"2026-11-26T22:48:13Z"}
//   klog (kubelet), year-less, node-local time:  E1126 22:48:13.123456    1234 remote_runtime.go:193] ...
//   RFC 3339 at the start (rsyslog high precision, `journalctl -o short-iso-precise`)
//   syslog, year-less:  Nov 26 22:48:13 node1 kubelet[1234]: ...  (and every journalctl short
//     form, localized months included: frame.ts reads the prefix)
//   dmesg --ctime:  [Thu Nov 26 22:47:33 2026] ...;  dmesg --time-format iso:  2026-11-26T22:47:33,123456+00:00 ...
// journald's JSON carries __REALTIME_TIMESTAMP itself and does not come through here.
import { frameTime, lineFrame } from './frame.ts';
import { parseRfc3339, yearless } from './calendar.ts';

const LOGFMT_TIME = /(?:^|\s)time="?(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d))"?/;
const JSON_TIME = /"time"\s*:\s*"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d))"/;
const ISO_START = /^(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?)\s/;
const KLOG = /(?:^|[\s:])[IWEF](\d\d)(\d\d) (\d\d):(\d\d):(\d\d)\.(\d{6})\s+\d+ [^\s\]]+\]/;
const CTIME = /^\[[A-Z][a-z]{2} ([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d\d):(\d\d):(\d\d) (\d{4})\]/;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** The time a line carries (epoch ms), or undefined. `refMs` places year-less formats. */
export function lineTime(line: string, refMs: number): number | undefined {
  const head = line.length > 400 ? line.slice(0, 400) : line;
  let m = LOGFMT_TIME.exec(head) ?? JSON_TIME.exec(head);
  if (m) return parseRfc3339(m[1]);
  if ((m = ISO_START.exec(head))) return parseRfc3339(m[1].replace(',', '.'));
  if ((m = KLOG.exec(head))) {
    return yearless({ month: Number(m[1]) - 1, day: Number(m[2]), h: Number(m[3]), mi: Number(m[4]), s: Number(m[5]), ms: Math.floor(Number(m[6]) / 1000) }, refMs);
  }
  if ((m = CTIME.exec(head))) {
    const t = new Date(Number(m[6]), MONTHS.indexOf(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5])).getTime();
    return Number.isNaN(t) ? undefined : t;
  }
  const f = lineFrame(head);
  return f ? frameTime(f, refMs) : undefined;
}
