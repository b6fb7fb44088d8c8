// Runs every test file with node's own runner through tsx, in one `node --test` run.
// `node scripts/test.mjs unit` runs only test/unit. Node 20's --test does not expand globs, so
// the files are listed here. The e2e files run on several containerd versions
// (test/e2e/versions.ts; CTRDOC_TEST_CONTAINERD=1.6,2.1 narrows them): as root, the versions
// are prepared first (fetched or built into /var/cache/ctrdoc once), so no test waits on a
// download. The run ends with one summary line for CI:
//   ctrdoc test: 412 tests, 400 pass, 0 fail, 12 todo, 0 skipped, 0 cancelled in 610 s (containerd 1.6,1.7,2.1,seed)
import { readdirSync, statSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';

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

const t0 = Date.now();
const tapDir = mkdtempSync(join(tmpdir(), 'ctrdoc-test-'));
const tap = join(tapDir, 'run.tap');
const r = spawnSync(process.execPath, [
  '--import', 'tsx', '--test', '--test-concurrency=2',
  '--test-reporter=spec', '--test-reporter-destination=stdout',
  '--test-reporter=tap', `--test-reporter-destination=${tap}`,
  ...files,
], { stdio: 'inherit' });
let summary = '';
try {
  const text = readFileSync(tap, 'utf8');
  const n = (k) => Number(new RegExp(`^# ${k} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  summary = `${n('tests')} tests, ${n('pass')} pass, ${n('fail')} fail, ${n('todo')} todo, ${n('skipped')} skipped, ${n('cancelled')} cancelled`;
} catch {
  summary = 'no summary (the test run did not finish its report)';
}
rmSync(tapDir, { recursive: true, force: true });
console.log(`ctrdoc test: ${summary} in ${Math.round((Date.now() - t0) / 1000)} s (${e2e ? `containerd ${versions.join(',')}` : 'unit only'})`);
process.exit(r.status ?? 1);
