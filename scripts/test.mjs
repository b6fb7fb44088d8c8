// Runs every test file with node's own runner through tsx, in one `node --test` run, after eslint
// on src/. `node scripts/test.mjs unit` runs only test/unit. Node 20's --test does not expand
// globs, so the files are listed here. The e2e files run on several containerd versions
// (test/e2e/versions.ts; CTRDOC_TEST_CONTAINERD=1.6,2.1 narrows them): as root, the versions
// are prepared first (fetched or built into /var/cache/ctrdoc once), so no test waits on a
// download. Around the whole run, what it leaves behind is checked (scripts/leftovers.mjs):
// a process, mount, lab cgroup or lab dir of this run still there after it fails the run.
// The run ends with one summary line for CI:
//   ctrdoc test: 412 tests, 400 pass, 0 fail, 12 todo, 0 skipped, 0 cancelled in 610 s (containerd 1.6,1.7,2.1,seed); eslint: clean; nothing left behind
import { readdirSync, statSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { spawn, spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { RUN_ENV, count, describe, leftovers, processKeys, runLabDirs } from './leftovers.mjs';

const only = process.argv[2];
const roots = only ? [join('test', only)] : ['test'];
const files = [];
const walk = (d) => {
  for (const name of readdirSync(d).sort()) {
    const p = join(d, name);
    if (statSync(p).isDirectory()) { if (name !== 'fixtures') walk(p); }
    else if (name.endsWith('.test.ts')) files.push(p);
  }
};
roots.forEach(walk);

const known = ['1.6', '1.7', '2.1', 'seed'];
const versions = (process.env.CTRDOC_TEST_CONTAINERD?.split(',').map((s) => s.trim()).filter(Boolean)) ?? known;
const e2e = files.some((f) => f.includes(`${join('test', 'e2e')}`));
if (e2e && process.getuid?.() === 0) {
  for (const v of versions.filter((x) => known.includes(x))) {
    const r = spawnSync(process.execPath, ['dist/ctrdoc.cjs', 'lab', 'prepare', '--containerd', v], { stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status !== 0) process.stderr.write(`test: containerd ${v} could not be prepared; its e2e tests will fail and say why\n`);
  }
}

// eslint on src/ (eslint.config.js): a finding fails the run like a failing test
let lint = 'eslint: not run (unit only)';
let lintFailed = false;
if (!only) {
  const l = spawnSync(process.execPath, ['node_modules/eslint/bin/eslint.js', 'src'], { stdio: 'inherit' });
  lintFailed = l.status !== 0;
  lint = lintFailed ? `eslint: FAILED (exit ${l.status}; its findings are above)` : 'eslint: clean';
}

const runId = `${process.pid}-${Date.now()}`;
const before = processKeys();
const labDirs = new Set();
const t0 = Date.now();
const tapDir = mkdtempSync(join(tmpdir(), 'ctrdoc-test-'));
const tap = join(tapDir, 'run.tap');
const child = spawn(process.execPath, [
  '--import', 'tsx', '--test', '--test-concurrency=2',
  '--test-reporter=spec', '--test-reporter-destination=stdout',
  '--test-reporter=tap', `--test-reporter-destination=${tap}`,
  ...files,
], { stdio: 'inherit', env: { ...process.env, [RUN_ENV]: runId } });
const exited = new Promise((res) => child.once('exit', (code, sig) => res(code ?? (sig ? 1 : 0))));
// while it runs: which labs are this run's (their supervisors carry the marker)
let watching = true;
const watcher = (async () => {
  while (watching) {
    runLabDirs(runId, labDirs);
    await Promise.race([sleep(1000), exited]);
  }
})();
const status = await exited;
watching = false;
await watcher;
runLabDirs(runId, labDirs);
let summary = '';
try {
  const text = readFileSync(tap, 'utf8');
  const n = (k) => Number(new RegExp(`^# ${k} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  summary = `${n('tests')} tests, ${n('pass')} pass, ${n('fail')} fail, ${n('todo')} todo, ${n('skipped')} skipped, ${n('cancelled')} cancelled`;
} catch {
  summary = 'no summary (the test run did not finish its report)';
}
rmSync(tapDir, { recursive: true, force: true });
const seconds = Math.round((Date.now() - t0) / 1000);

// what the run left: a process still exiting gets a few seconds (a bounded wait on that state)
let left = leftovers(runId, before, labDirs);
for (let i = 0; i < 20 && count(left) > 0; i++) {
  await sleep(500);
  left = leftovers(runId, before, labDirs);
}
const l = describe(left);
for (const line of l.lines) console.log(line);
console.log(`ctrdoc test: ${summary} in ${seconds} s (${e2e ? `containerd ${versions.join(',')}` : 'unit only'}); ${lint}; ${l.head} (${labDirs.size} labs watched)`);
process.exit(status !== 0 ? status : lintFailed || count(left) > 0 ? 1 : 0);
