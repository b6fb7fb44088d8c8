// The line grammar of a Go goroutine dump (runtime.Stack, pprof debug=2, SIGQUIT and panic
// output), as a state machine over lines given as byte ranges. It says whether each line
// belongs to a dump, and hands each finished goroutine to its sink with a 53-bit hash of its
// signature under the chosen similarity (computed on the bytes, in one pass: no string per
// frame), plus references to its frame lines (valid during the call) so a new bucket can decode
// them once. It keeps one goroutine at a time (reused), never the dump.
//
// States (what the previous line was → what may come next):
//   OUTSIDE  no dump open.            `goroutine N [state]:` → HEADER; anything else is passed through.
//   HEADER   `goroutine 7 [select, 5 minutes]:` (Go 1.22+ may add ` gp=0x… m=N mp=0x…`)
//            → FUNC on `pkg.f(args)`, CREATED on `created by …`, FRAMES on
//              `goroutine running on other thread; stack unavailable`.
//   FUNC     `github.com/x/y.(*T).m(0xc000123456, {0x1, 0x2}, 0x0?)` (args may be `...`, or
//            absent for some frames) → FRAMES on a file line `\t/path/f.go:123 +0x1d`.
//   FRAMES   after a file line → FUNC, CREATED, ELIDED `...additional frames elided...`,
//            or a blank line (goroutine done) → BETWEEN.
//   CREATED  `created by pkg.f` (Go 1.21+: `created by pkg.f in goroutine 12`) → CREATED_FILE.
//   CREATED_FILE after its file line → blank → BETWEEN.
//   BETWEEN  blank line(s) after a goroutine → HEADER on the next header; anything else ends
//            the dump (that line is passed through).
// The containerd markers `=== BEGIN goroutine stack dump ===` / `=== END … ===` open and close a
// dump. A line that does not fit ends the dump; if it interrupts a goroutine in the middle of a
// frame the dump is reported as cut there.

import type { GoroutineSimilarity } from '../snapshot/types/goroutines.ts';

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
}

export interface LineSink {
  dumpStart(offset: number): void;
  goroutine(g: ScannedGoroutine): void;
  /** offset: end of the last dump byte; cut: set when the dump stopped mid-goroutine */
  dumpEnd(offset: number, cut?: { offset: number; line: number; reason: string }): void;
}

const enum S {
  OUTSIDE,
  HEADER,
  FUNC,
  FRAMES,
  CREATED,
  CREATED_FILE,
  BETWEEN,
}

export const BEGIN_MARKER = '=== BEGIN goroutine stack dump ===';
export const END_MARKER = '=== END goroutine stack dump ===';

const reHeader = /^goroutine (\d+)(?: gp=0x[0-9a-f]+ m=(?:\d+|nil)(?: mp=0x[0-9a-f]+)?)? \[(.*)\]:$/;
const reMinutes = /^(\d+) minutes?$/;
const UNAVAILABLE = 'goroutine running on other thread; stack unavailable';
const ELIDED = '...additional frames elided...';
const GOROUTINE_ = Buffer.from('goroutine ');
const CREATED_BY_ = Buffer.from('created by ');

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
  g.n = 0;
  g.createdBy = '';
  g.createdLoc = '';
  g.creatorId = -1;
  g.elided = false;
  g.unavailable = false;
  return true;
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
  if (i === s || i === e) return null;
  const start = i;
  // cut at " +0x" or " fp=", then it must end in :digits
  const end = locEndByScan(buf, start, e);
  return endsWithLineNumber(buf, start, end) ? [start, end] : null;
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
    createdBy: '', createdLoc: '', creatorId: -1, elided: false, unavailable: false, key: 0,
  };
  /** end offset of the last line that belonged to the dump */
  private lastDumpEnd = 0;
  /** the hash of the current goroutine's frames so far */
  private fh1 = 0;
  private fh2 = 0;

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
    if (e > s && buf[e - 1] === 13) e--;
    const g = this.g;
    const len = e - s;
    switch (this.st) {
      case S.OUTSIDE:
        if (len === BEGIN_MARKER.length && buf[s] === 61 && latin1(buf, s, e) === BEGIN_MARKER) {
          this.sink.dumpStart(offset);
          this.st = S.BETWEEN;
          return this.took(end);
        }
        if (this.header(buf, s, e)) {
          this.sink.dumpStart(offset);
          this.st = S.HEADER;
          return this.took(end);
        }
        return false;
      case S.HEADER:
      case S.FRAMES: {
        if (len === 0) {
          if (this.st === S.HEADER) return this.cut(offset, lineNo, `goroutine ${g.id}: header without frames`, buf, s, e, end);
          this.emit();
          this.st = S.BETWEEN;
          return this.took(end);
        }
        const c = buf[s];
        if (c === 99 /* c */ && startsWith(buf, s, e, CREATED_BY_)) {
          this.created(latin1(buf, s + 11, e));
          this.st = S.CREATED;
          return this.took(end);
        }
        if (c === 46 /* . */ && len === ELIDED.length && latin1(buf, s, e) === ELIDED) {
          g.elided = true;
          return this.took(end);
        }
        if (buf[e - 1] === 101 /* e */ && (c === 9 || c === 32 || c === 103) && len >= UNAVAILABLE.length && latin1(buf, e - UNAVAILABLE.length, e) === UNAVAILABLE) {
          g.unavailable = true;
          this.st = S.FRAMES;
          return this.took(end);
        }
        if (c !== 9 && c !== 32 && !(c === 103 && startsWith(buf, s, e, GOROUTINE_)) && !(c === 61 && latin1(buf, s, e) === END_MARKER)) {
          if (this.funcLine(buf, s, e)) {
            this.st = S.FUNC;
            return this.took(end);
          }
        }
        if (this.st === S.FRAMES) {
          // e.g. the next header without a blank line, or the END marker
          this.emit();
          this.st = S.BETWEEN;
          return this.line(buf, s, e, offset, end, lineNo);
        }
        return this.cut(offset, lineNo, `goroutine ${g.id}: header without frames`, buf, s, e, end);
      }
      case S.FUNC: {
        const r = this.locLine(buf, s, e);
        if (!r) {
          const n = g.n;
          return this.cut(offset, lineNo, `goroutine ${g.id}: function ${funcName(g.fBuf[n], g.fS[n], g.fE[n])} without its file line`, buf, s, e, end);
        }
        const n = g.n++;
        g.lBuf[n] = buf;
        g.lS[n] = r[0];
        g.lE[n] = r[1];
        this.st = S.FRAMES;
        return this.took(end);
      }
      case S.CREATED: {
        const r = fileLocRange(buf, s, e);
        if (!r) return this.cut(offset, lineNo, `goroutine ${g.id}: "created by" without its file line`, buf, s, e, end);
        g.createdLoc = latin1(buf, r[0], r[1]);
        this.st = S.CREATED_FILE;
        return this.took(end);
      }
      case S.CREATED_FILE:
        this.emit();
        this.st = S.BETWEEN;
        if (len === 0) return this.took(end);
        return this.line(buf, s, e, offset, end, lineNo);
      case S.BETWEEN:
        if (len === 0) return this.took(end);
        if (len === END_MARKER.length && buf[s] === 61 && latin1(buf, s, e) === END_MARKER) {
          this.took(end);
          this.close();
          return true;
        }
        if (this.header(buf, s, e)) {
          this.st = S.HEADER;
          return this.took(end);
        }
        this.close();
        return false;
    }
  }

  /** The input ended (offset: its length). Reports a cut when a goroutine was incomplete. */
  finish(offset: number, lineNo: number, reason?: string): void {
    switch (this.st) {
      case S.OUTSIDE:
        return;
      case S.FRAMES:
      case S.CREATED_FILE:
        this.emit();
        this.sink.dumpEnd(this.lastDumpEnd, reason ? { offset, line: lineNo, reason } : undefined);
        break;
      case S.BETWEEN:
        this.sink.dumpEnd(this.lastDumpEnd, reason ? { offset, line: lineNo, reason } : undefined);
        break;
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

  private close(): void {
    this.sink.dumpEnd(this.lastDumpEnd);
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
    let i = s;
    while (i < e && (buf[i] === 9 || buf[i] === 32)) i++;
    if (i === s || i === e) return null;
    const start = i;
    // the end of `path:line`: before " +0x…" (the usual last token), or " fp=… sp=… pc=…"
    let end = e;
    let sp = e - 1;
    while (sp > start && buf[sp] !== 32) sp--;
    if (sp > start) {
      if (buf[sp + 1] === 43 && buf[sp + 2] === 48 && buf[sp + 3] === 120) end = sp;
      else if (buf[sp + 1] === 112 && buf[sp + 2] === 99 && buf[sp + 3] === 61) end = locEndByScan(buf, start, e);
    }
    if (!endsWithLineNumber(buf, start, end)) return null;
    let a = this.fh1;
    for (let j = Math.max(start, end - 32); j < end; j++) a = Math.imul(a ^ buf[j], 16777619);
    h1 = a;
    h2 = this.fh2;
    hashSegment(end - start);
    this.fh1 = h1;
    this.fh2 = h2;
    return [start, end];
  }

  /** A line interrupted a goroutine: keep what was parsed, end the dump as cut, re-read the line. */
  private cut(offset: number, lineNo: number, reason: string, buf: Buffer, s: number, e: number, end: number): boolean {
    // it counts, with the frames that were complete (a function without its file line is dropped)
    this.emit();
    this.sink.dumpEnd(this.lastDumpEnd, { offset, line: lineNo, reason });
    this.st = S.OUTSIDE;
    return this.line(buf, s, e, offset, end, lineNo);
  }
}

function funcName(buf: Buffer, s: number, e: number): string {
  const line = latin1(buf, s, e);
  const p = line.endsWith(')') ? line.lastIndexOf('(') : -1;
  return p > 0 ? line.slice(0, p) : line;
}
