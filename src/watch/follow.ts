// Following a server stream (containerd's Events.Subscribe, CRI's GetContainerEvents) for as long
// as the watch runs, without ever holding one call open without a deadline:
//  - each call has a deadline the daemon enforces too (grpc-timeout), so a watch that stops
//    reading (suspended, or wedged) is dropped by containerd on time: 2.x's CRI event queue
//    blocks on a subscriber that does not read, and containerd's event exchange queues for it
//    without bound;
//  - before that deadline a new call opens, and the old one is cancelled once the new one has
//    held for a moment; messages the two both carried meanwhile are passed on once (by key);
//  - a call that fails or ends is said once (onLost) and opened again, 1 s, 2 s, 4 s apart up
//    to 5 s; once a new call has held for `confirmMs` (or carried a message), onResumed.
import { CtrdocError } from '../errors.ts';
import type { ServerStream } from '../sources/protocol/grpc.ts';

export interface FollowOptions<T> {
  /** opens the call; may throw (no socket yet) */
  open: (onMessage: (m: T) => void, deadlineMs: number) => ServerStream;
  onMessage: (m: T) => void;
  /** the stream failed or ended: said once per outage */
  onLost: (err: CtrdocError) => void;
  /** a new stream holds after an outage; `downMs` since it was lost */
  onResumed: (downMs: number) => void;
  /** a new call this often (default 5 min) */
  rotateMs?: number;
  /** messages both calls of a rotation carry, told apart by this key (none: no overlap) */
  keyOf?: (m: T) => string;
  /** how long a new call must hold to count as up (default 2 s) */
  confirmMs?: number;
  /** waits between attempts after an outage, the last repeated (default 1 s, 2 s, 4 s, 5 s) */
  retryMs?: readonly number[];
  /** how far past the rotation each call's deadline lies (default 30 s) */
  deadlineMarginMs?: number;
  now?: () => number;
}

const ROTATE_MS = 5 * 60_000;
/** the deadline's margin past the rotation: the new call opens well before the old one's ends */
const DEADLINE_MARGIN_MS = 30_000;
const RETRY_MS = [1000, 2000, 4000, 5000];
const RECENT_KEYS = 4096;

interface Call {
  stream: ServerStream;
  /** set once it counts as up */
  confirmed: boolean;
  /** we ended it, or it ended: its end is no (further) outage */
  retired: boolean;
  /** the call of which this one is the rotation, while both run */
  previous?: Call;
}

export class StreamFollower<T> {
  private readonly o: FollowOptions<T>;
  private readonly now: () => number;
  private current?: Call;
  private stopped = false;
  private lostAt?: number;
  private attempt = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly recent: string[] = [];
  private readonly recentSet = new Set<string>();

  constructor(o: FollowOptions<T>) {
    this.o = o;
    this.now = o.now ?? Date.now;
  }

  start(): void {
    this.openCall();
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    if (this.current) {
      this.current.retired = true;
      this.current.stream.cancel();
    }
  }

  /** true once a call holds (or no outage was ever seen) */
  get up(): boolean {
    return this.lostAt === undefined;
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.stopped) fn();
    }, ms);
    this.timers.add(t);
  }

  /** passes a message on, once per key among the recent ones */
  private deliver(m: T): void {
    const key = this.o.keyOf?.(m);
    if (key !== undefined) {
      if (this.recentSet.has(key)) return;
      this.recentSet.add(key);
      this.recent.push(key);
      if (this.recent.length > RECENT_KEYS) this.recentSet.delete(this.recent.shift()!);
    }
    this.o.onMessage(m);
  }

  private lost(err: CtrdocError): void {
    if (this.lostAt === undefined) {
      this.lostAt = this.now();
      this.o.onLost(err);
    }
    const retry = this.o.retryMs ?? RETRY_MS;
    const wait = retry[Math.min(this.attempt++, retry.length - 1)];
    this.later(wait, () => this.openCall());
  }

  private confirm(call: Call): void {
    if (call.confirmed || call.retired) return;
    call.confirmed = true;
    this.attempt = 0;
    if (this.lostAt !== undefined) {
      const down = this.now() - this.lostAt;
      this.lostAt = undefined;
      this.o.onResumed(down);
    }
  }

  private openCall(): void {
    if (this.stopped) return;
    const rotateMs = this.o.rotateMs ?? ROTATE_MS;
    const holding = this.current && !this.current.retired ? this.current : undefined;
    // never more than two calls: one older than the one holding goes now
    if (holding?.previous && !holding.previous.retired) this.retire(holding.previous);
    let call: Call | undefined;
    let stream: ServerStream;
    try {
      stream = this.o.open((m) => {
        if (!call || call.retired) return;
        this.confirm(call);
        this.deliver(m);
      }, rotateMs + (this.o.deadlineMarginMs ?? DEADLINE_MARGIN_MS));
    } catch (err) {
      // a rotation that cannot open while the old call holds: try again soon, nothing is lost yet
      if (holding) this.later((this.o.retryMs ?? RETRY_MS)[0], () => this.openCall());
      else this.lost(CtrdocError.from(err));
      return;
    }
    call = { stream, confirmed: false, retired: false, previous: holding };
    this.current = call;
    const c = call;
    stream.done.then(
      () => this.ended(c, new CtrdocError('unavailable', 'the stream ended (the daemon closed it)', 'is containerd restarting?')),
      (err) => this.ended(c, CtrdocError.from(err)),
    );
    // without keys to tell repeats apart, the old call goes at once (a gap of a moment, no repeats)
    if (holding && !this.o.keyOf) this.retire(holding);
    this.later(this.o.confirmMs ?? 2000, () => {
      if (this.current !== c) return;
      this.confirm(c);
      if (c.previous && !c.previous.retired) this.retire(c.previous);
    });
    this.later(rotateMs, () => {
      if (this.current === c) this.openCall();
    });
  }

  private retire(call: Call): void {
    call.retired = true;
    call.stream.cancel();
  }

  private ended(call: Call, err: CtrdocError): void {
    if (call.retired || this.stopped) return;
    call.retired = true;
    // an older call that ends on its own while a newer one is current: nothing lost
    if (this.current !== call) return;
    // a rotation's new call that failed while the old one still holds: back to the old one
    const prev = call.previous;
    if (prev && !prev.retired) {
      this.current = prev;
      this.later((this.o.retryMs ?? RETRY_MS)[0], () => {
        if (this.current === prev) this.openCall();
      });
      return;
    }
    this.current = undefined;
    this.lost(err);
  }
}
