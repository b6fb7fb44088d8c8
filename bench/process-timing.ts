// Times whole processes, the way a user feels them: wall time from spawn to exit, repeated,
// reported as median and min, side by side with the tool a user would use instead.
import { spawnSync } from 'node:child_process';

export interface Timing {
  label: string;
  command: string;
  runs: number;
  medianMs: number;
  minMs: number;
  ok: boolean;
}

export function timeCommand(label: string, argv: string[], runs = 15, env?: NodeJS.ProcessEnv): Timing {
  const times: number[] = [];
  let ok = true;
  // one warm-up run so the page cache holds the binaries for every contender alike
  spawnSync(argv[0], argv.slice(1), { stdio: 'ignore', env: { ...process.env, ...env } });
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    const r = spawnSync(argv[0], argv.slice(1), { stdio: 'ignore', env: { ...process.env, ...env }, timeout: 60_000 });
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
    if (r.status !== 0) ok = false;
  }
  times.sort((a, b) => a - b);
  return { label, command: argv.join(' '), runs, medianMs: times[Math.floor(runs / 2)], minMs: times[0], ok };
}

export function printTimings(title: string, rows: Timing[], base: Timing): void {
  console.log(`\n${title}`);
  const w = Math.max(...rows.map((r) => r.label.length));
  for (const r of rows) {
    const ratio = r.medianMs / base.medianMs;
    console.log(`  ${r.label.padEnd(w)}  median ${r.medianMs.toFixed(1).padStart(7)} ms  min ${r.minMs.toFixed(1).padStart(7)} ms  ${ratio.toFixed(2)}x ${base.label}${r.ok ? '' : '  (exit != 0!)'}`);
  }
}
