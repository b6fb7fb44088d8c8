// The byte-level scanner: splits the input into lines, hands plain lines to the dump grammar
// (lines.ts), passes every other byte through, and unwraps dumps embedded in log lines:
//   time="…" level=info msg="=== BEGIN goroutine stack dump ===\ngoroutine 1 [running]:\n…" pid=…
//   {"level":"info","msg":"=== BEGIN goroutine stack dump ===\n…","time":"…"}
// The escaped message is decoded as it streams (a dump of 100k goroutines is one 170 MB log
// line), and when journald split that line into several entries, each continuation (with or
// without a journald prefix) is joined back. A message with real newlines instead of `\n`
// (older logrus: `msg="=== BEGIN goroutine stack dump ===` then the dump's lines, then
// `=== END goroutine stack dump ==="`) is read line by line.
// Plain lines may carry a syslog or journald prefix (`Mar 21 05:33:39 node containerd[1076]: `,
// see sources/logs/frame.ts), or be a logrus line per dump line (`time=… level=… msg="…"`): the
// grammar reads the payload; a line another process wrote into the middle of a dump is passed
// through without disturbing it.
// Memory: one line at a time (lines longer than LONG_LINE are streamed through, not kept).

import { StackLines, BEGIN_MARKER, END_MARKER, type LineSink, type ScannedGoroutine } from './lines.ts';
import { lineFrame } from '../sources/logs/frame.ts';
import type { GoroutineDumpFormat, GoroutineDumpOrigin, GoroutineCut, GoroutineSimilarity } from '../snapshot/types/goroutines.ts';

export interface ScanSink {
  /** bytes that are not part of a dump, in input order (slices of the input: copy to keep) */
  passthrough(bytes: Buffer): void;
  dumpStart(format: GoroutineDumpFormat, offset: number): void;
  /** g is reused after the call returns */
  goroutine(g: ScannedGoroutine): void;
  dumpEnd(endOffset: number, origin: GoroutineDumpOrigin, cut?: GoroutineCut): void;
  warning(message: string): void;
}

/** A line longer than this without a newline is not a dump line: it is streamed through. */
export const LONG_LINE = 64 * 1024;
/** A line holding goroutines whose newlines were lost is kept whole up to this size. */
export const ONE_LINE_MAX = 16 * 1024 * 1024;
/** The BEGIN marker of an embedded dump must appear within this many bytes of a line's start. */
const MARKER_WINDOW = 4096;
/** Longest decoded line kept inside an embedded dump; longer ones are cut short. */
const INNER_LINE_MAX = 64 * 1024;
/** Log fields after the message are kept up to this size. */
const FIELDS_MAX = 64 * 1024;

const BEGIN_LOGFMT = Buffer.from('msg="' + BEGIN_MARKER);
const BEGIN_JSON = Buffer.from('"msg":"' + BEGIN_MARKER);
const BEGIN_PROBE = Buffer.from('=== BEGIN');
const END_BYTES = Buffer.from(END_MARKER);

const TIME_EQ = Buffer.from('time=');
const LEVEL_EQ = Buffer.from('level=');
const MSG_EQ = Buffer.from('msg=');
/** What a new log entry (not a continuation) starts with, after any journald prefix. */
const reNewEntry = /^(?:time="|level=|\{")/;

const enum M {
  /** reading plain lines */
  LINES,
  /** inside the escaped message of an embedded dump */
  ESCAPED,
  /** after the closing quote: the rest of the log line's fields */
  FIELDS,
  /** a raw newline came inside the message: is the next line a journald continuation? */
  CONTINUATION,
  /** streaming a long non-dump line through until its newline */
  LONG,
}

export class GoroutineScanner {
  private mode = M.LINES;
  /** a partial line carried over from earlier chunks (LINES, CONTINUATION) */
  private carry: Buffer[] = [];
  private carryLen = 0;
  /** the carried line was judged at MARKER_WINDOW bytes; it may grow to carryLimit before it is streamed through */
  private carryJudged = false;
  private carryLimit = LONG_LINE;
  /** absolute offset of the next byte to be read */
  private pos = 0;
  /** absolute offset where the pending (carried) line starts */
  private lineStart = 0;
  private lineNo = 1;
  private readonly lines: StackLines;
  private readonly inner: StackLines;
  /** for the embedded dump in progress */
  private emb = {
    format: 'logfmt' as GoroutineDumpFormat,
    start: 0,
    prefix: '',
    fields: [] as Buffer[],
    fieldsLen: 0,
    esc: 0 as number, // 0 none, 1 after backslash, 2+ reading hex digits
    hexLeft: 0,
    hexVal: 0,
    line: [] as number[] | null,
    lineBuf: Buffer.alloc(INNER_LINE_MAX),
    lineLen: 0,
    lineOverflow: false,
    innerLineNo: 0,
    sawEnd: false,
    dumpOpen: false,
    cut: undefined as GoroutineCut | undefined,
    /** `\n` escapes decoded so far; none before the first raw newline: the message has real newlines */
    escNewlines: 0,
    rawNewlines: false,
  };
  /** the `tag[pid]` of the prefixed line that opened the dump in progress */
  private dumpWho: string | undefined;
  private dumpOpened = false;
  private pt: { buf: Buffer; s: number; e: number } | null = null;
  private ended = false;

  constructor(private readonly sink: ScanSink, similarity: GoroutineSimilarity = 'pointer') {
    const outer: LineSink = {
      dumpStart: (o, format) => {
        this.dumpOpened = true;
        sink.dumpStart(format, o);
      },
      goroutine: (g) => sink.goroutine(g),
      dumpEnd: (o, cut) => {
        this.dumpWho = undefined;
        sink.dumpEnd(o, {}, cut);
      },
      warning: (m) => sink.warning(m),
    };
    this.lines = new StackLines(outer, similarity);
    // Inside an embedded message the markers and frames arrive decoded; the dump's start and
    // end are those of the log line(s), so the inner machine's own open/close are absorbed.
    const innerSink: LineSink = {
      dumpStart: () => {},
      goroutine: (g) => sink.goroutine(g),
      dumpEnd: (_o, cut) => {
        if (cut && !this.emb.cut) this.emb.cut = cut;
      },
      warning: (m) => sink.warning(m),
    };
    this.inner = new StackLines(innerSink, similarity);
  }

  /** Bytes read so far. */
  get offset(): number {
    return this.pos;
  }

  /** Lines read so far (a last line without its newline counts). */
  get linesRead(): number {
    return this.lastLineHadNewline || this.pos === 0 ? this.lineNo - 1 : this.lineNo;
  }

  write(chunk: Buffer): void {
    if (this.ended) throw new Error('GoroutineScanner: write after end');
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      switch (this.mode) {
        case M.LINES:
          i = this.scanLines(chunk, i);
          break;
        case M.ESCAPED:
          i = this.scanEscaped(chunk, i);
          break;
        case M.FIELDS:
          i = this.scanFields(chunk, i);
          break;
        case M.CONTINUATION:
          i = this.scanContinuation(chunk, i);
          break;
        case M.LONG:
          i = this.scanLong(chunk, i);
          break;
      }
    }
    this.flushPassthrough();
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    const end = this.pos;
    switch (this.mode) {
      case M.LINES:
        if (this.carryLen > 0) {
          const line = this.takeCarry();
          this.plainLine(line, 0, line.length, this.lineStart, end, false);
        }
        this.lines.finish(end, this.lineNo, this.carryCutReason());
        break;
      case M.LONG:
        this.lines.finish(end, this.lineNo);
        break;
      case M.ESCAPED:
      case M.CONTINUATION:
        this.finishEmbedded(end, 'the log line ended before "=== END goroutine stack dump ==="');
        break;
      case M.FIELDS:
        this.finishEmbedded(end);
        break;
    }
    this.flushPassthrough();
  }

  private lastLineHadNewline = true;
  private carryCutReason(): string | undefined {
    return this.lastLineHadNewline ? undefined : 'the last line has no newline';
  }

  // ---- plain lines ----------------------------------------------------------------------

  private scanLines(chunk: Buffer, i: number): number {
    const n = chunk.length;
    while (i < n) {
      const nl = chunk.indexOf(10, i);
      if (nl === -1) {
        // partial line: carry it, unless it is already too long to be a dump line
        const piece = chunk.subarray(i, n);
        if (this.carryLen === 0) this.lineStart = this.pos;
        this.carry.push(Buffer.from(piece));
        this.carryLen += piece.length;
        this.pos += n - i;
        if (this.carryLen >= MARKER_WINDOW) this.checkLongCarry();
        return n;
      }
      let buf = chunk;
      let s = i;
      let start = this.pos;
      if (this.carryLen > 0) {
        start = this.lineStart;
        this.carry.push(chunk.subarray(i, nl));
        buf = this.takeCarry();
        s = 0;
      }
      const e = buf === chunk ? nl : buf.length;
      this.pos += nl + 1 - i;
      i = nl + 1;
      const embedded = this.findBegin(buf, s, e);
      if (embedded) {
        this.startEmbedded(embedded.format, buf, s, embedded.at, start);
        // decode the rest of this line (buf[embedded.at .. e]) then the newline
        this.lineNo++;
        this.feedEscapedLine(buf, embedded.at, e, true);
        if (this.mode !== M.LINES) return i;
        continue;
      }
      this.plainLine(buf, s, e, start, this.pos, true);
      this.lineNo++;
      if (this.mode !== M.LINES) return i;
    }
    return i;
  }

  private takeCarry(): Buffer {
    const b = this.carry.length === 1 ? this.carry[0] : Buffer.concat(this.carry);
    this.carry = [];
    this.carryLen = 0;
    this.carryJudged = false;
    return b;
  }

  private plainLine(buf: Buffer, s: number, e: number, start: number, end: number, newline: boolean): void {
    this.lastLineHadNewline = newline;
    let pb = buf;
    let ps = s;
    let pe = e;
    const pre = mayHavePrefix(buf, s, e) ? this.prefixOf(buf, s, e) : null;
    if (pre) {
      // another process's line in the middle of a dump (a shared journal): not the dump's
      if (this.lines.inDump && this.dumpWho !== undefined && pre.who !== this.dumpWho) {
        this.passLine(buf, s, e, newline);
        return;
      }
      ps = pre.at;
    }
    const msg = buf[ps] === 116 || buf[ps] === 108 ? logrusMessage(buf, ps, e) : null;
    if (msg) {
      pb = msg;
      ps = 0;
      pe = msg.length;
    }
    this.dumpOpened = false;
    const took = this.lines.line(pb, ps, pe, start, end, this.lineNo);
    if (this.dumpOpened) this.dumpWho = pre?.who;
    if (!took) this.passLine(buf, s, e, newline);
  }

  /** A line that is not the dump's, passed through with its newline (or one added, when it is the buffer's last byte). */
  private passLine(buf: Buffer, s: number, e: number, newline: boolean): void {
    this.passthrough(buf, s, newline && buf.length > e ? e + 1 : e, newline && buf.length <= e);
  }

  /** the last prefix seen: a journal's lines mostly repeat it byte for byte (one second, one process) */
  private lastPrefix: Buffer | null = null;
  private lastWho = '';

  private prefixOf(buf: Buffer, s: number, e: number): { at: number; who: string } | null {
    const lp = this.lastPrefix;
    if (lp && e - s >= lp.length && buf.compare(lp, 0, lp.length, s, s + lp.length) === 0) return { at: s + lp.length, who: this.lastWho };
    const pre = prefixAt(buf, s, e);
    if (pre) {
      this.lastPrefix = Buffer.from(buf.subarray(s, pre.at));
      this.lastWho = pre.who;
    }
    return pre;
  }

  /**
   * A carried partial line reached MARKER_WINDOW bytes: an embedded dump, goroutines on one line
   * (kept up to ONE_LINE_MAX), or a long line to stream through at LONG_LINE. Judged once.
   */
  private checkLongCarry(): void {
    if (!this.carryJudged) {
      const head = Buffer.concat(this.carry);
      this.carry = [head];
      const embedded = this.findBegin(head, 0, Math.min(head.length, MARKER_WINDOW + BEGIN_JSON.length));
      if (embedded) {
        this.carry = [];
        this.carryLen = 0;
        this.startEmbedded(embedded.format, head, 0, embedded.at, this.lineStart);
        this.feedEscapedLine(head, embedded.at, head.length, false);
        return;
      }
      this.carryJudged = true;
      this.carryLimit = startsOneLineDump(head) ? ONE_LINE_MAX : LONG_LINE;
    }
    if (this.carryLen < this.carryLimit) return;
    // not a dump line (or more than we keep): close any open dump and stream the line through
    const head = Buffer.concat(this.carry);
    this.lines.finish(this.lineStart, this.lineNo);
    this.sink.warning(this.carryLimit === LONG_LINE
      ? `line ${this.lineNo} (offset ${this.lineStart}) is longer than ${LONG_LINE} bytes with no dump in it; passed through`
      : `line ${this.lineNo} (offset ${this.lineStart}) holds goroutines on one line but is longer than ${ONE_LINE_MAX >> 20} MiB; passed through (split it at each "goroutine N [")`);
    this.carry = [];
    this.carryLen = 0;
    this.carryJudged = false;
    this.passthrough(head, 0, head.length, false);
    this.mode = M.LONG;
  }

  private scanLong(chunk: Buffer, i: number): number {
    const nl = chunk.indexOf(10, i);
    const e = nl === -1 ? chunk.length : nl + 1;
    this.passthrough(chunk, i, e, false);
    this.pos += e - i;
    if (nl !== -1) {
      this.lineNo++;
      this.mode = M.LINES;
    }
    return e;
  }

  private beginIn: Buffer | null = null;
  private beginAt = -1;

  private findBegin(buf: Buffer, s: number, e: number): { format: GoroutineDumpFormat; at: number } | null {
    const limit = Math.min(e, s + MARKER_WINDOW + BEGIN_JSON.length);
    // cheap pre-check, once per buffer: where is the next '=== BEGIN' at or after s?
    if (this.beginIn !== buf || (this.beginAt !== -1 && this.beginAt < s)) {
      this.beginIn = buf;
      this.beginAt = buf.indexOf(BEGIN_PROBE, s);
    }
    const eq = this.beginAt;
    if (eq === -1 || eq >= limit) return null;
    const w = buf.subarray(s, limit);
    let k = w.indexOf(BEGIN_LOGFMT);
    if (k !== -1) return { format: 'logfmt', at: s + k + 5 };
    k = w.indexOf(BEGIN_JSON);
    if (k !== -1) return { format: 'json', at: s + k + 7 };
    return null;
  }

  // ---- embedded dumps ---------------------------------------------------------------------

  private startEmbedded(format: GoroutineDumpFormat, buf: Buffer, lineStartInBuf: number, msgAt: number, absStart: number): void {
    this.lines.finish(absStart, this.lineNo);
    this.flushPassthrough();
    const emb = this.emb;
    emb.format = format;
    emb.start = absStart;
    // the fields before msg (without `msg="` / `"msg":"` itself)
    const msgKey = format === 'json' ? 7 : 5;
    emb.prefix = latin1(buf, lineStartInBuf, Math.max(lineStartInBuf, Math.min(msgAt - msgKey, lineStartInBuf + MARKER_WINDOW)));
    emb.fields = [];
    emb.fieldsLen = 0;
    emb.esc = 0;
    emb.lineLen = 0;
    emb.lineOverflow = false;
    emb.innerLineNo = this.lineNo;
    emb.sawEnd = false;
    emb.cut = undefined;
    emb.escNewlines = 0;
    emb.rawNewlines = false;
    emb.dumpOpen = true;
    this.sink.dumpStart(format, absStart);
    this.mode = M.ESCAPED;
  }

  /** Decodes buf[s..e) of the current raw line; rawNewline: the raw line ended at e. */
  private feedEscapedLine(buf: Buffer, s: number, e: number, rawNewline: boolean): void {
    const i = this.decode(buf, s, e);
    if (this.mode === M.FIELDS) {
      this.addFields(buf, i, e);
      if (rawNewline) this.finishEmbedded(this.pos);
    } else if (rawNewline && this.mode === M.ESCAPED) {
      this.rawNewlineInMessage();
      this.mode = M.CONTINUATION;
    }
  }

  /**
   * A raw newline inside the message: journald split a long line there (the message has `\n`
   * escapes), or the message has real newlines (none so far): then it ends a dump line.
   */
  private rawNewlineInMessage(): void {
    const emb = this.emb;
    if (emb.escNewlines === 0) emb.rawNewlines = true;
    if (emb.rawNewlines) this.innerFlushLine(false);
  }

  private scanEscaped(chunk: Buffer, i: number): number {
    const nl = chunk.indexOf(10, i);
    const e = nl === -1 ? chunk.length : nl;
    const j = this.decode(chunk, i, e);
    if (this.mode === M.FIELDS) {
      // the message closed inside this chunk: the rest of the line is fields
      this.pos += j - i;
      return j;
    }
    this.pos += e - i;
    if (nl !== -1) {
      this.pos += 1;
      this.lineNo++;
      this.rawNewlineInMessage();
      this.mode = M.CONTINUATION;
      return nl + 1;
    }
    return e;
  }

  private scanFields(chunk: Buffer, i: number): number {
    const nl = chunk.indexOf(10, i);
    const e = nl === -1 ? chunk.length : nl;
    this.addFields(chunk, i, e);
    this.pos += e - i;
    if (nl === -1) return e;
    this.pos += 1;
    this.lineNo++;
    this.finishEmbedded(this.pos);
    return nl + 1;
  }

  /** After a raw newline inside the message: gather the next line's start and decide. */
  private scanContinuation(chunk: Buffer, i: number): number {
    const nl = chunk.indexOf(10, i);
    const e = nl === -1 ? chunk.length : nl;
    if (this.carryLen === 0) this.lineStart = this.pos;
    this.carry.push(Buffer.from(chunk.subarray(i, e)));
    this.carryLen += e - i;
    this.pos += e - i;
    if (nl === -1 && this.carryLen < 512) return e;
    const head = this.takeCarry();
    const pre = prefixAt(head, 0, head.length);
    const body = pre ? pre.at : 0;
    if (reNewEntry.test(latin1(head, body, Math.min(head.length, body + 16))) || (head.length === 0 && nl !== -1)) {
      // a new log entry: the message was cut; re-read this line as a plain line
      const lineStart = this.lineStart;
      this.finishEmbedded(lineStart, 'the log line ended before "=== END goroutine stack dump ===" and a new entry began');
      this.mode = M.LINES;
      this.pos = lineStart;
      if (nl === -1) {
        this.carry = [head];
        this.carryLen = head.length;
        this.pos += head.length;
        if (this.carryLen >= MARKER_WINDOW) this.checkLongCarry();
        return e;
      }
      this.pos = lineStart;
      // feed head + newline through the line scanner
      const line = Buffer.concat([head, NEWLINE]);
      this.scanLines(line, 0);
      this.flushPassthrough();
      return nl + 1;
    }
    this.mode = M.ESCAPED;
    if (nl !== -1) {
      this.pos += 1;
      this.lineNo++;
    }
    this.feedEscapedLine(head, body, head.length, nl !== -1);
    return nl !== -1 ? nl + 1 : e;
  }

  /**
   * Decodes an escaped Go (%q) or JSON string from buf[s..e) into inner lines until the
   * closing quote; returns the index after what was consumed (after the quote when closed).
   */
  private decode(buf: Buffer, s: number, e: number): number {
    const emb = this.emb;
    let i = s;
    while (i < e) {
      const c = buf[i++];
      if (emb.esc === 0) {
        if (c === 92 /* \ */) emb.esc = 1;
        else if (c === 34 /* " */) {
          this.innerFlushLine(true);
          this.mode = M.FIELDS;
          return i;
        } else this.innerByte(c);
      } else if (emb.esc === 1) this.escaped(c);
      else if (!this.hexDigit(c)) i--; // not a hex digit: re-read it as text
    }
    return i;
  }

  /** The character after a backslash. */
  private escaped(c: number): void {
    const emb = this.emb;
    emb.esc = 0;
    const simple = ESCAPES[c];
    if (simple !== undefined) {
      if (c === 110) emb.escNewlines++; // \n
      this.innerByte(simple);
      return;
    }
    const hex = c === 120 ? 2 : c === 117 ? 4 : c === 85 ? 8 : 0; // \xNN, \uNNNN, \UNNNNNNNN
    if (hex) {
      emb.esc = hex === 2 ? 2 : 3;
      emb.hexLeft = hex;
      emb.hexVal = 0;
      return;
    }
    this.innerByte(92);
    this.innerByte(c);
  }

  /** One hex digit of \x / \u / \U; false when c is none (the escape ends there). */
  private hexDigit(c: number): boolean {
    const emb = this.emb;
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
    if (d < 0) {
      emb.esc = 0;
      return false;
    }
    emb.hexVal = emb.hexVal * 16 + d;
    if (--emb.hexLeft === 0) {
      if (emb.esc === 2) this.innerByte(emb.hexVal);
      else for (const b of Buffer.from(String.fromCodePoint(Math.min(emb.hexVal, 0x10ffff)))) this.innerByte(b);
      emb.esc = 0;
    }
    return true;
  }

  private innerByte(c: number): void {
    const emb = this.emb;
    if (c === 10) {
      this.innerFlushLine(false);
      return;
    }
    if (emb.lineLen < INNER_LINE_MAX) emb.lineBuf[emb.lineLen++] = c;
    else emb.lineOverflow = true;
  }

  private innerFlushLine(last: boolean): void {
    const emb = this.emb;
    if (last && emb.lineLen === 0) return;
    // a copy: the goroutine's frames refer to their lines until it is handed over
    const line = Buffer.from(emb.lineBuf.subarray(0, emb.lineLen));
    emb.lineLen = 0;
    emb.innerLineNo++;
    if (emb.lineOverflow) {
      emb.lineOverflow = false;
      this.sink.warning(`a line inside the dump at offset ${emb.start} is longer than ${INNER_LINE_MAX} bytes; cut short`);
    }
    if (line.length === END_BYTES.length && line.equals(END_BYTES)) emb.sawEnd = true;
    // offsets of inner lines are those of the embedding log line
    this.inner.line(line, 0, line.length, emb.start, emb.start, this.lineNo);
  }

  private addFields(buf: Buffer, s: number, e: number): void {
    const emb = this.emb;
    if (emb.fieldsLen >= FIELDS_MAX || e <= s) return;
    const take = Math.min(e - s, FIELDS_MAX - emb.fieldsLen);
    emb.fields.push(Buffer.from(buf.subarray(s, s + take)));
    emb.fieldsLen += take;
  }

  private finishEmbedded(end: number, cutReason?: string): void {
    const emb = this.emb;
    if (!emb.dumpOpen) return;
    emb.dumpOpen = false;
    if (emb.lineLen > 0) this.innerFlushLine(true);
    let reason = cutReason;
    if (!reason && !emb.sawEnd) reason = 'the message has no "=== END goroutine stack dump ===" line';
    this.inner.finish(end, this.lineNo, reason);
    const origin = { ...parseFields(emb.prefix, emb.format), ...parseFields(Buffer.concat(emb.fields).toString('utf8'), emb.format) };
    const cut = emb.cut ?? (reason ? { offset: end, line: this.lineNo, reason } : undefined);
    this.sink.dumpEnd(end, origin, cut);
    this.mode = M.LINES;
  }

  // ---- passthrough --------------------------------------------------------------------------

  private passthrough(buf: Buffer, s: number, e: number, addNewline: boolean): void {
    if (e > s) {
      const pt = this.pt;
      if (pt && pt.buf === buf && pt.e === s) pt.e = e;
      else {
        this.flushPassthrough();
        this.pt = { buf, s, e };
      }
    }
    if (addNewline) {
      // the line came from a carry buffer that did not hold its newline
      this.flushPassthrough();
      this.sink.passthrough(NEWLINE);
    }
  }

  private flushPassthrough(): void {
    const pt = this.pt;
    if (!pt) return;
    this.pt = null;
    this.sink.passthrough(pt.buf.subarray(pt.s, pt.e));
  }
}

const NEWLINE = Buffer.from('\n');

/** Go's and JSON's one-character escapes: the byte each stands for (`\n` → 10, JSON's `\/` → 47). */
const ESCAPES: Record<number, number> = { 110: 10, 116: 9, 114: 13, 34: 34, 92: 92, 47: 47, 97: 7, 98: 8, 102: 12, 118: 11 };

/**
 * Most lines of a dump rule a prefix out in a byte or two: file lines start with a tab, and
 * functions and headers with a lower-case word longer than a month's name (`dic  3`, `déc.  3`).
 */
function mayHavePrefix(buf: Buffer, s: number, e: number): boolean {
  const c = buf[s];
  return !(c === 9 || e - s < 16 || (c >= 97 && c <= 122 && buf[s + 3] !== 32 && buf[s + 4] !== 32 && buf[s + 5] !== 32 && buf[s + 6] !== 32));
}

/** 2026-…, 1702894106.…, 8月 …: not `N @ 0x…`. */
function digitsCanStartPrefix(buf: Buffer, s: number, e: number): boolean {
  if (buf[s + 4] === 45 /* - */) return true;
  let j = s;
  while (j < e && buf[j] >= 48 && buf[j] <= 57) j++;
  return j - s >= 9 || (j - s <= 2 && buf[j] >= 0x80);
}

/** A month or weekday name: a short word without '(', '/', '.' inside, then a space and a digit (not `goroutine …`). */
function nameCanStartPrefix(buf: Buffer, s: number, e: number): boolean {
  if (buf[s] === 103 && buf[s + 1] === 111 && buf[s + 2] === 114) return false; // goroutine …
  let j = s;
  const lim = Math.min(e, s + 14);
  while (j < lim && buf[j] !== 32) {
    const b = buf[j];
    if (b === 40 || b === 47 || b === 61 || b === 58 || b === 34 || (b === 46 && buf[j + 1] !== 32)) return false;
    j++;
  }
  if (j === lim || j - s < 2) return false;
  const d = buf[j + 1] === 32 ? buf[j + 2] : buf[j + 1];
  return d >= 48 && d <= 57;
}

/**
 * The syslog or journald prefix of buf[s..e) (sources/logs/frame.ts): where the payload starts
 * and who wrote it (`tag[pid]`); null when there is none. Dump lines (tab, `goroutine `, a
 * function path, `#`, `N @`) are told apart in a few byte tests, so a plain dump pays nothing.
 */
export function prefixAt(buf: Buffer, s: number, e: number): { at: number; who: string } | null {
  if (e - s < 16) return null;
  const c = buf[s];
  if (c === 9 || c === 32 || c === 35 /* # */ || c === 61 /* = */) return null;
  if (c >= 48 && c <= 57 ? !digitsCanStartPrefix(buf, s, e) : c !== 60 /* < */ && c !== 91 /* [ */ && !nameCanStartPrefix(buf, s, e)) return null;
  const head = buf.toString('utf8', s, Math.min(e, s + 400));
  const f = lineFrame(head);
  if (!f) return null;
  // the prefix's length in bytes; a prefix that is not valid UTF-8 is not one
  const prefix = Buffer.from(head.slice(0, f.at));
  if (s + prefix.length > e || !prefix.equals(buf.subarray(s, s + prefix.length))) return null;
  return { at: s + prefix.length, who: `${f.tag}[${f.pid ?? ''}]` };
}

/**
 * A dump line logged one per log line (`time="…" level=info msg="goroutine 7 [select]:"`): the
 * message, decoded, as a new buffer; null when buf[s..e) is not a logrus line.
 */
export function logrusMessage(buf: Buffer, s: number, e: number): Buffer | null {
  const c = buf[s];
  if (!((c === 116 && startsWithBytes(buf, s, e, TIME_EQ)) || (c === 108 && startsWithBytes(buf, s, e, LEVEL_EQ)))) return null;
  const at = buf.indexOf(MSG_EQ, s);
  if (at === -1 || at >= e || (at > s && buf[at - 1] !== 32)) return null;
  let i = at + 4;
  if (buf[i] !== 34 /* " */) {
    let j = i;
    while (j < e && buf[j] !== 32) j++;
    return Buffer.from(buf.subarray(i, j));
  }
  const out: number[] = [];
  for (i++; i < e; i++) {
    const b = buf[i];
    if (b === 34) return Buffer.from(out);
    if (b === 92 /* \ */ && i + 1 < e) {
      const n = buf[++i];
      out.push(n === 116 ? 9 : n === 110 ? 10 : n === 114 ? 13 : n);
    } else out.push(b);
  }
  return Buffer.from(out);
}

/** Does this (long) line start with goroutines whose newlines were lost, after any prefix? */
function startsOneLineDump(head: Buffer): boolean {
  const pre = prefixAt(head, 0, Math.min(head.length, 512));
  const at = pre ? pre.at : 0;
  return /^\s*goroutine \d+ [^\n]{0,200}?\]: \S/.test(head.toString('latin1', at, Math.min(head.length, at + 400)));
}

function startsWithBytes(buf: Buffer, s: number, e: number, p: Buffer): boolean {
  if (e - s < p.length) return false;
  for (let i = 0; i < p.length; i++) if (buf[s + i] !== p[i]) return false;
  return true;
}

type Latin1 = { latin1Slice(start: number, end: number): string };
/** Bytes → string one char per byte: fast, and byte-exact for ASCII dumps. */
function latin1(buf: Buffer, s: number, e: number): string {
  return (buf as unknown as Latin1).latin1Slice(s, e);
}

const reLogfmtField = /(?:^|\s)([A-Za-z_][\w.-]*)=("(?:[^"\\]|\\.)*"|[^\s"]*)/g;
const reJsonField = /"([A-Za-z_][\w.-]*)":("(?:[^"\\]|\\.)*"|[^,}\s]+)/g;

/** pid/path/namespace/runtime/time/level from the log line's fields. */
export function parseFields(text: string, format: GoroutineDumpFormat): GoroutineDumpOrigin {
  const origin: GoroutineDumpOrigin = {};
  const re = format === 'json' ? reJsonField : reLogfmtField;
  re.lastIndex = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    let v = m[2];
    if (v.startsWith('"')) {
      try {
        v = JSON.parse(v) as string;
      } catch {
        v = v.slice(1, -1);
      }
    }
    switch (m[1]) {
      case 'pid': {
        const n = Number(v);
        if (Number.isInteger(n) && n > 0) origin.pid = n;
        break;
      }
      case 'path': origin.path = v; break;
      case 'namespace': origin.namespace = v; break;
      case 'runtime': origin.runtime = v; break;
      case 'time': origin.time = v; break;
      case 'level': origin.level = v; break;
    }
  }
  return origin;
}
