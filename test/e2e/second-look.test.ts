// The doctor's late look on a real lab (src/collect/second-look.ts): a tree fact that outlives the
// second look (300 ms) is looked at once more 2 s later, and judged only if it is still there.
// The fact is a task bundle dir whose shim is gone, the trace containerd's clean-up leaves for a
// moment after a shim exits, and for longer on a busy node (1.6's clean-up after a removed pod).
// The test writes that dir into the lab's own state dir, as containerd would (its address names a
// shim socket no shim serves; its shim.pid a process that has exited), beside the lab's real pod.
// containerd does not scan its state dir while it runs, so the lab is not touched. The doctor
// runs with CTRDOC_DEBUG, which prints each probe as it ends, the looks' own probes included:
// once the second look's tree is built, the test removes the dir, as a clean-up that finishes
// late would. The late look must drop the fact. Left in place, the fact is a finding.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ctrdocAsync, isRoot, labUp, type TestLab } from './cli-run.ts';
import { forVersions, versionDir } from './versions.ts';
import type { DoctorReport } from '../../src/report/doctor-report.ts';
import type { ProcessTreeView, Snapshot } from '../../src/snapshot/types/index.ts';
import { CRI_NAMESPACE, labPaths } from '../../src/lab/paths.ts';
import { PLUGIN_ID, SHIM_BUNDLE_FILES, readShimBootstrap } from '../../src/sources/containerd/layout.ts';

const DIR_BASE = '/tmp/ctrdoc-e2e-late';

interface Run {
  code: number | null;
  report: DoctorReport;
  secondLook: ProcessTreeView['secondLook'];
  stderr: string;
}

forVersions('suite', (v) => {
  const DIR = versionDir(DIR_BASE, v);
  describe(`the doctor's late look at a fact that outlives the second (containerd ${v})`, { skip: !isRoot && 'not root: the lab runs containerd and runc, which need root' }, () => {
    let lab: TestLab;
    const p = labPaths(DIR);
    const bundles = join(p.state, PLUGIN_ID.taskRuntime, CRI_NAMESPACE);
    const made: string[] = [];
    before(() => {
      lab = labUp(DIR, 1, v);
    });
    after(() => {
      for (const d of made) rmSync(d, { recursive: true, force: true });
      lab?.down();
    });

    /** A bundle dir as containerd leaves it when its shim is gone: returns its path. */
    const leftover = (): string => {
      // the real pod's bundle: the file that names its shim (1.x: address; 2.x: bootstrap.json)
      // says where the lab's shim sockets are, and in which format this version writes it
      const real = readdirSync(bundles).find((id) => /^[0-9a-f]{64}$/.test(id));
      assert.ok(real, `the lab's pod has a bundle in ${bundles}`);
      const as = existsSync(join(bundles, real, SHIM_BUNDLE_FILES.address)) ? 'address' : 'bootstrap';
      const file = SHIM_BUNDLE_FILES[as];
      const text = readFileSync(join(bundles, real, file), 'utf8');
      const { address } = readShimBootstrap({ [as]: text });
      const noShim = `${dirname(address)}/${randomBytes(32).toString('hex')}`;
      const dir = join(bundles, randomBytes(32).toString('hex'));
      // a pid that was a process a moment ago and is none now
      const gone = spawnSync('true').pid;
      mkdirSync(dir);
      made.push(dir);
      writeFileSync(join(dir, file), as === 'address' ? noShim : JSON.stringify({ ...JSON.parse(text), address: noShim }));
      writeFileSync(join(dir, 'shim.pid'), String(gone));
      return dir;
    };

    /** `ctrdoc doctor` on the lab; onLine sees each line of its stderr as it comes. */
    const doctor = async (onLine?: (line: string) => void): Promise<Run> => {
      const saved = join(DIR, `late-look-${randomBytes(4).toString('hex')}.json`);
      const r = await ctrdocAsync(['doctor', ...lab.flags, '--kubelet-log', join(DIR, 'kubelet', 'kubelet.log'), '--no-goroutines', '--timeout', '30s', '-o', 'json', '--snapshot', saved], {
        env: { CTRDOC_DEBUG: '1' },
        onStderrLine: onLine,
      });
      assert.ok(r.code === 0 || r.code === 1, `doctor exit ${r.code}: ${r.stderr}`);
      const snap = JSON.parse(readFileSync(saved, 'utf8')) as Snapshot;
      rmSync(saved, { force: true });
      return { code: r.code, report: JSON.parse(r.stdout) as DoctorReport, secondLook: snap.tree.data?.secondLook, stderr: r.stderr };
    };
    const leftoverFindings = (r: Run, dir: string) => r.report.findings.filter((f) => f.rule === 'SHIM_DEAD_LEFTOVER' && f.status === 'fail' && f.subject?.path === dir);
    /** The second look's or the late look's drop of this leftover (its fact names the bundle's id, shortened). */
    const droppedAbout = (r: Run, dir: string) => r.secondLook?.dropped.filter((d) => d.kind === 'dead-shim-leftover' && d.message.includes(basename(dir).slice(0, 12))) ?? [];

    test('a leftover cleaned up between the second look and the late one: dropped by the late look, no finding', async (t) => {
      const dir = leftover();
      let removedAt = '';
      const r = await doctor((line) => {
        // the second look's tree is built: the clean-up finishes now, 2 s before the late look
        if (!removedAt && /^debug: \+\d+ms second look: tree ok /.test(line)) {
          rmSync(dir, { recursive: true, force: true });
          removedAt = line;
        }
      });
      assert.ok(removedAt, `the second look's tree was built (CTRDOC_DEBUG lines):\n${r.stderr}`);
      assert.ok(r.secondLook, 'the doctor looked at the tree again');
      assert.equal(r.secondLook.note, undefined, `both looks were taken: ${r.secondLook.note}`);
      assert.equal(r.secondLook.lateDelayMs, 2000, 'the late look was taken: the fact outlived the second look');
      assert.match(r.stderr, /^debug: \+\d+ms late look: tree ok /m, 'the late look built its tree');
      assert.equal(droppedAbout(r, dir).length, 1, `the leftover is listed as dropped: ${JSON.stringify(r.secondLook.dropped)}`);
      assert.deepEqual(leftoverFindings(r, dir).map((f) => f.summary), [], 'no finding about a leftover that was cleaned up');
      t.diagnostic(`containerd ${v}: the second and late looks took ${r.secondLook.durationMs} ms (their budget: 5000)`);
    });

    test('a leftover still there at the late look: a finding, with its bundle dir and the dead shim.pid', async () => {
      const dir = leftover();
      const r = await doctor();
      assert.equal(r.secondLook?.note, undefined, `both looks were taken: ${r.secondLook?.note}`);
      assert.equal(r.secondLook?.lateDelayMs, 2000, 'the late look was taken');
      assert.deepEqual(droppedAbout(r, dir), [], 'not dropped');
      const found = leftoverFindings(r, dir);
      assert.equal(found.length, 1, `one SHIM_DEAD_LEFTOVER about ${dir}: ${JSON.stringify(r.report.findings.filter((f) => f.rule === 'SHIM_DEAD_LEFTOVER'))}`);
      const pid = readFileSync(join(dir, 'shim.pid'), 'utf8');
      assert.ok(found[0].evidence.some((e) => e.includes(pid)), `its evidence names shim.pid ${pid}: ${found[0].evidence.join('; ')}`);
      assert.equal(r.code, 1, 'a warning: exit 1');
    });
  });
});
