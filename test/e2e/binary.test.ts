// The single executable (npm run build:binary) on a node without Node.js: built here from the
// current dist/, then run in a mount namespace where the node binary is gone and with a PATH that
// has no node on it. It must still speak CRI, containerd and ttrpc, read /proc and judge: the
// doctor finds a real lab fault (a leaked runc container) on a lab of this test's own.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, realpathSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { ctrdoc, isRoot, labUp, type TestLab } from './cli-run.ts';
import { buildBinary } from './build-binary.ts';
import type { DoctorReport } from '../../src/report/doctor-report.ts';

const DIR = '/tmp/ctrdoc-e2e-binary';
const hasUnshare = spawnSync('unshare', ['--version']).status === 0;
const NODE_NAMES = new Set(['node', 'nodejs', 'npm', 'npx', 'corepack']);

describe('the single executable on a node with no Node.js', { skip: (!isRoot && 'not root: the lab and a mount namespace need root') || (!hasUnshare && 'no unshare (util-linux)') }, () => {
  let lab: TestLab;
  let tmp: string;
  let exe: string;
  let path: string;
  before(() => {
    ({ tmp, exe } = buildBinary('ctrdoc-binary-'));
    // a PATH with every system tool but no node: one dir of links
    const bin = join(tmp, 'path');
    mkdirSync(bin);
    for (const d of ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']) {
      let names: string[] = [];
      try {
        names = readdirSync(d);
      } catch {
        continue;
      }
      for (const n of names) {
        if (NODE_NAMES.has(n)) continue;
        try {
          symlinkSync(join(d, n), join(bin, n));
        } catch {
          // already linked from an earlier dir of PATH
        }
      }
    }
    path = bin;
    lab = labUp(DIR, 2);
  });
  after(() => {
    lab?.down();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  /** Runs the executable with node hidden: its binary bound over by an empty file, and no node on PATH. */
  const run = (args: string[]) => {
    const node = realpathSync(process.execPath);
    const script = `mount --bind /dev/null ${node} && ! command -v node >/dev/null && ! ${node} -e 0 2>/dev/null && exec "$@"`;
    return spawnSync('unshare', ['-m', '--propagation', 'private', '--', '/bin/sh', '-c', script, 'sh', exe, ...args], {
      encoding: 'utf8', timeout: 120_000, killSignal: 'SIGKILL', env: { PATH: path, HOME: tmp },
    });
  };

  test('it is one file that needs no node: --version, --help, and node is really gone', () => {
    assert.ok(statSync(exe).size > 1 << 20);
    const v = run(['--version']);
    assert.equal(v.status, 0, v.stderr);
    assert.match(v.stdout, /^ctrdoc \d+\.\d+\.\d+$/m);
    assert.match(run(['--help']).stdout, /Commands:[\s\S]*doctor/);
    // the guard itself: the same shell line refuses to go on while node still runs
    const probe = spawnSync('unshare', ['-m', '--', '/bin/sh', '-c', `mount --bind /dev/null ${realpathSync(process.execPath)} && ${realpathSync(process.execPath)} -e 0`], { env: { PATH: path } });
    assert.notEqual(probe.status, 0, 'node still ran inside the namespace');
  });

  test('cri ps speaks CRI from the executable, with the code caches it carries', () => {
    const r = run(['cri', 'ps', '-o', 'json', '-r', lab.endpoint]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).containers.length, 2);
    // the bundle, the codecs and their caches are the executable's assets, and V8 takes the caches
    const d = spawnSync(exe, ['cri', 'ps', '-r', lab.endpoint], { encoding: 'utf8', env: { PATH: path, CTRDOC_DEBUG: '1' }, timeout: 60_000 });
    assert.match(d.stderr, /code cache used .*ctrdoc-cri\.cache/);
    assert.match(d.stderr, /code cache used .*ctrdoc-vendor-cri\.cache/);
  });

  test('doctor finds a real fault (a leaked runc container) with no node on the machine', () => {
    const f = ctrdoc(['lab', 'fault', 'leaked-runc', '--dir', DIR], { timeoutMs: 120_000 });
    assert.equal(f.code, 0, f.stderr);
    try {
      const r = run(['doctor', ...lab.flags, '--no-goroutines', '-o', 'json']);
      assert.ok(r.status === 0 || r.status === 1, `doctor exit ${r.status}: ${r.stderr}`);
      const report = JSON.parse(r.stdout) as DoctorReport;
      const leaked = report.findings.filter((x) => x.rule === 'RUNC_LEAKED_CONTAINER' && x.status === 'fail');
      assert.equal(leaked.length, 1, JSON.stringify(report.findings.map((x) => `${x.rule}:${x.status}`)));
      assert.equal(r.status, 1);
      // every layer was reached from the executable: nothing "could not check" above the node
      assert.deepEqual(report.findings.filter((x) => x.status === 'error').map((x) => `${x.rule}: ${x.summary}`), []);
    } finally {
      ctrdoc(['lab', 'fault', 'clear', 'leaked-runc', '--dir', DIR], { timeoutMs: 120_000 });
    }
  });
});
