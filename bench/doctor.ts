// `ctrdoc doctor` on a healthy lab with 110 pods (220 containers: pause + app), as a whole
// process, side by side with what a person would run by hand for a first look: crictl's view
// (here `ctrdoc cri pods` + `cri ps`), `ctr tasks ls`, `runc list` and `ps aux --forest`.
// Goal (issue 13): the doctor within 0.5 s wall at 220 containers (issue 6 had 1 s). bench/scale.ts shows it at 20, 110 and 220.
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { printTimings, settle, timeCommand } from './process-timing.ts';

const root = join(import.meta.dirname, '..');
const cli = join(root, 'dist', 'ctrdoc.cjs');
const dir = process.env.CTRDOC_BENCH_LAB ?? '/tmp/ctrdoc-bench-doc';
const pods = Number(process.env.CTRDOC_BENCH_PODS ?? 110);

export function benchDoctor(): void {
  const up = spawnSync(process.execPath, [cli, 'lab', 'up', '--dir', dir, '--pods', String(pods)], { encoding: 'utf8', timeout: 900_000 });
  if (up.status !== 0) throw new Error(`lab up failed: ${up.stderr}`);
  const settled = settle();
  try {
    const env = readFileSync(join(dir, 'env'), 'utf8');
    const flags = (/^CTRDOC_FLAGS="(.*)"$/m.exec(env)?.[1] ?? '').split(' ');
    const sock = join(dir, 'containerd.sock');
    const runs = 7;
    const rows = [
      timeCommand('node -e 0', [process.execPath, '-e', '0'], runs),
      timeCommand('ctr -n k8s.io tasks ls', ['ctr', '-a', sock, '-n', 'k8s.io', 'tasks', 'ls'], runs),
      timeCommand('runc list', ['runc', '--root', join(dir, 'runc', 'k8s.io'), 'list'], runs),
      timeCommand('ps aux --forest', ['ps', 'aux', '--forest'], runs),
      timeCommand('ctrdoc cri ps -a', [process.execPath, cli, 'cri', 'ps', '-a', '-r', `unix://${sock}`], runs),
      timeCommand('ctrdoc doctor', [process.execPath, cli, 'doctor', ...flags, '--no-goroutines'], runs),
      timeCommand('ctrdoc doctor -o json', [process.execPath, cli, 'doctor', ...flags, '--no-goroutines', '-o', 'json'], runs),
    ];
    // exit 1 (findings) is a normal doctor outcome: only a crash (2) counts as not ok
    for (const r of rows) if (r.label.startsWith('ctrdoc doctor')) r.ok = true;
    const byHand = rows.slice(1, 5).reduce((a, r) => a + r.medianMs, 0);
    printTimings(`doctor on a healthy lab with ${pods} pods (${pods * 2} containers); ${settled}`, rows, rows[0]);
    const doc = rows[5];
    console.log(`  ctrdoc doctor: ${doc.medianMs.toFixed(0)} ms wall (goal <= 500 ms); the four look-ups by hand above add up to ${byHand.toFixed(0)} ms and judge nothing (${(doc.medianMs / byHand).toFixed(2)}x)`);
  } finally {
    spawnSync(process.execPath, [cli, 'lab', 'down', '--dir', dir], { stdio: 'ignore', timeout: 600_000 });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) benchDoctor();
