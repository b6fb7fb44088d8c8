// The seed's real deadlock (containerd#6772, on the seed build) named as soon as the debug socket
// answers: `lab fault deadlock-6772` sets it (proved from outside by the fault itself, see
// lab-deadlock.test.ts), and at once, seconds into it, `ctrdoc doctor` names containerd#6772 in
// its first 10 lines, as one incident with the parked pods under it; NPD and Prometheus say the
// same. `ctrdoc bundle` of the node and `ctrdoc analyze` of that bundle name it too, and so does
// analyze of a bundle whose Snapshot carries no analysed dump (an older ctrdoc's, or a run that
// took none), from the raw dump the bundle carries.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ctrdoc, isRoot, labUp, type TestLab } from './cli-run.ts';
import { forVersions, versionDir } from './versions.ts';
import type { DoctorReport } from '../../src/report/doctor-report.ts';

const DIR_BASE = '/tmp/ctrdoc-e2e-dl-doc';
const ISSUE = 'containerd#6772';

forVersions('seed', (v) => {
const DIR = versionDir(DIR_BASE, v);
describe(`a deadlock seconds old, named live and from a bundle (containerd ${v})`, { skip: !isRoot && 'not root: the lab runs containerd' }, () => {
  let lab: TestLab;
  let work: string;
  let setAt = 0;
  before(() => {
    lab = labUp(DIR, 2, v);
    work = mkdtempSync(join(tmpdir(), 'ctrdoc-dl-'));
    const f = ctrdoc(['lab', 'fault', 'deadlock-6772', '--dir', DIR], { timeoutMs: 180_000 });
    assert.equal(f.code, 0, `lab fault deadlock-6772: ${f.stderr}`);
    setAt = Date.now();
  });
  after(() => {
    ctrdoc(['lab', 'fault', 'clear', '--all', '--dir', DIR], { timeoutMs: 180_000 });
    lab?.down();
    if (work) rmSync(work, { recursive: true, force: true });
  });
  const firstLines = (text: string) => text.split('\n').slice(0, 10).join('\n');

  test('doctor, at once: containerd#6772 in the first 10 lines, one incident with the stuck pods under it; NPD and Prometheus name it', () => {
    const r = ctrdoc(['doctor', ...lab.flags], { timeoutMs: 60_000 });
    const age = Math.round((Date.now() - setAt) / 1000);
    process.stderr.write(`# doctor ${age}s after the fault was set (its proof takes ~15 s of that), in ${r.ms} ms\n`);
    assert.equal(r.code, 1, r.stderr);
    assert.match(firstLines(r.stdout), new RegExp(ISSUE), r.stdout.slice(0, 2000));
    const json = ctrdoc(['doctor', ...lab.flags, '-o', 'json'], { timeoutMs: 60_000 });
    const report = JSON.parse(json.stdout) as DoctorReport;
    const top = report.incidents[0];
    assert.equal(top.severity, 'critical');
    assert.match(top.cause, /6772/);
    assert.ok(top.findings.root.some((k) => k.startsWith('CONTAINERD_GOROUTINES:containerd-6772')), JSON.stringify(top.findings));
    // the young deadlock is proven by the dump alone: the parked inits are younger than --stuck-after
    const lockCycle = report.findings.find((f) => f.rule === 'CONTAINERD_GOROUTINES' && f.status === 'fail' && /lock-order inversion/.test(f.summary));
    assert.ok(lockCycle, 'the lock-order inversion is a finding at any age');
    assert.equal(report.incidents.filter((i) => /6772/.test(i.cause)).length, 1, 'one incident');
    const npd = ctrdoc(['doctor', ...lab.flags, '--format', 'npd'], { timeoutMs: 60_000 });
    assert.match(npd.stdout.split('\n')[0], /6772/);
    const prom = ctrdoc(['doctor', ...lab.flags, '-o', 'prometheus'], { timeoutMs: 60_000 });
    assert.match(prom.stdout, /^ctrdoc_incident\{[^}]*cause="[^"]*6772[^"]*"[^}]*severity="critical"/m);
  });

  test('bundle, then analyze of that bundle: containerd#6772 in the first 10 lines; also when its Snapshot has no analysed dump', () => {
    const out = join(work, 'node.tar.gz');
    const b = ctrdoc(['bundle', '-o', out, ...lab.flags], { timeoutMs: 120_000 });
    assert.equal(b.code, 0, b.stderr);
    const a = ctrdoc(['analyze', out], { timeoutMs: 60_000 });
    assert.equal(a.code, 1, a.stderr);
    assert.match(firstLines(a.stdout), new RegExp(ISSUE), a.stdout.slice(0, 2000));

    // the same bundle as an older ctrdoc (or a run that took no dump) writes it: the Snapshot
    // without the analysis, the raw dump from the debug socket beside it
    const x = join(work, 'x');
    spawnSync('mkdir', ['-p', x]);
    assert.equal(spawnSync('tar', ['xzf', out, '-C', x]).status, 0);
    const [top] = readdirSync(x);
    assert.ok(readFileSync(join(x, top, 'goroutines', 'containerd.txt'), 'utf8').includes('WithConstLabels'), 'the bundle carries the raw dump');
    const snapPath = join(x, top, 'snapshot.json');
    const snap = JSON.parse(readFileSync(snapPath, 'utf8'));
    snap.containerd.goroutines = { probe: 'containerd.goroutines', status: 'skipped', durationMs: 0, message: 'nothing looked hung' };
    writeFileSync(snapPath, JSON.stringify(snap));
    const older = join(work, 'older.tar.gz');
    assert.equal(spawnSync('tar', ['czf', older, '-C', x, top]).status, 0);
    const o = ctrdoc(['analyze', older], { timeoutMs: 60_000 });
    assert.equal(o.code, 1, o.stderr);
    assert.match(firstLines(o.stdout), new RegExp(ISSUE), o.stdout.slice(0, 2000));
    const oj = JSON.parse(ctrdoc(['analyze', older, '-o', 'json'], { timeoutMs: 60_000 }).stdout) as DoctorReport;
    const f = oj.findings.find((x) => x.rule === 'CONTAINERD_GOROUTINES' && x.status === 'fail');
    assert.ok(f, 'judged from the bundle\'s goroutines/containerd.txt');
  });
});
});
