// `ctrdoc cri ps` as a whole process on a lab with 110 pods (110 CRI containers, 220 containerd
// containers: kubelet's default max-pods), side by side with what a user runs instead (`ctr
// containers ls`, `ctr tasks ls`; crictl is not packaged for Debian 12) and with `ps aux --forest`,
// against the floor of any Node CLI (`node -e 0`). Goal (issue 13): cri ps within 40 ms of the
// floor. Also: the build without its V8 code caches, --help, and the single executable when
// dist/ctrdoc exists (npm run build:binary). All timed in turns, so the machine's load hits each alike.
//   CTRDOC_BENCH_PODS=N (default 110)  CTRDOC_BENCH_RUNS=N (default 21)
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchLab, cli, root } from './bench-lab.ts';
import { loadLine, printTimings, timeInTurns } from './process-timing.ts';

const pods = Number(process.env.CTRDOC_BENCH_PODS ?? 110);
const runs = Number(process.env.CTRDOC_BENCH_RUNS ?? 21);

export function benchCri(): void {
  const lab = benchLab(process.env.CTRDOC_BENCH_LAB ?? '/tmp/ctrdoc-bench-cri', pods);
  const bare = mkdtempSync(join(tmpdir(), 'ctrdoc-bench-nocache-'));
  try {
    cpSync(join(root, 'dist'), bare, { recursive: true, filter: (f) => !f.endsWith('/ctrdoc') });
    for (const c of ['ctrdoc-main', 'ctrdoc-vendor', 'ctrdoc-cri', 'ctrdoc-vendor-cri', 'ctrdoc-tree']) rmSync(join(bare, `${c}.cache`));
    const exe = join(root, 'dist', 'ctrdoc');
    const ps = ['cri', 'ps', '-r', lab.endpoint];
    const rows = timeInTurns([
      { label: 'node -e 0 (the floor)', argv: [process.execPath, '-e', '0'] },
      { label: 'ctr -n k8s.io containers ls', argv: ['ctr', '-a', lab.sock, '-n', 'k8s.io', 'containers', 'ls'] },
      { label: 'ctr -n k8s.io tasks ls', argv: ['ctr', '-a', lab.sock, '-n', 'k8s.io', 'tasks', 'ls'] },
      { label: 'ps aux --forest', argv: ['ps', 'aux', '--forest'] },
      { label: 'ctrdoc cri ps', argv: [process.execPath, cli, ...ps] },
      { label: 'ctrdoc cri ps -a -o json', argv: [process.execPath, cli, 'cri', 'ps', '-a', '-o', 'json', '-r', lab.endpoint] },
      { label: 'ctrdoc cri ps (no code cache)', argv: [process.execPath, join(bare, 'ctrdoc.cjs'), ...ps] },
      { label: 'ctrdoc --help', argv: [process.execPath, cli, '--help'] },
      ...(existsSync(exe) ? [
        { label: 'dist/ctrdoc cri ps (executable)', argv: [exe, ...ps] },
        { label: 'dist/ctrdoc --help (executable)', argv: [exe, '--help'] },
      ] : []),
    ], runs);
    const [floor, ctr] = rows;
    printTimings(`cri ps on a lab with ${pods} pods (${pods} CRI containers, ${pods * 2} in containerd); ${runs} runs each, in turns; ${loadLine()}; ${lab.settled}`, rows, floor);
    const over = (label: string) => rows.find((r) => r.label === label);
    const psRow = over('ctrdoc cri ps')!;
    const gap = psRow.medianMs - floor.medianMs;
    console.log(`  ctrdoc cri ps over the Node floor: ${gap.toFixed(1)} ms (goal <= 40 ms: ${gap <= 40 ? 'met' : 'missed'}); ${(psRow.medianMs / ctr.medianMs).toFixed(1)}x ctr containers ls`);
    const exeRow = over('dist/ctrdoc cri ps (executable)');
    if (exeRow) console.log(`  the single executable: cri ps ${exeRow.medianMs.toFixed(1)} ms, ${(exeRow.medianMs - floor.medianMs).toFixed(1)} ms over node -e 0`);
    else console.log('  (no dist/ctrdoc: npm run build:binary to time the single executable too)');
  } finally {
    rmSync(bare, { recursive: true, force: true });
    lab.down();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) benchCri();
