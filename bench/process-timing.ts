// Times whole processes, the way a user feels them: wall time from spawn to exit, repeated,
// reported as median and min, side by side with the tool a user would use instead, as a ratio.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface Timing {
  label: string;
  command: string;
  runs: number;
  medianMs: number;
  minMs: number;
  ok: boolean;
}

export function timeCommand(label: string, argv: string[], runs = 15, env?: NodeJS.ProcessEnv, okCodes: number[] = [0]): Timing {
  const times: number[] = [];
  let ok = true;
  // one warm-up run so the page cache holds the binaries for every contender alike
  spawnSync(argv[0], argv.slice(1), { stdio: 'ignore', env: { ...process.env, ...env } });
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    const r = spawnSync(argv[0], argv.slice(1), { stdio: 'ignore', env: { ...process.env, ...env }, timeout: 60_000 });
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
    if (!okCodes.includes(r.status ?? -1)) ok = false;
  }
  times.sort((a, b) => a - b);
  return { label, command: argv.join(' '), runs, medianMs: times[Math.floor(runs / 2)], minMs: times[0], ok };
}

/**
 * Times several commands in turns (A B C, A B C, ...) so a change in the machine's load hits
 * each alike: on a shared machine this is what keeps a ratio honest.
 */
export function timeInTurns(cmds: { label: string; argv: string[]; okCodes?: number[] }[], runs = 15): Timing[] {
  const times = cmds.map(() => [] as number[]);
  const ok = cmds.map(() => true);
  for (const c of cmds) spawnSync(c.argv[0], c.argv.slice(1), { stdio: 'ignore' });
  for (let i = 0; i < runs; i++) {
    cmds.forEach((c, j) => {
      const t = process.hrtime.bigint();
      const r = spawnSync(c.argv[0], c.argv.slice(1), { stdio: 'ignore', timeout: 60_000 });
      times[j].push(Number(process.hrtime.bigint() - t) / 1e6);
      if (!(c.okCodes ?? [0]).includes(r.status ?? -1)) ok[j] = false;
    });
  }
  return cmds.map((c, j) => {
    const t = times[j].sort((a, b) => a - b);
    return { label: c.label, command: c.argv.join(' '), runs, medianMs: t[Math.floor(runs / 2)], minMs: t[0], ok: ok[j] };
  });
}

export function printTimings(title: string, rows: Timing[], base: Timing): void {
  console.log(`\n${title}`);
  const w = Math.max(...rows.map((r) => r.label.length));
  for (const r of rows) {
    const ratio = r.medianMs / base.medianMs;
    console.log(`  ${r.label.padEnd(w)}  median ${r.medianMs.toFixed(1).padStart(7)} ms  min ${r.minMs.toFixed(1).padStart(7)} ms  ${ratio.toFixed(2)}x ${base.label}${r.ok ? '' : '  (exit != 0!)'}`);
  }
}

/** The machine's load, printed with every table: figures from a busy shared machine move. */
export function loadLine(): string {
  return `load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`;
}

/** The share of CPU time idle over ms, from /proc/stat's first line (all cores). */
export function idleShare(ms: number): number {
  const sample = () => {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    return { idle: f[3] + (f[4] ?? 0), total: f.reduce((a, b) => a + b, 0) };
  };
  const a = sample();
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  const b = sample();
  return b.total > a.total ? (b.idle - a.idle) / (b.total - a.total) : 1;
}

/**
 * Waits (up to maxMs) until the machine has been mostly idle for a second: growing a lab to 110
 * pods leaves containerd, the kernel and the shims busy for a while, and a table taken in that
 * burst measures the burst. Returns what it saw, for the table's heading.
 */
export function settle(minIdle = 0.8, maxMs = 90_000): string {
  const t0 = Date.now();
  let idle = 0;
  while (Date.now() - t0 < maxMs) {
    idle = idleShare(1000);
    if (idle >= minIdle) return `settled: ${Math.round(idle * 100)}% idle after ${Math.round((Date.now() - t0) / 1000)} s`;
  }
  return `not settled: ${Math.round(idle * 100)}% idle after ${Math.round(maxMs / 1000)} s (the figures carry that load)`;
}
