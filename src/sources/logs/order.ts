// How a saved log was laid out, judged from its lines before they are scanned:
//   - newest first (`journalctl -r`): the times of the first lines are later than those of the
//     last, and successive dated lines mostly go back in time;
//   - cut by a pager at a width (`less -S` ends each cut line with '>'): many lines of exactly
//     the same length ending in '>', and none longer.
import { lineTime } from './timestamp.ts';
import { frameTime, lineFrame } from './frame.ts';

/** A line's time (payload's, else prefix's; or journald JSON's) and its tag; cheap enough to sample. */
export function sampleTime(line: string, refMs: number, journalTime?: (line: string) => number | undefined): { t?: number; tag: string } {
  if (journalTime && line.startsWith('{')) {
    const t = journalTime(line);
    if (t !== undefined) return { t, tag: '' };
  }
  const f = lineFrame(line);
  const payload = f ? line.slice(f.at, f.at + 400) : line.slice(0, 400);
  return { t: lineTime(payload, refMs) ?? (f ? frameTime(f, refMs) : undefined), tag: f ? `${f.tag}[${f.pid ?? ''}]` : '' };
}

/**
 * True when the lines run newest first. Among the first and the last 4000 lines, each dated line
 * is compared with the previous dated line of the same process (by its syslog tag: another
 * process's lines in a shared file keep their own clock): more steps must go back in time than
 * forward, at least two. Lines all of one time cannot tell: false.
 */
export function isNewestFirst(lines: readonly string[], refMs: number, journalTime?: (line: string) => number | undefined): boolean {
  let back = 0;
  let forward = 0;
  const walk = (from: number, to: number): void => {
    const prev = new Map<string, number>();
    for (let i = from; i < to; i++) {
      const { t, tag } = sampleTime(lines[i], refMs, journalTime);
      if (t === undefined) continue;
      const p = prev.get(tag);
      if (p !== undefined) {
        if (t < p) back++;
        else if (t > p) forward++;
      }
      prev.set(tag, t);
    }
  };
  const n = lines.length;
  walk(0, Math.min(n, 4000));
  if (n > 4000) walk(Math.max(4000, n - 4000), n);
  return back >= 2 && back > forward;
}

/**
 * The width at which a pager cut the lines ('>' in the last column), or undefined: at least three
 * lines of that exact length end in '>' and no line is longer.
 */
export function pagerCutWidth(lines: readonly string[]): number | undefined {
  const byLen = new Map<number, number>();
  let longest = 0;
  for (const l of lines) {
    const n = l.endsWith('\r') ? l.length - 1 : l.length;
    if (n > longest) longest = n;
    if (n > 20 && l.charCodeAt(n - 1) === 62 /* > */) byLen.set(n, (byLen.get(n) ?? 0) + 1);
  }
  const cut = byLen.get(longest) ?? 0;
  return cut >= 3 ? longest : undefined;
}
