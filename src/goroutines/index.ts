// The goroutine analyser: scan (scan.ts, lines.ts) → bucket (bucket.ts) → analyse (analyse.ts,
// signatures.ts). `analyzeDump(text)` for a dump in memory; `GoroutineAnalyzer` (write/end) and
// `analyzeStream` / `analyzeFile` for files and sockets, in memory bounded by distinct stacks.
// An input that runs newest first (journalctl -r, told from its first 64 KiB: reverse.ts) is
// read from its end: a file block by block, a stream held in memory (up to 512 MiB).

import { closeSync, createReadStream, openSync, readSync, fstatSync } from 'node:fs';
import type {
  GoroutineAnalysis,
  GoroutineBucket,
  GoroutineCut,
  GoroutineDump,
  GoroutineDumpFormat,
  GoroutineDumpOrigin,
  GoroutineSimilarity,
} from '../snapshot/types/goroutines.ts';
import { GoroutineScanner } from './scan.ts';
import { Bucketer, type BucketAgg } from './bucket.ts';
import { genericFindings, lockContention, matchSignatures, piles, rankFindings, waitRanking } from './analyse.ts';
import { GOROUTINE_SIGNATURES } from './signatures.ts';
import type { ScannedGoroutine } from './lines.ts';
import { linesLastFirst, sniffOrder } from './reverse.ts';

export { GOROUTINE_SIGNATURES } from './signatures.ts';
export { shortName } from './analyse.ts';

export interface AnalyzeOptions {
  /** default 'pointer', as panicparse's default */
  similarity?: GoroutineSimilarity;
  /** receives every byte that is not part of a dump */
  onPassthrough?: (bytes: Buffer) => void;
  /**
   * 'detect' (default): judge the first SNIFF_BYTES and read a newest-first input from its end;
   * 'as-given': read it in the order written; 'last-first': the bytes come already read from
   * the end of a newest-first input (analyzeFile does that), `orderWhy` says how it was told.
   */
  order?: 'detect' | 'as-given' | 'last-first';
  orderWhy?: string;
}

/** How much of the input's head is judged for its order. */
export const SNIFF_BYTES = 64 * 1024;
/** A newest-first stream is held in memory to be read from its end, up to this size. */
export const MAX_HELD_BYTES = 512 * 1024 * 1024;

const TRACKED = new Set(GOROUTINE_SIGNATURES.flatMap((s) => (s.groupByReceiverOf ? [s.groupByReceiverOf] : [])));

interface OpenDump {
  format: GoroutineDumpFormat;
  start: number;
  bucketer: Bucketer;
}

export class GoroutineAnalyzer {
  private readonly scanner: GoroutineScanner;
  private readonly similarity: GoroutineSimilarity;
  private open: OpenDump | null = null;
  private readonly dumps: GoroutineDump[] = [];
  private readonly warnings: string[] = [];
  private passthroughBytes = 0;
  private result: GoroutineAnalysis | null = null;
  /** the head being judged for its order (order 'detect'), then null */
  private sniff: Buffer[] | null = null;
  private sniffLen = 0;
  /** a newest-first stream, held to be read from its end */
  private held: Buffer[] | null = null;
  private heldLen = 0;
  private lastFirst: string | undefined;
  /** bytes given to write() */
  private inputBytes = 0;

  constructor(opts: AnalyzeOptions = {}) {
    this.similarity = opts.similarity ?? 'pointer';
    const onPt = opts.onPassthrough;
    const order = opts.order ?? 'detect';
    if (order === 'detect') this.sniff = [];
    if (order === 'last-first') this.lastFirst = opts.orderWhy ?? 'as told';
    this.scanner = new GoroutineScanner({
      passthrough: (b) => {
        this.passthroughBytes += b.length;
        onPt?.(b);
      },
      dumpStart: (format, offset) => this.dumpStart(format, offset),
      goroutine: (g) => this.goroutine(g),
      dumpEnd: (end, origin, cut) => this.dumpEnd(end, origin, cut),
      warning: (m) => {
        if (this.warnings.length < 100) this.warnings.push(m);
      },
    }, this.similarity);
  }

  write(chunk: Buffer): void {
    this.inputBytes += chunk.length;
    if (this.sniff) {
      this.sniff.push(Buffer.from(chunk));
      this.sniffLen += chunk.length;
      if (this.sniffLen >= SNIFF_BYTES) this.judgeOrder();
      return;
    }
    if (this.held) {
      this.held.push(Buffer.from(chunk));
      this.heldLen += chunk.length;
      if (this.heldLen > MAX_HELD_BYTES) {
        // too big to turn around in memory: read it as given, and say so
        const held = this.held;
        this.held = null;
        this.warnings.push(`the input runs newest first (${this.lastFirst}) but is larger than ${MAX_HELD_BYTES >> 20} MiB: read as given; save it oldest first (journalctl without -r), or give it as a file`);
        this.lastFirst = undefined;
        for (const b of held) this.scanner.write(b);
      }
      return;
    }
    this.scanner.write(chunk);
  }

  /** The head is in: newest first → hold the input to read it from its end; else scan it. */
  private judgeOrder(): void {
    const head = Buffer.concat(this.sniff!, this.sniffLen);
    this.sniff = null;
    const v = sniffOrder(head);
    if (!v.reversed) {
      this.scanner.write(head);
      return;
    }
    this.lastFirst = v.why;
    this.held = [head];
    this.heldLen = head.length;
  }

  end(): GoroutineAnalysis {
    if (this.result) return this.result;
    if (this.sniff) this.judgeOrder();
    if (this.held) {
      const all = Buffer.concat(this.held, this.heldLen);
      this.held = null;
      for (const b of linesLastFirst((p, l) => all.subarray(p, p + l), all.length)) this.scanner.write(b);
    }
    this.scanner.end();
    if (this.lastFirst !== undefined) this.mapLastFirst();
    this.result = {
      similarity: this.similarity,
      inputBytes: this.inputBytes,
      passthroughBytes: this.passthroughBytes,
      dumps: this.dumps,
      warnings: this.warnings,
      ...(this.lastFirst !== undefined ? { newestFirst: true } : {}),
    };
    return this.result;
  }

  /** Read from its end: offsets and line numbers back to those of the input as given. */
  private mapLastFirst(): void {
    const size = this.scanner.offset;
    const lines = this.scanner.linesRead;
    for (const d of this.dumps) {
      [d.startOffset, d.endOffset] = [Math.max(0, size - d.endOffset), Math.max(0, size - d.startOffset)];
      if (d.cut) d.cut = { ...d.cut, offset: Math.max(0, size - d.cut.offset), line: Math.max(1, lines - d.cut.line + 1) };
    }
    this.warnings.unshift(`the input runs newest first (journalctl -r: ${this.lastFirst}): read from its end, oldest line first`);
  }

  private dumpStart(format: GoroutineDumpFormat, start: number): void {
    this.open = { format, start, bucketer: new Bucketer(this.similarity, TRACKED) };
  }

  private goroutine(g: ScannedGoroutine): void {
    this.open?.bucketer.add(g);
  }

  private dumpEnd(end: number, origin: GoroutineDumpOrigin, cut?: GoroutineCut): void {
    const o = this.open;
    if (!o) return;
    this.open = null;
    this.dumps.push(finishDump(this.dumps.length, o, end, origin, cut));
  }
}

/** A dump that ended (at `end`, or cut): its buckets, locks, piles and findings. */
function finishDump(index: number, { format, start, bucketer }: OpenDump, end: number, origin: GoroutineDumpOrigin, cut?: GoroutineCut): GoroutineDump {
  const aggs = bucketer.buckets();
  const locks = lockContention(aggs);
  const pileList = piles(aggs);
  const findings = rankFindings([...matchSignatures(aggs), ...genericFindings(aggs, locks, pileList)]);
  const dump: GoroutineDump = {
    index,
    format,
    origin,
    startOffset: start,
    endOffset: end,
    goroutines: bucketer.total,
    states: { ...bucketer.states },
    similarity: bucketer.similarity,
    buckets: aggs.map(plainBucket),
    waitRanking: waitRanking(aggs),
    lockContention: locks,
    piles: pileList,
    findings,
  };
  if (cut) dump.cut = cut;
  return dump;
}

/** Drops the internal tracking state: the Snapshot gets plain data only. */
function plainBucket(b: BucketAgg): GoroutineBucket {
  const { tracked: _t, ...rest } = b;
  return rest;
}

/** Analyses a whole dump held in memory (a string is read as UTF-8). */
export function analyzeDump(input: string | Buffer, opts: AnalyzeOptions = {}): GoroutineAnalysis {
  const a = new GoroutineAnalyzer(opts);
  const buf = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  // feed in slices so a huge input is not handled as one giant line buffer
  const step = 1 << 20;
  for (let i = 0; i < buf.length; i += step) a.write(buf.subarray(i, Math.min(buf.length, i + step)));
  return a.end();
}

/** Analyses a stream (a file, stdin, an HTTP response). */
export async function analyzeStream(stream: AsyncIterable<Buffer | string>, opts: AnalyzeOptions = {}): Promise<GoroutineAnalysis> {
  const a = new GoroutineAnalyzer(opts);
  for await (const chunk of stream) a.write(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return a.end();
}

/**
 * Analyses a file. Its head is judged first (unless opts.order says otherwise): a newest-first
 * file is read from its end, block by block, in bounded memory.
 */
export async function analyzeFile(path: string, opts: AnalyzeOptions = {}): Promise<GoroutineAnalysis> {
  if ((opts.order ?? 'detect') === 'detect') {
    const fd = openSync(path, 'r');
    try {
      const size = fstatSync(fd).size;
      const read = (pos: number, len: number): Buffer => {
        const b = Buffer.allocUnsafe(len);
        let got = 0;
        while (got < len) {
          const n = readSync(fd, b, got, len - got, pos + got);
          if (n === 0) break;
          got += n;
        }
        return b.subarray(0, got);
      };
      const head = read(0, Math.min(size, SNIFF_BYTES));
      const v = sniffOrder(head.subarray(0, head.lastIndexOf(10) + 1));
      if (v.reversed) {
        const a = new GoroutineAnalyzer({ ...opts, order: 'last-first', orderWhy: v.why });
        for (const b of linesLastFirst(read, size)) a.write(b);
        return a.end();
      }
    } finally {
      closeSync(fd);
    }
  }
  return analyzeStream(createReadStream(path, { highWaterMark: 256 * 1024 }), { ...opts, order: 'as-given' });
}
