// The line grammar of a Go goroutine dump (runtime.Stack, pprof debug=2, SIGQUIT and panic
// output, and pprof's debug=1 profile), as a state machine over lines given as byte ranges. It
// says whether each line belongs to a dump, and hands each finished goroutine to its sink with a
// 53-bit hash of its signature under the chosen similarity (computed on the bytes, in one pass:
// no string per frame), plus references to its frame lines (valid during the call) so a new
// bucket can decode them once. It keeps one goroutine at a time (reused), never the dump.
//
// States (what the previous line was → what may come next):
//   OUTSIDE  no dump open.            `goroutine N [state]:` → HEADER; `goroutine profile: total N`
//            → P_BETWEEN; `N @ 0x…` → P_RECORD; anything else is passed through.
//   HEADER   `goroutine 7 [select, 5 minutes]:` (Go 1.22+ may add ` gp=0x… m=N mp=0x…`)
//            → FUNC on `pkg.f(args)`, CREATED on `created by …`, FRAMES on
//              `goroutine running on other thread; stack unavailable`.
//   FUNC     `github.com/x/y.(*T).m(0xc000123456, {0x1, 0x2}, 0x0?)` (args may be `...`, or
//            absent for some frames) → FRAMES on a file line `\t/path/f.go:123 +0x1d`.
//   FRAMES   after a file line → FUNC, CREATED, ELIDED `...additional frames elided...`,
//            or a blank line → FRAMES_BLANK.
//   FRAMES_BLANK  the goroutine is done unless the dump is double-spaced (see below) and a
//            function or `created by` follows → BETWEEN.
//   CREATED  `created by pkg.f` (Go 1.21+: `created by pkg.f in goroutine 12`) → CREATED_FILE.
//   CREATED_FILE after its file line → blank → BETWEEN.
//   BETWEEN  blank line(s) after a goroutine → HEADER on the next header; anything else ends
//            the dump (that line is read again as outside a dump).
//   P_BETWEEN / P_RECORD  pprof debug=1: `N @ 0x… 0x…` starts a record of N goroutines with one
//            stack; its frames are `#\t0x4715e0\tpkg.f+0x40\t/path/f.go:678`; `# labels: {…}`
//            is skipped; a blank line ends the record. No ids, states or wait times: the state is
//            read from the frames (pprof-state.ts).
// The containerd markers `=== BEGIN goroutine stack dump ===` / `=== END … ===` open and close a
// dump. A line that does not fit ends the dump; if it interrupts a goroutine in the middle of a
// frame the dump is reported as cut there.
// As people paste dumps: lines may be indented (markdown, four spaces) or not (file lines without
// their tab), end in CRLF, be double-spaced (a blank line after every line), or a goroutine may
// be on one line (its newlines lost: oneline.ts splits it back).

import type { GoroutineSimilarity } from '../snapshot/types/goroutines.ts';
import { splitOneLine } from './oneline.ts';
import { pprofState } from './pprof-state.ts';

export interface ScannedGoroutine {
  id: number;
  /** header state without minutes/flags */
  state: string;
  /** -1 when no wait time was printed */
  waitMinutes: number;
  locked: boolean;
  /** number of complete frames; the ref arrays are reused, only [0, n) is valid */
  n: number;
  /** the function line of frame i: fBuf[i][fS[i]..fE[i]) */
  fBuf: Buffer[];
  fS: number[];
  fE: number[];
  /** `path:line` of frame i (no indent, no pc offset): lBuf[i][lS[i]..lE[i]) */
  lBuf: Buffer[];
  lS: number[];
  lE: number[];
  createdBy: string;
  createdLoc: string;
  creatorId: number;
  elided: boolean;
  unavailable: boolean;
  /** signature hash: key = h1 * 2^21 + (h2 >>> 11) */
  key: number;
  /** how many goroutines this one stands for: 1, or N for a pprof debug=1 record `N @ …` */
  weight: number;
}

export type LineDumpFormat = 'plain' | 'pprof';

export interface LineSink {
  dumpStart(offset: number, format: LineDumpFormat): void;
  goroutine(g: ScannedGoroutine): void;
  /** offset: end of the last dump byte; cut: set when the dump stopped mid-goroutine */
  dumpEnd(offset: number, cut?: { offset: number; line: number; reason: string }): void;
  /** something in the input could not be read (said with its line number) */
  warning?(message: string): void;
}

const enum S {
  OUTSIDE,
  HEADER,
  FUNC,
  FRAMES,
  FRAMES_BLANK,
  CREATED,
  CREATED_FILE,
  BETWEEN,
  P_BETWEEN,
  P_RECORD,
}

export const BEGIN_MARKER = '=== BEGIN goroutine stack dump ===';
export const END_MARKER = '=== END goroutine stack dump ===';

const reHeader = /^goroutine (\d+)(?: gp=0x[0-9a-f]+ m=(?:\d+|nil)(?: mp=0x[0-9a-f]+)?)? \[(.*)\]:$/;
const reMinutes = /^(\d+) minutes?$/;
const UNAVAILABLE = 'goroutine running on other thread; stack unavailable';
const ELIDED = '...additional frames elided...';
const GOROUTINE_ = Buffer.from('goroutine ');
const CREATED_BY_ = Buffer.from('created by ');
const PROFILE_TOTAL_ = Buffer.from('goroutine profile: total ');

type Latin1 = { latin1Slice(start: number, end: number): string };
export function latin1(buf: Buffer, s: number, e: number): string {
  return (buf as unknown as Latin1).latin1Slice(s, e);
}

function startsWith(buf: Buffer, s: number, e: number, p: Buffer): boolean {
  if (e - s < p.length) return false;
  for (let i = 0; i < p.length; i++) if (buf[s + i] !== p[i]) return false;
  return true;
}

/** Parses `goroutine N [...]:` into g; false when the text is not a header. */
export function parseHeader(line: string, g: ScannedGoroutine): boolean {
  // the usual `goroutine N [inner]:` by hand; the Go 1.22+ gp=/m= form by the regex
  let id = -1;
  let inner = '';
  const sp = line.indexOf(' [', 10);
  if (sp > 10 && line.endsWith(']:')) {
    let ok = true;
    for (let i = 10; i < sp; i++) {
      const c = line.charCodeAt(i);
      if (c < 48 || c > 57) {
        ok = false;
        break;
      }
    }
    if (ok) {
      id = Number(line.slice(10, sp));
      inner = line.slice(sp + 2, -2);
    }
  }
  if (id < 0) {
    const m = reHeader.exec(line);
    if (!m) return false;
    id = Number(m[1]);
    inner = m[2];
  }
  g.id = id;
  g.waitMinutes = -1;
  g.locked = false;
  const parts = inner.split(', ');
  let state = parts[0];
  for (let i = 1; i < parts.length; i++) {
    const p = parts[i];
    const mm = reMinutes.exec(p);
    if (mm) g.waitMinutes = Number(mm[1]);
    else if (p === 'locked to thread') g.locked = true;
    else state += ', ' + p;
  }
  g.state = state;
  clearFrames(g, 1);
  return true;
}

/** A new goroutine (or a pprof record of `weight`) in g: no frames, no creator yet. */
function clearFrames(g: ScannedGoroutine, weight: number): void {
  g.n = 0;
  g.createdBy = '';
  g.createdLoc = '';
  g.creatorId = -1;
  g.elided = false;
  g.unavailable = false;
  g.weight = weight;
}

/** Where ` +0x…` or ` fp=…` starts in [start, e), else e: the end of a file line's `path:line`. */
function locEndByScan(buf: Buffer, start: number, e: number): number {
  for (let j = start; j < e - 3; j++) {
    if (buf[j] === 32 && ((buf[j + 1] === 43 && buf[j + 2] === 48 && buf[j + 3] === 120) || (buf[j + 1] === 102 && buf[j + 2] === 112 && buf[j + 3] === 61))) return j;
  }
  return e;
}

/** Does [start, end) end in `:digits` (and hold something before it)? */
function endsWithLineNumber(buf: Buffer, start: number, end: number): boolean {
  let k = end - 1;
  while (k > start && buf[k] >= 48 && buf[k] <= 57) k--;
  return !(k === end - 1 || k <= start || buf[k] !== 58);
}

/**
 * The `path:line` range of a file line `\t/path/file.go:123 +0x1d fp=… sp=… pc=…`, as
 * [start, end], or null when the line is not a file line.
 */
export function fileLocRange(buf: Buffer, s: number, e: number): [number, number] | null {
  let i = s;
  while (i < e && (buf[i] === 9 || buf[i] === 32)) i++;
  if (i === e) return null;
  const start = i;
  // cut at " +0x" or " fp=", then it must end in :digits
  const end = locEndByScan(buf, start, e);
  if (endsWithLineNumber(buf, start, end)) return [start, end];
  const tok = firstTokenEnd(buf, start, e);
  return tok < e && endsWithLineNumber(buf, start, tok) ? [start, tok] : null;
}

/** The end of the first space-delimited token in [start, e): a file line cut at a width (`f.go:410 +0`). */
function firstTokenEnd(buf: Buffer, start: number, e: number): number {
  let j = start;
  while (j < e && buf[j] !== 32) j++;
  return j;
}

/** Is there a ' [' in buf[s..e)? */
function bracketBefore(buf: Buffer, s: number, e: number): boolean {
  const i = buf.indexOf(' [', s, 'latin1');
  return i !== -1 && i < e;
}

/** The first byte in [s, e) that is not a tab or a space (e when none). */
function skipWs(buf: Buffer, s: number, e: number): number {
  while (s < e && (buf[s] === 9 || buf[s] === 32)) s++;
  return s;
}

/** Kept for callers that hold a string: `\t/p/f.go:12 +0x1` → `/p/f.go:12`, '' when not a file line. */
export function fileLoc(line: string): string {
  const b = Buffer.from(line, 'latin1');
  const r = fileLocRange(b, 0, b.length);
  return r ? line.slice(r[0], r[1]) : '';
}

// The signature hash has two 32-bit lanes: FNV-1a over every byte (h1), and a murmur-style
// mix of h1 and the length at the end of each segment (h2: name, args, location, header).
let h1 = 0;
let h2 = 0;
function hashByte(c: number): void {
  h1 = Math.imul(h1 ^ c, 16777619);
}
function hashSegment(len: number): void {
  h2 = Math.imul((h2 ^ h1) + len, 0x5bd1e995);
  h2 ^= h2 >>> 15;
}
function hashString(str: string): void {
  let a = h1;
  for (let i = 0; i < str.length; i++) a = Math.imul(a ^ (str.charCodeAt(i) & 0xff), 16777619);
  h1 = a;
  hashSegment(str.length);
}

/**
 * Hashes the argument bytes buf[s..e) under the similarity into lane a (returned), the way
 * panicparse compares args: exact: every value (a trailing `?` ignored); pointer: values above
 * 512 KiB (and below 2^63-1) are any pointer, others exact; value: any scalar (including `_`)
 * matches any scalar.
 */
function hashArgs(a: number, buf: Buffer, s: number, e: number, sim: GoroutineSimilarity): number {
  let i = s;
  while (i < e) {
    const c = buf[i];
    if (c === 48 && i + 1 < e && buf[i + 1] === 120) {
      let j = i + 2;
      while (j < e) {
        const d = buf[j];
        if ((d >= 48 && d <= 57) || (d >= 97 && d <= 102)) j++;
        else break;
      }
      if (sim === 'value') a = Math.imul(a ^ 118, 16777619);
      else if (sim === 'pointer' && isPointerBytes(buf, i + 2, j)) a = Math.imul(a ^ 42, 16777619);
      else for (let k = i; k < j; k++) a = Math.imul(a ^ buf[k], 16777619);
      if (j < e && buf[j] === 63) j++; // '?'
      i = j;
      continue;
    }
    i++;
    if (c === 63 && sim !== 'value') continue;
    a = Math.imul(a ^ (sim === 'value' && c === 95 ? 118 : c), 16777619);
  }
  return a;
}

/** panicparse's pointer guess over hex digits buf[s..e): > 512 KiB (0x80000) and < 2^63-1. */
export function isPointerBytes(buf: Buffer, s: number, e: number): boolean {
  while (s < e - 1 && buf[s] === 48) s++;
  const digits = e - s;
  if (digits < 5) return false;
  if (digits === 5) {
    // 0x10000…0xfffff: above 0x80000 only from 0x80001
    if (buf[s] !== 56) return buf[s] > 56;
    for (let i = s + 1; i < e; i++) if (buf[i] !== 48) return true;
    return false;
  }
  if (digits < 16) return true;
  if (digits > 16 || buf[s] >= 56) return false;
  for (let i = s + 1; i < e; i++) if (buf[i] !== 102) return true;
  return buf[s] !== 55; // 0x7fffffffffffffff itself is not below MaxInt64
}

export class StackLines {
  private st = S.OUTSIDE;
  private readonly g: ScannedGoroutine = {
    id: 0, state: '', waitMinutes: -1, locked: false, n: 0,
    fBuf: [], fS: [], fE: [], lBuf: [], lS: [], lE: [],
    createdBy: '', createdLoc: '', creatorId: -1, elided: false, unavailable: false, key: 0, weight: 1,
  };
  /** end offset of the last line that belonged to the dump */
  private lastDumpEnd = 0;
  /** the hash of the current goroutine's frames so far */
  private fh1 = 0;
  private fh2 = 0;
  /** a blank line came between a header, function or file line: the dump is double-spaced */
  private spaced = false;
  /** pprof debug=1: the total its first line declared (-1: none), and what its records add up to */
  private declared = -1;
  private counted = 0;
  /** header-like lines that could not be read, said (up to 5) */
  private unreadHeaders = 0;

  constructor(private readonly sink: LineSink, private readonly similarity: GoroutineSimilarity = 'pointer') {}

  get inDump(): boolean {
    return this.st !== S.OUTSIDE;
  }

  /**
   * One line buf[s..e) without its newline (the bytes must stay unchanged until the goroutine is
   * handed over). offset: where it starts in the input; end: where its bytes (newline
   * included) end. Returns true when the line is part of a dump.
   */
  line(buf: Buffer, s: number, e: number, offset: number, end: number, lineNo: number): boolean {
    if (e > s && buf[e - 1] === 13) {
      e--;
      while (e > s && buf[e - 1] === 13) e--;
    }
    // the two lines that make up nearly all of a dump, kept small so they run at full speed:
    // a function after a header or a frame, and the file line after a function
    const st = this.st;
    if ((st === S.HEADER || st === S.FRAMES) && e > s) {
      if (couldBeFunc(buf, s, e) && this.funcLine(buf, s, e)) {
        this.st = S.FUNC;
        return this.took(end);
      }
    } else if (st === S.FUNC && e > s) {
      const r = this.locLine(buf, s, e);
      if (r) {
        this.addFrame(buf, r);
        this.st = S.FRAMES;
        return this.took(end);
      }
    }
    return this.otherLine(buf, s, e, offset, end, lineNo);
  }

  /** Every other line: blank lines, markers, headers, `created by`, pprof records, what ends a dump. */
  private otherLine(buf: Buffer, s: number, e: number, offset: number, end: number, lineNo: number): boolean {
    switch (this.st) {
      case S.OUTSIDE:
        return this.outside(buf, s, e, offset, end, lineNo);
      case S.HEADER:
      case S.FRAMES:
        return this.inFrames(buf, s, e, offset, end, lineNo);
      case S.FRAMES_BLANK:
        return this.afterFramesBlank(buf, s, e, offset, end, lineNo);
      case S.FUNC:
        return this.afterFuncNotFile(buf, s, e, offset, end, lineNo);
      case S.CREATED:
        return this.afterCreatedBy(buf, s, e, offset, end, lineNo);
      case S.CREATED_FILE:
        this.emit();
        this.st = S.BETWEEN;
        if (e === s) return this.took(end);
        return this.line(buf, s, e, offset, end, lineNo);
      case S.BETWEEN:
        return this.between(buf, s, e, offset, end, lineNo);
      case S.P_BETWEEN:
        return this.pprofBetween(buf, s, e, offset, end, lineNo);
      case S.P_RECORD:
        return this.pprofRecord(buf, s, e, offset, end, lineNo);
    }
  }

  /** After a header or a frame: a blank line (double-spaced dump, or the goroutine may be done), or another frame line. */
  private inFrames(buf: Buffer, s: number, e: number, offset: number, end: number, lineNo: number): boolean {
    if (e !== s) return this.frameLine(buf, s, e, offset, end, lineNo);
    // header, blank, function: the dump is double-spaced; after frames: the goroutine may be done
    if (this.st === S.HEADER) this.spaced = true;
    else this.st = S.FRAMES_BLANK;
    return this.took(end);
  }

  /** A blank line after frames: in a double-spaced dump the frames may go on; else the goroutine is done. */
  private afterFramesBlank(buf: Buffer, s: number, e: number, offset: number, end: number, lineNo: number): boolean {
    if (e === s) return this.took(end);
    if (this.spaced) {
      const t = skipWs(buf, s, e);
      const c = buf[t];
      if (!(c === 103 && startsWith(buf, t, e, GOROUTINE_)) && c !== 61) {
        this.st = S.FRAMES;
        return this.frameLine(buf, s, e, offset, end, lineNo);
      }
    }
    this.emit();
    this.st = S.BETWEEN;
    return this.line(buf, s, e, offset, end, lineNo);
  }

  /** After a function, a line that is not its file line (line() tried): blank in a double-spaced dump, else the dump is cut. */
  private afterFuncNotFile(buf: Buffer, s: number, e: number, offset: number, end: number, lineNo: number): boolean {
    if (e === s) {
      this.spaced = true;
      return this.took(end);
    }
    const g = this.g;
    const n = g.n;
    this.cut(offset, lineNo, `goroutine ${g.id}: function ${funcName(g.fBuf[n], g.fS[n], g.fE[n])} without its file line`);
    return this.line(buf, s, e, offset, end, lineNo);
  }

  /** The file line of `created by`. */
  private afterCreatedBy(buf: Buffer, s: number, e: number, offset: number, end: number, lineNo: number): boolean {
    if (e === s) {
      this.spaced = true;
      return this.took(end);
    }
    const r = fileLocRange(buf, s, e);
    if (!r) {
      this.cut(offset, lineNo, `goroutine ${this.g.id}: "created by" without its file line`);
      return this.line(buf, s, e, offset, end, lineNo);
    }
    this.g.createdLoc = latin1(buf, r[0], r[1]);
    this.st = S.CREATED_FILE;
    return this.took(end);
  }

  /** Between goroutines: the end marker, the next header, a one-line goroutine, or the end of the dump. */
  private between(buf: Buffer, s: number, e: number, offset: number, end: number, lineNo: number): boolean {
    if (e === s) return this.took(end);
    const t = skipWs(buf, s, e);
    if (this.isMarker(buf, t, e, END_MARKER)) {
      this.took(end);
      this.close();
      return true;
    }
    if (buf[t] === 103 && this.header(buf, t, e)) {
      this.st = S.HEADER;
      return this.took(end);
    }
    if (this.oneLine(buf, t, e, offset, end, lineNo)) return true;
    this.close();
    return this.line(buf, s, e, offset, end, lineNo);
  }

  /** Between pprof records: the next record, the end marker, or the end of the dump. */
  private pprofBetween(buf: Buffer, s: number, e: number, offset: number, end: number, lineNo: number): boolean {
    if (e === s) return this.took(end);
    const t = skipWs(buf, s, e);
    if (this.record(buf, t, e)) {
      this.st = S.P_RECORD;
      return this.took(end);
    }
    if (this.isMarker(buf, t, e, END_MARKER)) {
      this.took(end);
      this.close(lineNo);
      return true;
    }
    this.close(lineNo);
    return this.line(buf, s, e, offset, end, lineNo);
  }

  /** Inside a pprof record: a frame or comment (`# labels: {…}`), or its end. */
  private pprofRecord(buf: Buffer, s: number, e: number, offset: number, end: number, lineNo: number): boolean {
    if (e === s) {
      this.emitRecord();
      this.st = S.P_BETWEEN;
      return this.took(end);
    }
    const t = skipWs(buf, s, e);
    // a frame, or `# labels: {…}` (and any other comment of the record)
    if (buf[t] === 35 /* # */) {
      this.pprofFrame(buf, t, e);
      return this.took(end);
    }
    this.emitRecord();
    this.st = S.P_BETWEEN;
    return this.line(buf, s, e, offset, end, lineNo);
  }

  /** No dump open: does this line start one? */
  private outside(buf: Buffer, s: number, e: number, offset: number, end: number, lineNo: number): boolean {
    const t = skipWs(buf, s, e);
    if (t === e) return false;
    const c = buf[t];
    if (c === 61 /* = */ && this.isMarker(buf, t, e, BEGIN_MARKER)) {
      this.open(offset, 'plain');
      this.st = S.BETWEEN;
      return this.took(end);
    }
    if (c === 103 /* g */) {
      if (this.header(buf, t, e)) {
        this.open(offset, 'plain');
        this.st = S.HEADER;
        return this.took(end);
      }
      if (startsWith(buf, t, e, PROFILE_TOTAL_)) {
        const total = Number(latin1(buf, t + PROFILE_TOTAL_.length, e));
        if (Number.isInteger(total) && total >= 0) {
          this.open(offset, 'pprof');
          this.declared = total;
          this.st = S.P_BETWEEN;
          return this.took(end);
        }
      }
      if (this.oneLine(buf, t, e, offset, end, lineNo)) return true;
      // `goroutine 7 [select` (cut), `goroutine 7 [select]` (colon lost): say it, a few times
      if (startsWith(buf, t, e, GOROUTINE_) && buf[t + 10] >= 48 && buf[t + 10] <= 57 && bracketBefore(buf, t + 10, e) && this.unreadHeaders++ < 5) {
        this.sink.warning?.(`line ${lineNo}: "${latin1(buf, t, Math.min(e, t + 60))}" looks like a goroutine header but is not one (expected "goroutine N [state]:"); not read`);
      }
      return false;
    }
    if (c >= 49 && c <= 57 && this.record(buf, t, e)) {
      this.open(offset, 'pprof');
      this.st = S.P_RECORD;
      return this.took(end);
    }
    return false;
  }

  private open(offset: number, format: LineDumpFormat): void {
    this.sink.dumpStart(offset, format);
    this.spaced = false;
    this.declared = -1;
    this.counted = 0;
  }

  private isMarker(buf: Buffer, t: number, e: number, marker: string): boolean {
    return e - t === marker.length && buf[t] === 61 && latin1(buf, t, e) === marker;
  }

  /** A line of a goroutine after its header or a file line (HEADER, FRAMES). */
  private frameLine(buf: Buffer, s: number, e: number, offset: number, end: number, lineNo: number): boolean {
    const g = this.g;
    let c = buf[s];
    const t = c === 9 || c === 32 ? skipWs(buf, s, e) : s;
    c = buf[t];
    if (c === 99 /* c */ && startsWith(buf, t, e, CREATED_BY_)) {
      this.created(latin1(buf, t + 11, e));
      this.st = S.CREATED;
      return this.took(end);
    }
    if (c === 46 /* . */ && e - t === ELIDED.length && latin1(buf, t, e) === ELIDED) {
      g.elided = true;
      return this.took(end);
    }
    if (buf[e - 1] === 101 /* e */ && e - t >= UNAVAILABLE.length && latin1(buf, e - UNAVAILABLE.length, e) === UNAVAILABLE) {
      g.unavailable = true;
      this.st = S.FRAMES;
      return this.took(end);
    }
    // a function line: not a header, not a marker, and when indented (a pasted dump), not a file line
    if (!(c === 103 && startsWith(buf, t, e, GOROUTINE_)) && c !== 61 && (t === s || !fileLocRange(buf, t, e)) && this.funcLine(buf, t, e)) {
      this.st = S.FUNC;
      return this.took(end);
    }
    if (this.st === S.FRAMES) {
      // e.g. the next header without a blank line, or the END marker
      this.emit();
      this.st = S.BETWEEN;
      return this.line(buf, s, e, offset, end, lineNo);
    }
    this.cut(offset, lineNo, `goroutine ${g.id}: header without frames`);
    return this.line(buf, s, e, offset, end, lineNo);
  }

  /**
   * A goroutine (or several) whose newlines were lost, on this one line: its lines are read as
   * if Go had printed them; what cannot be told apart is said with the line number.
   */
  private oneLine(buf: Buffer, t: number, e: number, offset: number, end: number, lineNo: number): boolean {
    if (!startsWith(buf, t, e, GOROUTINE_)) return false;
    const split = splitOneLine(latin1(buf, t, e));
    if (!split) return false;
    for (const l of split.lines) {
      const b = Buffer.from(l, 'latin1');
      this.line(b, 0, b.length, offset, end, lineNo);
    }
    if (split.rest !== undefined) {
      this.sink.warning?.(`line ${lineNo}: goroutines on one line (newlines lost); the frames cannot be told apart from "${split.rest.slice(0, 60)}"`);
    }
    this.took(end);
    return true;
  }

  /** `N @ 0x… 0x…`: starts a pprof debug=1 record of N goroutines. */
  private record(buf: Buffer, t: number, e: number): boolean {
    let i = t;
    let n = 0;
    while (i < e && buf[i] >= 48 && buf[i] <= 57 && i - t < 12) n = n * 10 + buf[i++] - 48;
    if (i === t || i + 2 >= e || buf[i] !== 32 || buf[i + 1] !== 64 /* @ */ || (i + 2 < e && buf[i + 2] !== 32)) return false;
    const g = this.g;
    g.id = -1;
    g.state = '';
    g.waitMinutes = -1;
    g.locked = false;
    clearFrames(g, n);
    this.fh1 = 0x811c9dc5;
    this.fh2 = 0x9747b28c;
    return true;
  }

  /** `#\t0x4715e0\tnet/http.(*connReader).backgroundRead+0x40\t/usr/lib/go/src/net/http/server.go:678` */
  private pprofFrame(buf: Buffer, t: number, e: number): void {
    let i = skipWs(buf, t + 1, e);
    if (buf[i] !== 48 || buf[i + 1] !== 120) return; // `# labels: …` and the like
    while (i < e && buf[i] !== 9 && buf[i] !== 32) i++;
    const fs = skipWs(buf, i, e);
    let fe = fs;
    while (fe < e && buf[fe] !== 9 && buf[fe] !== 32) fe++;
    const ls = skipWs(buf, fe, e);
    // the name without its `+0x…` offset
    let ne = fe;
    for (let k = fe - 1; k > fs + 2; k--) {
      if (buf[k] === 120 && buf[k - 1] === 48 && buf[k - 2] === 43) {
        ne = k - 2;
        break;
      }
    }
    if (ne === fs || ls === e || !this.funcLine(buf, fs, ne)) return;
    const r = this.locLine(buf, ls, e);
    if (r) this.addFrame(buf, r);
  }

  /** A pprof record is done: its state from its frames, then handed over as its N goroutines. */
  private emitRecord(): void {
    const g = this.g;
    const names: string[] = [];
    for (let i = 0; i < g.n && i < 4; i++) names.push(latin1(g.fBuf[i], g.fS[i], g.fE[i]));
    g.state = pprofState(names);
    this.counted += g.weight;
    this.emit();
  }

  /** The file line's range [start, end] completes the pending function as frame n. */
  private addFrame(buf: Buffer, r: [number, number]): void {
    const g = this.g;
    const n = g.n++;
    g.lBuf[n] = buf;
    g.lS[n] = r[0];
    g.lE[n] = r[1];
  }

  /** The input ended (offset: its length). Reports a cut when a goroutine was incomplete. */
  finish(offset: number, lineNo: number, reason?: string): void {
    switch (this.st) {
      case S.OUTSIDE:
        return;
      case S.FRAMES:
      case S.FRAMES_BLANK:
      case S.CREATED_FILE:
        this.emit();
        this.sink.dumpEnd(this.lastDumpEnd, reason ? { offset, line: lineNo, reason } : undefined);
        break;
      case S.BETWEEN:
        this.sink.dumpEnd(this.lastDumpEnd, reason ? { offset, line: lineNo, reason } : undefined);
        break;
      case S.P_RECORD:
      case S.P_BETWEEN: {
        if (this.st === S.P_RECORD) this.emitRecord();
        const short = this.profileShort();
        const why = short && reason ? `${short} (${reason})` : short ?? reason;
        this.sink.dumpEnd(this.lastDumpEnd, why ? { offset, line: lineNo, reason: why } : undefined);
        break;
      }
      default: {
        const g = this.g;
        const n = g.n;
        const what = this.st === S.FUNC
          ? `goroutine ${g.id}: input ended after function ${funcName(g.fBuf[n], g.fS[n], g.fE[n])}, before its file line`
          : this.st === S.CREATED ? `goroutine ${g.id}: input ended after "created by", before its file line`
            : `goroutine ${g.id}: input ended after its header`;
        this.emit(); // its header was seen: it counts, with the frames that were complete
        this.sink.dumpEnd(this.lastDumpEnd, { offset, line: lineNo, reason: reason ? `${what} (${reason})` : what });
      }
    }
    this.st = S.OUTSIDE;
  }

  /** pprof debug=1: why the records fall short of the declared total, or undefined. */
  private profileShort(): string | undefined {
    if (this.declared < 0 || this.counted >= this.declared) return undefined;
    return `the profile declares ${this.declared} goroutines; its records add up to ${this.counted}`;
  }

  private header(buf: Buffer, s: number, e: number): boolean {
    if (buf[s] !== 103 || !startsWith(buf, s, e, GOROUTINE_)) return false;
    if (!parseHeader(latin1(buf, s, e), this.g)) return false;
    this.fh1 = 0x811c9dc5;
    this.fh2 = 0x9747b28c;
    return true;
  }

  /** Validates a function line (a symbol without spaces, with or without `(args)`) and keeps it. */
  private funcLine(buf: Buffer, s: number, e: number): boolean {
    let p = e;
    if (buf[e - 1] === 41 /* ) */) {
      for (let i = e - 2; i > s; i--) {
        if (buf[i] === 40 /* ( */) {
          p = i;
          break;
        }
      }
      if (p === e) return false;
    }
    // hash the name while checking it has no space, then the args under the similarity
    let a = this.fh1;
    for (let i = s; i < p; i++) {
      const c = buf[i];
      if (c === 32) return false;
      a = Math.imul(a ^ c, 16777619);
    }
    h1 = a;
    h2 = this.fh2;
    hashSegment(p - s);
    if (p < e) h1 = hashArgs(h1, buf, p + 1, e - 1, this.similarity);
    hashSegment(p < e ? 1 : 0); // not the length: similar args may differ in length
    this.fh1 = h1;
    this.fh2 = h2;
    const g = this.g;
    const n = g.n;
    g.fBuf[n] = buf;
    g.fS[n] = s;
    g.fE[n] = e;
    return true;
  }

  private took(end: number): true {
    this.lastDumpEnd = end;
    return true;
  }

  private close(lineNo = 0): void {
    const short = this.st === S.P_BETWEEN ? this.profileShort() : undefined;
    this.sink.dumpEnd(this.lastDumpEnd, short ? { offset: this.lastDumpEnd, line: lineNo, reason: short } : undefined);
    this.st = S.OUTSIDE;
  }

  private created(rest: string): void {
    const g = this.g;
    const i = rest.indexOf(' in goroutine ');
    if (i !== -1) {
      g.creatorId = Number(rest.slice(i + 14)) || -1;
      rest = rest.slice(0, i);
    }
    g.createdBy = rest;
  }

  /** Folds the header and created-by into the frames' hash, then hands the goroutine over. */
  private emit(): void {
    const g = this.g;
    h1 = this.fh1;
    h2 = this.fh2;
    hashString(g.state);
    let flags = 0;
    if (this.similarity === 'exact' && g.locked) flags |= 1;
    if (g.elided) flags |= 2;
    if (g.unavailable) flags |= 4;
    hashByte(flags);
    hashSegment(g.n);
    hashString(g.createdBy);
    hashString(g.createdLoc);
    g.key = (h1 >>> 0) * 2097152 + (h2 >>> 11);
    this.sink.goroutine(g);
  }

  /**
   * A file line: keeps its `path:line` and hashes its end (`…/file.go:123`: a function lives in
   * one file, so the name already tells the rest of the path); null when it is not a file line.
   */
  private locLine(buf: Buffer, s: number, e: number): [number, number] | null {
    const start = skipWs(buf, s, e);
    if (start === e) return null;
    // the end of `path:line`: before " +0x…" (the usual last token), or " fp=… sp=… pc=…"
    let end = e;
    let sp = e - 1;
    while (sp > start && buf[sp] !== 32) sp--;
    if (sp > start && sp + 3 < e) {
      if (buf[sp + 1] === 43 && buf[sp + 2] === 48 && buf[sp + 3] === 120) end = sp;
      else if (buf[sp + 1] === 112 && buf[sp + 2] === 99 && buf[sp + 3] === 61) end = locEndByScan(buf, start, e);
    }
    if (!endsWithLineNumber(buf, start, end)) {
      // a line cut at a width (`…/glog.go:410 +0`): the path is the first token
      end = firstTokenEnd(buf, start, e);
      if (end === e || !endsWithLineNumber(buf, start, end)) return null;
    }
    let a = this.fh1;
    for (let j = Math.max(start, end - 32); j < end; j++) a = Math.imul(a ^ buf[j], 16777619);
    h1 = a;
    h2 = this.fh2;
    hashSegment(end - start);
    this.fh1 = h1;
    this.fh2 = h2;
    return [start, end];
  }

  /** A line interrupted a goroutine: keep what was parsed, end the dump as cut (the caller re-reads the line). */
  private cut(offset: number, lineNo: number, reason: string): void {
    // it counts, with the frames that were complete (a function without its file line is dropped)
    this.emit();
    this.sink.dumpEnd(this.lastDumpEnd, { offset, line: lineNo, reason });
    this.st = S.OUTSIDE;
  }
}

/**
 * A first look at a line after a header or a frame, before the full parse: the characters that
 * rule out a function line (a tab or space, `=`, `.`, a last `e`), and a header or `created by`.
 */
function couldBeFunc(buf: Buffer, s: number, e: number): boolean {
  const c = buf[s];
  return c !== 9 && c !== 32 && c !== 61 && c !== 46 && buf[e - 1] !== 101 && !(c === 103 && startsWith(buf, s, e, GOROUTINE_))
    && !(c === 99 && startsWith(buf, s, e, CREATED_BY_));
}

function funcName(buf: Buffer, s: number, e: number): string {
  const line = latin1(buf, s, e);
  const p = line.endsWith(')') ? line.lastIndexOf('(') : -1;
  return p > 0 ? line.slice(0, p) : line;
}
