// Dumps saved newest line first (`journalctl -r`): told from the input's head, and read back in
// the order Go wrote them. A dump printed line by line (a crash to stderr under journald) comes
// out upside down, and a dump line that journald split into entries comes out last piece first.
//
// The head is judged by what follows what, on each line's payload (after any syslog prefix):
//   forward:  a header followed by a function; `N @ 0x…` followed by `#\t0x…`; BEGIN before
//             END; a process's prefix times going forward;
//   reversed: a function followed by a header; `#` followed by `N @`; END before BEGIN; the
//             piece of a split log line that closes the message (`=== END … ===" pid=…`)
//             followed by more of that message; times going back.
import { prefixAt } from './scan.ts';
import { lineFrame, frameTime } from '../sources/logs/frame.ts';
import { BEGIN_MARKER, END_MARKER } from './lines.ts';

const BEGIN = Buffer.from(BEGIN_MARKER);
const END = Buffer.from(END_MARKER);
const END_QUOTED = Buffer.from(`${END_MARKER}"`);

/** Does a log line's payload start a new entry (logfmt or JSON), rather than continue a split one? */
function startsEntry(buf: Buffer, s: number, e: number): boolean {
  const t = buf.subarray(s, Math.min(e, s + 6)).toString('latin1');
  return t.startsWith('time=') || t.startsWith('level=') || t.startsWith('{"');
}

const enum K {
  OTHER,
  HEADER,
  FUNC,
  RECORD,
  PFRAME,
}

function kind(buf: Buffer, s: number, e: number): K {
  while (s < e && (buf[s] === 9 || buf[s] === 32)) s++;
  while (e > s && buf[e - 1] === 13) e--;
  if (e - s < 3) return K.OTHER;
  const c = buf[s];
  if (c === 103 && buf.subarray(s, s + 10).toString('latin1') === 'goroutine ' && buf[e - 1] === 58 && buf[e - 2] === 93) return K.HEADER;
  if (c === 35 && (buf[s + 1] === 9 || buf[s + 1] === 32)) return K.PFRAME;
  if (c >= 49 && c <= 57) return isRecord(buf, s, e) ? K.RECORD : K.OTHER;
  return isFunc(buf, s, e) ? K.FUNC : K.OTHER;
}

/** `N @ 0x…`: a pprof record's first line. */
function isRecord(buf: Buffer, s: number, e: number): boolean {
  let i = s;
  while (i < e && buf[i] >= 48 && buf[i] <= 57) i++;
  return buf[i] === 32 && buf[i + 1] === 64;
}

/** A function line: a name (no space before its '(') ending in ')'. */
function isFunc(buf: Buffer, s: number, e: number): boolean {
  if (buf[e - 1] !== 41) return false;
  const p = buf.indexOf(40, s);
  return p > s && p < e && buf.subarray(s, p).indexOf(32) === -1;
}

export interface OrderVerdict {
  reversed: boolean;
  /** what decided it, for the warning */
  why: string;
}

/** What the lines of a head say about their order, counted line by line. */
class OrderEvidence {
  fwd = 0;
  rev = 0;
  private prev = K.OTHER;
  sawBegin = -1;
  sawEnd = -1;
  private readonly lastTime = new Map<string, number>();
  timeBack = 0;
  timeFwd = 0;
  /** the previous line closed a split message (END + quote), written by: */
  private closedBy: string | undefined;
  splitBack = 0;

  constructor(private readonly refMs: number) {}

  /** The prefix's time against the previous line of the same writer. */
  private time(head: Buffer, s: number, nl: number, who: string): void {
    const f = lineFrame(head.toString('utf8', s, Math.min(nl, s + 400)));
    const t = f ? frameTime(f, this.refMs) : undefined;
    if (t === undefined) return;
    const p = this.lastTime.get(who);
    if (p !== undefined && t < p) this.timeBack++;
    else if (p !== undefined && t > p) this.timeFwd++;
    this.lastTime.set(who, t);
  }

  /** What follows what: a header then a function, a record then its frame (and the reverse). */
  private sequence(k: K): void {
    if (this.prev === K.HEADER && k === K.FUNC) this.fwd++;
    else if (this.prev === K.FUNC && k === K.HEADER) this.rev++;
    else if (this.prev === K.RECORD && k === K.PFRAME) this.fwd++;
    else if (this.prev === K.PFRAME && k === K.RECORD) this.rev++;
    this.prev = k;
  }

  /** Line n of the head: head[s..nl). */
  line(head: Buffer, s: number, nl: number, n: number): void {
    const pre = prefixAt(head, s, nl);
    if (pre) this.time(head, s, nl, pre.who);
    const ps = pre ? pre.at : s;
    const line = head.subarray(ps, nl);
    const hasBegin = line.indexOf(BEGIN) !== -1;
    if (this.sawBegin === -1 && hasBegin) this.sawBegin = n;
    if (this.sawEnd === -1 && line.indexOf(END) !== -1) this.sawEnd = n;
    const who = pre ? pre.who : '';
    if (this.closedBy === who && nl > ps && !startsEntry(head, ps, nl)) this.splitBack++;
    this.closedBy = !hasBegin && line.indexOf(END_QUOTED) !== -1 ? who : undefined;
    const k = kind(head, ps, nl);
    if (k !== K.OTHER || nl - ps > 0) this.sequence(k);
  }

  verdict(): OrderVerdict {
    const reasons: string[] = [];
    let { fwd, rev } = this;
    if (rev > 0) reasons.push(`${rev} function line(s) or pprof frames come before their header`);
    if (this.sawBegin !== -1 && this.sawEnd !== -1 && this.sawBegin !== this.sawEnd) {
      if (this.sawEnd < this.sawBegin) {
        rev += 2;
        reasons.push('"=== END goroutine stack dump ===" comes before its BEGIN');
      } else fwd += 2;
    }
    if (this.splitBack > 0) {
      rev += 2 * this.splitBack;
      reasons.push('the end of a split log line comes before the rest of it');
    }
    // times only break a tie: a dump's lines are often all of one second
    if (this.timeBack > this.timeFwd && this.timeBack >= 2) {
      rev++;
      reasons.push('the journal\'s times go back');
    } else if (this.timeFwd > this.timeBack && this.timeFwd >= 2) fwd++;
    // the markers alone do not decide: a log's head may hold the end of one dump and a whole next one
    const reversed = rev >= 3 && rev > 2 * fwd;
    return { reversed, why: reversed ? reasons.join('; ') : '' };
  }
}

/** Is this head of an input (complete lines only are judged) newest first? */
export function sniffOrder(head: Buffer, refMs = Date.now()): OrderVerdict {
  const ev = new OrderEvidence(refMs);
  for (let s = 0, n = 0, nl = head.indexOf(10); nl !== -1; s = nl + 1, n++, nl = head.indexOf(10, s)) ev.line(head, s, nl, n);
  return ev.verdict();
}

/**
 * The lines of a random-access input, last first, in blocks of whole lines (each ending in a
 * newline) of about blockSize bytes. read(pos, len) returns the bytes at pos (a fresh buffer).
 * Memory: a block, plus the longest line.
 */
export function* linesLastFirst(read: (pos: number, len: number) => Buffer, size: number, blockSize = 256 * 1024): Generator<Buffer> {
  let end = size;
  // the start of the line being assembled lies in an earlier block: its later parts, in order
  let tail: Buffer[] = [];
  const out: Buffer[] = [];
  let outLen = 0;
  const emit = (parts: Buffer[]): void => {
    for (const p of parts) {
      out.push(p);
      outLen += p.length;
    }
    out.push(NL);
    outLen++;
  };
  while (end > 0) {
    const start = Math.max(0, end - blockSize);
    const block = read(start, end - start);
    let e = block.length;
    // the input's final newline ends the last line; it does not start an empty one
    if (end === size && e > 0 && block[e - 1] === 10) e--;
    let nl = e > 0 ? block.lastIndexOf(10, e - 1) : -1;
    if (nl === -1) {
      tail.unshift(block.subarray(0, e));
    } else {
      emit([block.subarray(nl + 1, e), ...tail]);
      e = nl;
      nl = e > 0 ? block.lastIndexOf(10, e - 1) : -1;
      while (nl !== -1) {
        emit([block.subarray(nl + 1, e)]);
        e = nl;
        nl = e > 0 ? block.lastIndexOf(10, e - 1) : -1;
      }
      tail = [block.subarray(0, e)];
    }
    end = start;
    if (outLen >= blockSize) {
      yield Buffer.concat(out, outLen);
      out.length = 0;
      outLen = 0;
    }
  }
  if (size > 0) emit(tail);
  if (outLen) yield Buffer.concat(out, outLen);
}

const NL = Buffer.from('\n');
