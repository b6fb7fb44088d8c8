// The line grammar of a Go goroutine dump (runtime.Stack, pprof debug=2, SIGQUIT and panic
// output), as a state machine over decoded lines. It sees one line at a time, says whether the
// line belongs to a dump, and hands each finished goroutine to its sink. It keeps one goroutine
// at a time (reused), never the dump.
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

export interface ScannedGoroutine {
  id: number;
  /** header state without minutes/flags */
  state: string;
  /** -1 when no wait time was printed */
  waitMinutes: number;
  locked: boolean;
  /** number of frames; funcLines/locs are reused arrays, only [0, n) is valid */
  n: number;
  /** the raw function line, e.g. `main.f(0x1, 0x2)` */
  funcLines: string[];
  /** `path:line` without the pc offset */
  locs: string[];
  createdBy: string;
  createdLoc: string;
  creatorId: number;
  elided: boolean;
  unavailable: boolean;
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

/** Parses `goroutine N [...]:` into g; false when the line is not a header. */
export function parseHeader(line: string, g: ScannedGoroutine): boolean {
  const m = reHeader.exec(line);
  if (!m) return false;
  g.id = Number(m[1]);
  g.waitMinutes = -1;
  g.locked = false;
  const parts = m[2].split(', ');
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

/** `\t/path/file.go:123 +0x1d fp=… sp=… pc=…` → `/path/file.go:123`, or '' when not a file line. */
export function fileLoc(line: string): string {
  let s = 0;
  while (s < line.length && (line.charCodeAt(s) === 9 || line.charCodeAt(s) === 32)) s++;
  if (s === 0) return '';
  let e = line.length;
  const fp = line.indexOf(' fp=', s);
  if (fp !== -1) e = fp;
  const pc = line.lastIndexOf(' +0x', e);
  if (pc !== -1 && pc > s) e = pc;
  const colon = line.lastIndexOf(':', e - 1);
  if (colon <= s || colon === e - 1) return '';
  for (let i = colon + 1; i < e; i++) {
    const c = line.charCodeAt(i);
    if (c < 48 || c > 57) return '';
  }
  return s === 0 && e === line.length ? line : line.slice(s, e);
}

/** True when the line looks like a function line: a symbol without spaces, with or without `(args)`. */
function isFuncLine(line: string): boolean {
  const c = line.charCodeAt(0);
  if (c === 9 || c === 32) return false;
  const paren = line.endsWith(')') ? line.lastIndexOf('(') : line.length;
  if (paren <= 0) return false;
  const sp = line.indexOf(' ');
  return sp === -1 || sp > paren;
}

export class StackLines {
  private st = S.OUTSIDE;
  private readonly g: ScannedGoroutine = {
    id: 0, state: '', waitMinutes: -1, locked: false, n: 0, funcLines: [], locs: [],
    createdBy: '', createdLoc: '', creatorId: -1, elided: false, unavailable: false,
  };
  /** end offset of the last line that belonged to the dump */
  private lastDumpEnd = 0;

  constructor(private readonly sink: LineSink) {}

  get inDump(): boolean {
    return this.st !== S.OUTSIDE;
  }

  /**
   * One line without its newline. offset: where it starts; end: where its bytes (newline
   * included) end. Returns true when the line is part of a dump.
   */
  line(line: string, offset: number, end: number, lineNo: number): boolean {
    if (line.length > 0 && line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
    const g = this.g;
    switch (this.st) {
      case S.OUTSIDE:
        if (line === BEGIN_MARKER) {
          this.open(offset);
          this.st = S.BETWEEN;
          return this.took(end);
        }
        if (line.charCodeAt(0) === 103 /* g */ && parseHeader(line, g)) {
          this.open(offset);
          this.st = S.HEADER;
          return this.took(end);
        }
        return false;
      case S.HEADER:
      case S.FRAMES:
        if (line.length === 0) {
          if (this.st === S.HEADER) return this.cut(offset, lineNo, `goroutine ${g.id}: header without frames`, line, end);
          this.emit();
          this.st = S.BETWEEN;
          return this.took(end);
        }
        if (line.startsWith('created by ')) {
          this.created(line.slice(11));
          this.st = S.CREATED;
          return this.took(end);
        }
        if (line === ELIDED) {
          g.elided = true;
          return this.took(end);
        }
        if (line.endsWith(UNAVAILABLE)) {
          g.unavailable = true;
          this.st = S.FRAMES;
          return this.took(end);
        }
        if (isFuncLine(line) && !line.startsWith('goroutine ') && line !== END_MARKER) {
          if (g.n === g.funcLines.length) {
            g.funcLines.push(line);
            g.locs.push('');
          } else g.funcLines[g.n] = line;
          this.st = S.FUNC;
          return this.took(end);
        }
        if (this.st === S.FRAMES) {
          // e.g. the next header without a blank line, or the END marker
          this.emit();
          this.st = S.BETWEEN;
          return this.line(line, offset, end, lineNo);
        }
        return this.cut(offset, lineNo, `goroutine ${g.id}: header without frames`, line, end);
      case S.FUNC: {
        const loc = fileLoc(line);
        if (!loc) {
          return this.cut(offset, lineNo, `goroutine ${g.id}: function ${shortFunc(g.funcLines[g.n])} without its file line`, line, end);
        }
        g.locs[g.n++] = loc;
        this.st = S.FRAMES;
        return this.took(end);
      }
      case S.CREATED: {
        const loc = fileLoc(line);
        if (!loc) return this.cut(offset, lineNo, `goroutine ${g.id}: "created by" without its file line`, line, end);
        g.createdLoc = loc;
        this.st = S.CREATED_FILE;
        return this.took(end);
      }
      case S.CREATED_FILE:
        this.emit();
        this.st = S.BETWEEN;
        if (line.length === 0) return this.took(end);
        return this.line(line, offset, end, lineNo);
      case S.BETWEEN:
        if (line.length === 0) return this.took(end);
        if (line === END_MARKER) {
          this.took(end);
          this.close();
          return true;
        }
        if (line.charCodeAt(0) === 103 && parseHeader(line, g)) {
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
        if (reason) this.sink.dumpEnd(this.lastDumpEnd, { offset, line: lineNo, reason });
        else this.sink.dumpEnd(this.lastDumpEnd);
        break;
      case S.BETWEEN:
        if (reason) this.sink.dumpEnd(this.lastDumpEnd, { offset, line: lineNo, reason });
        else this.sink.dumpEnd(this.lastDumpEnd);
        break;
      default: {
        const g = this.g;
        const what = this.st === S.FUNC
          ? `goroutine ${g.id}: input ended after function ${shortFunc(g.funcLines[g.n])}, before its file line`
          : this.st === S.CREATED ? `goroutine ${g.id}: input ended after "created by", before its file line`
            : `goroutine ${g.id}: input ended after its header`;
        this.emit(); // its header was seen: it counts, with the frames that were complete
        this.sink.dumpEnd(this.lastDumpEnd, { offset, line: lineNo, reason: reason ? `${what} (${reason})` : what });
      }
    }
    this.st = S.OUTSIDE;
  }

  private open(offset: number): void {
    this.sink.dumpStart(offset);
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

  private emit(): void {
    this.sink.goroutine(this.g);
  }

  /** A line interrupted a goroutine: keep what was parsed, end the dump as cut, re-read the line. */
  private cut(offset: number, lineNo: number, reason: string, line: string, end: number): boolean {
    // it counts, with the frames that were complete (a function without its file line is dropped)
    this.emit();
    this.sink.dumpEnd(this.lastDumpEnd, { offset, line: lineNo, reason });
    this.st = S.OUTSIDE;
    return this.line(line, offset, end, lineNo);
  }
}

function shortFunc(funcLine: string): string {
  const p = funcLine.endsWith(')') ? funcLine.lastIndexOf('(') : -1;
  return p > 0 ? funcLine.slice(0, p) : funcLine;
}
