// Run by test/e2e/stack.test.ts inside a private PID and mount namespace (unshare), so that the
// only containerd daemons and kubelets it can see are its own: two labs, then a kubelet
// STAND-IN (a process with kubelet's flags, made by `lab fault kubelet`: kubelet cannot run
// here) naming the one not chosen by default. Prints what doctor and `cri ps` say, as JSON.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ctrdoc } from './cli-run.ts';

const [a, b] = process.argv.slice(2);
const out: Record<string, unknown> = {};
const labPid = (dir: string): number => JSON.parse(readFileSync(join(dir, 'lab.json'), 'utf8')).containerd.pid;
const doctor = () => {
  const file = join(a, '..', 'snapshot.json');
  const r = ctrdoc(['doctor', '-o', 'json', '--no-goroutines', '--snapshot', file], { timeoutMs: 90_000 });
  const parse = (text: string): unknown => {
    try {
      return JSON.parse(text);
    } catch {
      return undefined;
    }
  };
  let snapshot: { stack?: unknown } | undefined;
  try {
    snapshot = parse(readFileSync(file, 'utf8')) as { stack?: unknown };
    rmSync(file);
  } catch {
    snapshot = undefined;
  }
  return { code: r.code, stderr: r.stderr, report: parse(r.stdout), stack: snapshot?.stack };
};
const criPs = () => {
  const r = ctrdoc(['cri', 'ps', '-o', 'json'], { timeoutMs: 30_000 });
  return { code: r.code, stderr: r.stderr, stdout: r.stdout };
};
try {
  for (const d of [a, b]) {
    const up = ctrdoc(['lab', 'up', '--dir', d, '--pods', '1'], { timeoutMs: 240_000 });
    if (up.code !== 0) throw new Error(`lab up ${d}: ${up.stderr}`);
  }
  out.pids = { [a]: labPid(a), [b]: labPid(b) };
  out.noFlags = { doctor: doctor(), criPs: criPs() };
  // the stand-in names the lab with the higher pid: not the one chosen without it
  const named = labPid(a) > labPid(b) ? a : b;
  const k = ctrdoc(['lab', 'fault', 'kubelet', '--dir', named], { timeoutMs: 60_000 });
  if (k.code !== 0) throw new Error(`lab fault kubelet: ${k.stderr}`);
  out.kubeletNames = named;
  out.withKubelet = { doctor: doctor(), criPs: criPs() };
} catch (err) {
  out.error = (err as Error).message;
} finally {
  for (const d of [a, b]) ctrdoc(['lab', 'down', '--dir', d], { timeoutMs: 120_000 });
}
process.stdout.write(JSON.stringify(out));
