// `ctrdoc cri ps` as a whole process on a lab with 100 pods (100 app containers, 200 containerd
// containers), side by side with `ctr containers ls` and the floor of any Node CLI (`node -e 0`).
// Goal (issue 2): ctrdoc cri ps within 40 ms of the Node floor. A copy of dist/ without the
// build's V8 code caches shows what they are worth.
import { join } from 'node:path';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { printTimings, timeCommand } from './process-timing.ts';

const root = join(import.meta.dirname, '..');
const cli = join(root, 'dist', 'ctrdoc.cjs');
const dir = process.env.CTRDOC_BENCH_LAB ?? '/tmp/ctrdoc-bench-cri';
const pods = Number(process.env.CTRDOC_BENCH_PODS ?? 100);

export function benchCri(): void {
  const up = spawnSync(process.execPath, [cli, 'lab', 'up', '--dir', dir, '--pods', String(pods)], { encoding: 'utf8', timeout: 600_000 });
  if (up.status !== 0) throw new Error(`lab up failed: ${up.stderr}`);
  const bare = mkdtempSync(join(tmpdir(), 'ctrdoc-bench-nocache-'));
  try {
    cpSync(join(root, 'dist'), bare, { recursive: true });
    for (const c of ['ctrdoc-main.cache', 'ctrdoc-vendor.cache']) rmSync(join(bare, c));
    const sock = join(dir, 'containerd.sock');
    const node = timeCommand('node -e 0', [process.execPath, '-e', '0']);
    const ctr = timeCommand('ctr -n k8s.io containers ls', ['ctr', '-a', sock, '-n', 'k8s.io', 'containers', 'ls']);
    const ps = timeCommand('ctrdoc cri ps', [process.execPath, cli, 'cri', 'ps', '-r', `unix://${sock}`]);
    const psBare = timeCommand('ctrdoc cri ps (no code cache)', [process.execPath, join(bare, 'ctrdoc.cjs'), 'cri', 'ps', '-r', `unix://${sock}`]);
    const psJson = timeCommand('ctrdoc cri ps -a -o json', [process.execPath, cli, 'cri', 'ps', '-a', '-o', 'json', '-r', `unix://${sock}`]);
    const help = timeCommand('ctrdoc --help', [process.execPath, cli, '--help']);
    const helpBare = timeCommand('ctrdoc --help (no code cache)', [process.execPath, join(bare, 'ctrdoc.cjs'), '--help']);
    printTimings(`cri ps on a lab with ${pods} pods (${pods} CRI containers)`, [node, ctr, ps, psBare, psJson, help, helpBare], node);
    console.log(`  ctrdoc cri ps over the Node floor: ${(ps.medianMs - node.medianMs).toFixed(1)} ms (goal: <= 40 ms); vs ctr: ${(ps.medianMs / ctr.medianMs).toFixed(1)}x`);
  } finally {
    rmSync(bare, { recursive: true, force: true });
    spawnSync(process.execPath, [cli, 'lab', 'down', '--dir', dir], { stdio: 'ignore', timeout: 300_000 });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) benchCri();
