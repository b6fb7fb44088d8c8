// What reading containerd's goroutine dump on every doctor run costs: `ctrdoc doctor` on a lab
// without the dump (--no-goroutines) and with it, from the lab containerd's own debug socket (a
// few hundred goroutines) and from a stand-in socket serving dumps of 1k and 100k goroutines
// scaled from real captures (bench/debug-socket-stub.ts: the lab cannot make a containerd with
// 100k goroutines), side by side with what a user runs instead to get the same dump:
// `ctr pprof goroutines` (which only prints it). Whole processes, in turns, median.
//   BENCH=dump npm run bench      CTRDOC_BENCH_PODS=20  CTRDOC_BENCH_RUNS=9
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { benchLab, cli, root } from './bench-lab.ts';
import { generateDump, OUT_DIR } from './goroutines-gen.ts';
import { loadLine, timeInTurns } from './process-timing.ts';

const pods = Number(process.env.CTRDOC_BENCH_PODS ?? 20);
const runs = Number(process.env.CTRDOC_BENCH_RUNS ?? 9);
const SIZES = [1_000, 100_000];

async function stub(sock: string, file: string): Promise<() => void> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'bench', 'debug-socket-stub.ts'), sock, file], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`debug socket stub exited ${code}`)));
  });
  return () => child.kill('SIGTERM');
}

export async function benchGoroutineDump(): Promise<void> {
  mkdirSync(OUT_DIR, { recursive: true });
  const files = SIZES.map((n) => {
    const p = join(OUT_DIR, `goroutines-${n}.txt`);
    if (!existsSync(p)) generateDump(p, n);
    return { n, p, sock: join(OUT_DIR, `debug-${n}.sock`) };
  });
  const lab = benchLab(process.env.CTRDOC_BENCH_LAB ?? '/tmp/ctrdoc-bench-dump', pods);
  const stops: (() => void)[] = [];
  try {
    for (const f of files) stops.push(await stub(f.sock, f.p));
    const debug = lab.flags.find((x) => x.startsWith('--debug-address='))!.slice('--debug-address='.length);
    const others = lab.flags.filter((x) => !x.startsWith('--debug-address='));
    const own = spawnSync(process.execPath, [cli, 'goroutines', '--address', debug, '-o', 'json'], { encoding: 'utf8', maxBuffer: 1 << 28 });
    const labGoroutines = own.status === 0 || own.status === 1 ? (JSON.parse(own.stdout) as { dumps: { goroutines: number }[] }).dumps[0]?.goroutines : undefined;
    const doctor = (label: string, extra: string[]) => ({ label, argv: [process.execPath, cli, 'doctor', ...others, ...extra], okCodes: [0, 1] });
    const rows = timeInTurns([
      { label: 'node -e 0', argv: [process.execPath, '-e', '0'] },
      doctor('doctor --no-goroutines', ['--no-goroutines']),
      doctor(`doctor, lab's dump (${labGoroutines ?? '?'} goroutines)`, [`--debug-address=${debug}`]),
      ...files.map((f) => doctor(`doctor, dump of ${f.n / 1000}k goroutines`, [`--debug-address=${f.sock}`])),
      ...files.map((f) => ({ label: `ctr pprof goroutines, ${f.n / 1000}k`, argv: ['ctr', '-a', lab.sock, 'pprof', '--debug-socket', f.sock, 'goroutines'] })),
    ], runs);
    const base = rows[1];
    const w = Math.max(...rows.map((r) => r.label.length));
    console.log(`\ngoroutine dump on every doctor run: ${pods} pods (${pods * 2} containers), median of ${runs} runs in turns; ${loadLine()}`);
    for (const r of rows) {
      const extra = r === base || r.label === 'node -e 0' ? '' : r.label.startsWith('doctor') ? `  +${(r.medianMs - base.medianMs).toFixed(0)} ms over --no-goroutines` : '';
      console.log(`  ${r.label.padEnd(w)}  median ${r.medianMs.toFixed(1).padStart(7)} ms  min ${r.minMs.toFixed(1).padStart(7)} ms${extra}${r.ok ? '' : '  (exit unexpected!)'}`);
    }
  } finally {
    for (const s of stops) s();
    for (const f of files) rmSync(f.sock, { force: true });
    lab.down();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchGoroutineDump();
