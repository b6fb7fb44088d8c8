// Every I/O in ctrdoc runs under a deadline: a hung runtime is the normal case, not the edge.
import { CtrdocError } from './errors.ts';

/**
 * A deadline's timer: calls expire after ms, once the I/O already pending has been read. An
 * answer waiting in a socket behind our own synchronous work (a /proc walk, a log scan) arrived
 * in time, but timers run before I/O in each turn of the event loop: one more turn reads it
 * first (on a loaded node every call of a doctor run timed out together at 2 s while their
 * answers sat unread). expire must check whether the call has ended meanwhile.
 */
export function deadlineTimer(ms: number, expire: () => void): NodeJS.Timeout {
  return setTimeout(() => setImmediate(expire), ms);
}

/** Resolves with p, or rejects with a deadline-exceeded CtrdocError naming `what` after ms. */
export function withDeadline<T>(p: Promise<T>, ms: number, what: string, onTimeout?: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let settled = false;
  p.then(() => { settled = true; }, () => { settled = true; });
  const timeout = new Promise<never>((_, reject) => {
    timer = deadlineTimer(ms, () => {
      if (settled) return;
      onTimeout?.();
      reject(new CtrdocError('deadline-exceeded', `${what}: no answer within ${formatMs(ms)}`));
    });
    timer.unref?.();
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export function formatMs(ms: number): string {
  return ms >= 1000 ? `${+(ms / 1000).toFixed(2)}s` : `${Math.round(ms)}ms`;
}

/** Parses "2s", "500ms", "1m", "1.5s" or a bare number of seconds into milliseconds. */
export function parseDuration(text: string, flag?: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new CtrdocError('invalid-argument', `${flag ? `${flag}: ` : ''}not a duration: "${text}"`, 'use e.g. 500ms, 2s, 1m');
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  return n * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const)[unit as 'ms' | 's' | 'm' | 'h'];
}
