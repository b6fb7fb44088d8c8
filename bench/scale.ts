// What one more container costs: ctrdoc cri ps, tree and doctor on one lab grown from 10 to 55 to
// 110 pods (20, 110 and 220 containers in containerd: a pause and an app per pod), each side by
// side with what a user runs instead: `ctr containers ls` (crictl is not packaged for Debian 12)
// and `ps aux --forest`, as ratios; then the cost per extra container from one size to the next.
// Goals at 220 containers (issue 13): cri ps <= node -e 0 + 40 ms, doctor <= 0.5 s, tree <= 0.25 s.
//   CTRDOC_BENCH_SIZES=10,55,110 (pods)  CTRDOC_BENCH_RUNS=N (default 9)
import { benchLab, cli } from './bench-lab.ts';
import { loadLine, timeInTurns, type Timing } from './process-timing.ts';

const sizes = (process.env.CTRDOC_BENCH_SIZES ?? '10,55,110').split(',').map(Number).filter((n) => n > 0).sort((a, b) => a - b);
const runs = Number(process.env.CTRDOC_BENCH_RUNS ?? 9);
const GOALS: Record<string, number> = { 'ctrdoc doctor': 500, 'ctrdoc tree': 250 };

export function benchScale(): void {
  const lab = benchLab(process.env.CTRDOC_BENCH_LAB ?? '/tmp/ctrdoc-bench-scale', sizes[0]);
  const results: { containers: number; rows: Timing[]; settled: string }[] = [];
  try {
    for (const pods of sizes) {
      lab.grow(pods);
      const settled = lab.settled;
      const rows = timeInTurns([
        { label: 'node -e 0', argv: [process.execPath, '-e', '0'] },
        { label: 'ctr containers ls', argv: ['ctr', '-a', lab.sock, '-n', 'k8s.io', 'containers', 'ls'] },
        { label: 'ps aux --forest', argv: ['ps', 'aux', '--forest'] },
        { label: 'ctrdoc cri ps', argv: [process.execPath, cli, 'cri', 'ps', '-r', lab.endpoint] },
        { label: 'ctrdoc tree', argv: [process.execPath, cli, 'tree', ...lab.flags] },
        // exit 1 (findings: this machine's own load, say) is a normal doctor outcome
        { label: 'ctrdoc doctor', argv: [process.execPath, cli, 'doctor', ...lab.flags, '--no-goroutines'], okCodes: [0, 1] },
      ], runs);
      results.push({ containers: pods * 2, rows, settled });
    }
  } finally {
    lab.down();
  }
  const labels = results[0].rows.map((r) => r.label);
  const w = Math.max(...labels.map((l) => l.length));
  console.log(`\nscale: median of ${runs} runs each, in turns, per lab size (containers in containerd); ${loadLine()}`);
  console.log(`  before each size's runs, the machine ${results.map((r) => `${r.containers} ctrs: ${r.settled}`).join('; ')}`);
  console.log(`  ${''.padEnd(w)}  ${results.map((r) => `${String(r.containers).padStart(5)} ctrs`.padStart(12)).join('')}   per extra container`);
  for (const label of labels) {
    const t = results.map((r) => r.rows.find((x) => x.label === label)!);
    const slopes = results.slice(1).map((r, i) => (t[i + 1].medianMs - t[i].medianMs) / (r.containers - results[i].containers));
    const bad = t.some((x) => !x.ok) ? '  (exit != expected!)' : '';
    console.log(`  ${label.padEnd(w)}  ${t.map((x) => `${x.medianMs.toFixed(1)} ms`.padStart(12)).join('')}   ${slopes.map((s) => `${s.toFixed(2)} ms`).join(', ')}${bad}`);
  }
  const last = results.at(-1)!;
  const get = (l: string) => last.rows.find((r) => r.label === l)!.medianMs;
  console.log(`\n  at ${last.containers} containers:`);
  console.log(`    ctrdoc cri ps: ${(get('ctrdoc cri ps') - get('node -e 0')).toFixed(1)} ms over node -e 0 (goal <= 40), ${(get('ctrdoc cri ps') / get('ctr containers ls')).toFixed(1)}x ctr containers ls`);
  for (const [label, goal] of Object.entries(GOALS)) {
    const ms = get(label);
    console.log(`    ${label}: ${ms.toFixed(0)} ms (goal <= ${goal}: ${ms <= goal ? 'met' : 'missed'}), ${(ms / get('ps aux --forest')).toFixed(1)}x ps aux --forest`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) benchScale();
