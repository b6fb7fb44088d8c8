// ctrdoc's goroutine parser side by side with panicparse on the same files, in one run:
// dumps of 10k, 100k and 500k goroutines made by scaling the real captures
// (bench/goroutines-gen.ts, into bench/out/, not committed). For each: ctrdoc's parser
// in-process (a small bundle that runs analyzeFile), the CLI (`node dist/ctrdoc.cjs goroutines
// FILE -o json`), and `panicparse FILE`, each as its own process, wall time and peak RSS from
// /usr/bin/time -v (or VmHWM polled from /proc). Prints MB/s and ratios. Then the 100k dump as
// people paste it from a journal (every line behind `Dec  3 09:52:26 node1 containerd[8346]: `,
// and the same newest first, as journalctl -r prints it): ctrdoc's CLI only, panicparse reads
// neither.
//   npm run bench:goroutines            (builds first)
//   node --import tsx bench/goroutines.ts [COUNT...]
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { generateDump, OUT_DIR } from './goroutines-gen.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const PANICPARSE = '/usr/bin/panicparse';
const TIME = '/usr/bin/time';
/** panicparse runs are skipped when they would need more than this (extrapolated from a smaller size). */
const PP_MAX_RSS = 3 * 1024 * 1024 * 1024;
const PP_MAX_SECONDS = 60;

interface Run {
  seconds: number;
  peakBytes: number;
  stdout: string;
  code: number;
}

/** Each measurement is taken RUNS times and the fastest kept (the machine is shared). */
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 2));

async function best(cmd: string, args: string[], keep = false, runs = RUNS): Promise<Run> {
  let min: Run | undefined;
  for (let i = 0; i < runs; i++) {
    const r = await measureOnce(cmd, args, keep);
    if (!min || r.seconds < min.seconds) min = r;
  }
  return min!;
}

/** Runs cmd, returning wall time and peak RSS; stdout kept only when keep (else discarded). */
function measureOnce(cmd: string, args: string[], keep = false): Promise<Run> {
  const useTime = existsSync(TIME);
  const argv = useTime ? ['-v', cmd, ...args] : args;
  const bin = useTime ? TIME : cmd;
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(bin, argv, { stdio: ['ignore', keep ? 'pipe' : 'ignore', 'pipe'] });
    let out = '';
    let err = '';
    let hwm = 0;
    child.stdout?.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (err += d));
    const poll = useTime ? undefined : setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) hwm = Math.max(hwm, Number(m[1]) * 1024);
      } catch { /* exited */ }
    }, 20);
    child.on('error', reject);
    child.on('close', (code) => {
      if (poll) clearInterval(poll);
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(err);
      resolve({ seconds, peakBytes: m ? Number(m[1]) * 1024 : hwm, stdout: out, code: code ?? -1 });
    });
  });
}

const MB = 1024 * 1024;
const fmtS = (s: number) => `${s.toFixed(2)}s`;
const fmtMB = (b: number) => `${Math.round(b / MB)}MiB`;

async function main(): Promise<void> {
  const counts = process.argv.slice(2).map(Number).filter((n) => n > 0);
  const sizes = counts.length ? counts : [10_000, 100_000, 500_000];
  mkdirSync(OUT_DIR, { recursive: true });
  const cli = join(root, 'dist/ctrdoc.cjs');
  if (!existsSync(cli)) throw new Error('dist/ctrdoc.cjs is missing: run `npm run build` (npm run bench:goroutines does)');
  // the in-process runner: analyzeFile, bundled so no TypeScript loader runs inside the timing
  const runner = join(OUT_DIR, 'goroutines-runner.mjs');
  await build({
    stdin: {
      contents: `import { analyzeFile } from './src/goroutines/index.ts';
const t = performance.now();
const a = await analyzeFile(process.argv[2]);
const ms = performance.now() - t;
console.log(JSON.stringify({ ms, goroutines: a.dumps.reduce((n, d) => n + d.goroutines, 0), buckets: a.dumps.reduce((n, d) => n + d.buckets.length, 0) }));`,
      resolveDir: root,
      loader: 'ts',
    },
    bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: runner, logLevel: 'warning',
  });
  const havePP = existsSync(PANICPARSE);
  const rows: string[][] = [['GOROUTINES', 'MB', 'CTRDOC PARSE', 'MB/s', 'RSS', 'CTRDOC CLI', 'RSS', 'PANICPARSE', 'RSS', 'SPEED x', 'RSS /']];
  let ppPerGoroutine: { seconds: number; bytes: number } | undefined;
  for (const n of sizes) {
    const file = join(OUT_DIR, `goroutines-${n}.txt`);
    if (!existsSync(file)) generateDump(file, n);
    const bytes = statSync(file).size;
    const inproc = await best(process.execPath, [runner, file], true);
    const parsed = JSON.parse(inproc.stdout.trim()) as { ms: number; goroutines: number; buckets: number };
    if (parsed.goroutines !== n) throw new Error(`${file}: parsed ${parsed.goroutines} goroutines, expected ${n}`);
    const viaCli = await best(process.execPath, [cli, 'goroutines', file, '-o', 'json']);
    let pp: Run | undefined;
    let ppNote = '';
    if (!havePP) ppNote = 'not installed';
    else if (ppPerGoroutine && (ppPerGoroutine.bytes * n > PP_MAX_RSS || ppPerGoroutine.seconds * n > PP_MAX_SECONDS)) {
      ppNote = `skipped (would need ~${fmtMB(ppPerGoroutine.bytes * n)}, ~${Math.round(ppPerGoroutine.seconds * n)}s)`;
    } else {
      pp = await best(PANICPARSE, [file], false, n >= 500_000 ? 1 : RUNS);
      ppPerGoroutine = { seconds: pp.seconds / n, bytes: pp.peakBytes / n };
    }
    rows.push([
      String(n),
      (bytes / 1e6).toFixed(0),
      fmtS(parsed.ms / 1000),
      ((bytes / 1e6) / (parsed.ms / 1000)).toFixed(0),
      fmtMB(inproc.peakBytes),
      fmtS(viaCli.seconds),
      fmtMB(viaCli.peakBytes),
      pp ? fmtS(pp.seconds) : ppNote,
      pp ? fmtMB(pp.peakBytes) : '',
      pp ? `${(pp.seconds / viaCli.seconds).toFixed(1)} (cli) ${(pp.seconds / (parsed.ms / 1000)).toFixed(1)} (parse)` : '',
      pp ? `${(pp.peakBytes / viaCli.peakBytes).toFixed(1)}` : '',
    ]);
    process.stderr.write(`${n}: ${parsed.buckets} buckets\n`);
  }
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  console.log(rows.map((r) => r.map((c, i) => c.padEnd(w[i])).join('  ').trimEnd()).join('\n'));
  const framedOf = sizes.filter((n) => n <= 100_000).at(-1);
  if (framedOf) {
    console.log(`\nThe ${framedOf / 1000}k dump as pasted from a journal (ctrdoc CLI; panicparse reads neither):`);
    const plain = join(OUT_DIR, `goroutines-${framedOf}.txt`);
    const lines = readFileSync(plain, 'latin1').replace(/\n$/, '').split('\n');
    for (const [name, order] of [['journald, a line each', lines], ['journald, newest first', [...lines].reverse()]] as const) {
      const file = join(OUT_DIR, `goroutines-${framedOf}-${order === lines ? 'journald' : 'journald-r'}.txt`);
      if (!existsSync(file)) writeFramed(file, order);
      const r = await best(process.execPath, [cli, 'goroutines', file, '-o', 'json'], true);
      const got = (JSON.parse(r.stdout) as { dumps: { goroutines: number }[] }).dumps.reduce((n, d) => n + d.goroutines, 0);
      if (got !== framedOf) throw new Error(`${file}: read ${got} goroutines, expected ${framedOf}`);
      console.log(`  ${name.padEnd(24)} ${(statSync(file).size / 1e6).toFixed(0)} MB  ${fmtS(r.seconds)}  ${fmtMB(r.peakBytes)}`);
    }
  }
  console.log(`\nBest of ${RUNS} runs each. SPEED x: panicparse wall time / ctrdoc (CLI process, and parse alone); RSS /: panicparse peak RSS / ctrdoc CLI peak RSS.`);
  console.log(`Goals: at 100k, >= 10x faster at <= 1/10 the peak RSS; 500k under 10 s and 512 MiB. Peak RSS from ${existsSync(TIME) ? '/usr/bin/time -v' : '/proc/PID/status VmHWM'}.`);
}

/** Writes lines behind a journald short prefix, in bounded memory. */
function writeFramed(file: string, lines: readonly string[]): void {
  const fd = openSync(file, 'w');
  const prefix = 'Dec  3 09:52:26 node1 containerd[8346]:';
  for (let i = 0; i < lines.length; i += 50_000) {
    writeSync(fd, lines.slice(i, i + 50_000).map((l) => (l ? `${prefix} ${l}` : prefix)).join('\n') + '\n', null, 'latin1');
  }
  closeSync(fd);
}

await main();
