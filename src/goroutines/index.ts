// The goroutine analyser: scan (scan.ts, lines.ts) → bucket (bucket.ts) → analyse (analyse.ts,
// signatures.ts). `analyzeDump(text)` for a dump in memory; `GoroutineAnalyzer` (write/end) and
// `analyzeStream` / `analyzeFile` for files and sockets, in memory bounded by distinct stacks.

import { createReadStream } from 'node:fs';
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

export { GOROUTINE_SIGNATURES } from './signatures.ts';
export { shortName } from './analyse.ts';

export interface AnalyzeOptions {
  /** default 'pointer', as panicparse's default */
  similarity?: GoroutineSimilarity;
  /** receives every byte that is not part of a dump */
  onPassthrough?: (bytes: Buffer) => void;
}

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

  constructor(opts: AnalyzeOptions = {}) {
    this.similarity = opts.similarity ?? 'pointer';
    const onPt = opts.onPassthrough;
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
    this.scanner.write(chunk);
  }

  end(): GoroutineAnalysis {
    if (this.result) return this.result;
    this.scanner.end();
    this.result = {
      similarity: this.similarity,
      inputBytes: this.scanner.offset,
      passthroughBytes: this.passthroughBytes,
      dumps: this.dumps,
      warnings: this.warnings,
    };
    return this.result;
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
    this.dumps.push(finishDump(this.dumps.length, o.format, o.start, end, origin, o.bucketer, cut));
  }
}

function finishDump(
  index: number,
  format: GoroutineDumpFormat,
  start: number,
  end: number,
  origin: GoroutineDumpOrigin,
  bucketer: Bucketer,
  cut?: GoroutineCut,
): GoroutineDump {
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

export function analyzeFile(path: string, opts: AnalyzeOptions = {}): Promise<GoroutineAnalysis> {
  return analyzeStream(createReadStream(path, { highWaterMark: 256 * 1024 }), opts);
}
