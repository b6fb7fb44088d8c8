// The time, level and message of a log line's payload, in the formats the stack writes:
//   logrus text (containerd):  time="2026-11-26T22:48:13.1Z" level=error msg="…" key=value
//   logrus JSON:               {"level":"error","msg":"…","time":"2026-11-26T22:48:13Z"}
//   klog (kubelet):            E1126 22:48:13.123456    1234 file.go:193] "msg" key="value"
// containerd before 1.5 did not escape quotes inside msg (`msg="loading plugin "io.containerd…"..."`):
// the message then ends at the quote that is followed by the next ` key=` or by the end.

export interface LogFields {
  /** as written (RFC 3339 for logrus; `1126 22:48:13.123456` for klog) */
  time?: string;
  /** info, warning, error, fatal, debug, … (klog's I/W/E/F as info/warning/error/fatal) */
  level?: string;
  msg?: string;
}

const KLOG = /^([IWEF])(\d{4} \d\d:\d\d:\d\d\.\d{6})\s+\d+ [^\s\]]+\] ?(.*)$/;
const KLOG_LEVEL: Record<string, string> = { I: 'info', W: 'warning', E: 'error', F: 'fatal' };
// a quoted msg up to the quote that ends it: one followed by ` key=`, or by the end of the line
const MSG_QUOTED = /(?:^|\s)msg="(.*?)"(?=\s+[A-Za-z_][\w.-]*=|\s*$)/;
const MSG_BARE = /(?:^|\s)msg=([^"\s]\S*)/;
const LEVEL = /(?:^|\s)level=("?)([A-Za-z]+)\1(?=\s|$)/;
const TIME = /(?:^|\s)time="?([^"\s]+)"?/;

/** Unescapes what logrus escapes in a quoted value (`\"`, `\\`, `\n`, `\t`). */
function unquote(s: string): string {
  return s.includes('\\') ? s.replace(/\\(["\\nt])/g, (_, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : c)) : s;
}

/** A JSON line's fields that are text (it may carry "level": 3 or no msg at all); undefined when it is not JSON after all. */
function jsonFields(head: string): LogFields | undefined {
  let o: unknown;
  try {
    o = JSON.parse(head);
  } catch {
    return undefined; // cut, or a logfmt line that starts with a brace: read it as logfmt
  }
  if (!o || typeof o !== 'object') return undefined;
  const out: LogFields = {};
  for (const k of ['time', 'level', 'msg'] as const) {
    const v = (o as Record<string, unknown>)[k];
    if (typeof v === 'string') out[k] = v;
  }
  return out;
}

/** The fields of a payload (no syslog prefix: see frame.ts); {} when it has none. Never throws. */
export function logFields(payload: string): LogFields {
  const head = payload.length > 64 * 1024 ? payload.slice(0, 64 * 1024) : payload;
  const k = KLOG.exec(head);
  if (k) return { level: KLOG_LEVEL[k[1]], time: k[2], msg: k[3] };
  const json = head.charCodeAt(0) === 123 /* { */ ? jsonFields(head) : undefined;
  if (json) return json;
  const out: LogFields = {};
  const t = TIME.exec(head);
  if (t) out.time = t[1];
  const l = LEVEL.exec(head);
  if (l) out.level = l[2].toLowerCase();
  const m = MSG_QUOTED.exec(head) ?? MSG_BARE.exec(head);
  if (m) out.msg = unquote(m[1]);
  return out;
}
