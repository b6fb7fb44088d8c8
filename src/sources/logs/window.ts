// The log window: how far back a log scan judges. Episodes that ended before the window's start
// are kept in the scan but marked beforeWindow, so the rules can make them info (an incident of
// last week must not keep a node red forever). The default is containerd's start or the last
// few hours, whichever is shorter; `--since DURATION|TIME` overrides it (parseSince).
import { CtrdocError } from '../../errors.ts';
import type { LogWindow } from '../../snapshot/types/index.ts';
import { parseRfc3339 } from './calendar.ts';

/** The default window reaches back at most this many hours. */
export const DEFAULT_LOG_WINDOW_HOURS = 6;

const HOUR = 3_600_000;

/**
 * A window that starts at containerd's start takes in the lines of its last few seconds before:
 * the start time read from /proc is good to a second (the boot time is in whole seconds), and a
 * daemon logs its own start ("starting containerd") as it starts.
 */
export const START_SLACK_MS = 10_000;

/** The earliest time a line may carry and be in the window (epoch ms), or undefined for a bad start. */
export function windowStartMs(w: LogWindow): number | undefined {
  const t = Date.parse(w.start);
  if (!Number.isFinite(t)) return undefined;
  return w.basis === 'containerd-start' ? t - START_SLACK_MS : t;
}

/**
 * The default window at nowMs: from containerd's start when that is within the last `hours`,
 * else the last `hours`. Without a start time (containerd not running, or its start unknown),
 * the last `hours`.
 */
export function defaultLogWindow(containerdStartMs: number | undefined, nowMs: number, hours = DEFAULT_LOG_WINDOW_HOURS): LogWindow {
  const recent = nowMs - hours * HOUR;
  if (containerdStartMs !== undefined && Number.isFinite(containerdStartMs) && containerdStartMs > recent) {
    // a start "in the future" is clock skew between the node and the reader: judge from now
    return { start: new Date(Math.min(containerdStartMs, nowMs)).toISOString(), basis: 'containerd-start' };
  }
  return { start: new Date(recent).toISOString(), basis: 'recent-hours', hours };
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: HOUR, d: 24 * HOUR, w: 7 * 24 * HOUR };

/** `90s`, `30m`, `2h`, `1h30m`, `1.5h`, `2d`, `1w` (an optional leading `-`, as journalctl writes it) → ms, or undefined. */
export function parseSinceDuration(text: string): number | undefined {
  const t = text.trim().replace(/^-/, '');
  if (!/^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d|w))+$/.test(t)) return undefined;
  let ms = 0;
  for (const m of t.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g)) ms += Number(m[1]) * UNIT_MS[m[2]];
  return Number.isFinite(ms) ? ms : undefined;
}

/**
 * The `--since` flag: a duration back from now (`2h`, `1h30m`, `3d`) or an RFC 3339 time
 * (`2026-12-03T08:00:00Z`, `2026-12-03 09:00:00+01:00`) → the window's start in epoch ms.
 * Anything else, a zero duration, or a time in the future is an invalid-argument error.
 */
export function parseSince(text: string, nowMs: number): number {
  const t = text.trim();
  const hint = 'give a duration back from now (30m, 2h, 1h30m, 3d) or an RFC 3339 time (2026-12-03T08:00:00Z)';
  if (!t) throw new CtrdocError('invalid-argument', '--since: empty', hint);
  const d = parseSinceDuration(t);
  if (d !== undefined) {
    if (d <= 0) throw new CtrdocError('invalid-argument', `--since ${t}: the duration must be more than zero`, hint);
    return nowMs - d;
  }
  if (/^\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?$/.test(t)) {
    throw new CtrdocError('invalid-argument', `--since ${t}: the time has no zone`, 'add Z (UTC) or the offset, e.g. 2026-12-03T08:00:00Z or 2026-12-03T09:00:00+01:00');
  }
  const at = parseRfc3339(t.replace(/^(\d{4}-\d\d-\d\d[T ]\d\d:\d\d)(Z|[+-])/, '$1:00$2'));
  if (at === undefined) throw new CtrdocError('invalid-argument', `--since ${t}: not a duration or an RFC 3339 time`, hint);
  // a minute of grace for clocks that disagree
  if (at > nowMs + 60_000) throw new CtrdocError('invalid-argument', `--since ${t}: that time is in the future (now is ${new Date(nowMs).toISOString()})`, hint);
  return at;
}

/** The window for a `--since` value. */
export function sinceWindow(text: string, nowMs: number): LogWindow {
  return { start: new Date(parseSince(text, nowMs)).toISOString(), basis: 'since', since: text.trim() };
}

/** One line for a report: "since containerd started (2026-12-03T09:51:56Z)", "the last 6 h", "since 2h (…)". */
export function describeWindow(w: LogWindow): string {
  switch (w.basis) {
    case 'since':
      return `--since ${w.since ?? w.start} (from ${w.start})`;
    case 'containerd-start':
      return `since containerd started (${w.start})`;
    case 'recent-hours':
      return `the last ${w.hours ?? DEFAULT_LOG_WINDOW_HOURS} h (from ${w.start})`;
  }
}
