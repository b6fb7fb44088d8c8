// The stack's one resolution against real daemons: two labs at once, neither on the default
// socket, and no flag. doctor and `cri ps` find the same containerd, say which and why, list
// the other, and never say "containerd is not running"; with a kubelet stand-in (a process
// carrying kubelet's --container-runtime-endpoint, made by `lab fault kubelet`: kubelet cannot
// run here) naming the other lab, both follow kubelet. The scenario runs in a private PID and
// mount namespace so that it sees only its own daemons and kubelet (other tests and other
// people's labs run on this machine too); it judges nothing outside it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { isRoot } from './cli-run.ts';
import type { DoctorReport } from '../../src/report/doctor-report.ts';
import type { Container, StackLocation } from '../../src/snapshot/types/index.ts';

const unshare = spawnSync('unshare', ['--version']).status === 0;

interface Run { code: number | null; stderr: string; report?: DoctorReport; stack?: StackLocation }

test('two containerd daemons, no flags: doctor and cri ps agree, say which and why, and follow kubelet\'s endpoint',
  { skip: !isRoot ? 'not root: the labs run containerd, which needs root' : !unshare ? 'no unshare(1): the scenario needs a private PID namespace' : false, timeout: 900_000 },
  () => {
    const root = mkdtempSync('/tmp/ctrdoc-e2e-stack-');
    const [a, b] = [join(root, 'a'), join(root, 'b')];
    try {
      const r = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', process.execPath, '--import', 'tsx', join(import.meta.dirname, 'stack-scenario.ts'), a, b],
        { encoding: 'utf8', timeout: 850_000, killSignal: 'SIGKILL', cwd: join(import.meta.dirname, '..', '..'), env: { ...process.env, CONTAINER_RUNTIME_ENDPOINT: '' } });
      assert.equal(r.status, 0, r.stderr);
      const out = JSON.parse(r.stdout) as {
        error?: string; pids: Record<string, number>; kubeletNames: string;
        noFlags: { doctor: Run; criPs: { code: number; stderr: string; stdout: string } };
        withKubelet: { doctor: Run; criPs: { code: number; stderr: string; stdout: string } };
      };
      assert.equal(out.error, undefined, out.error);
      const pidOf = (d: string) => out.pids[d];
      const check = (phase: 'noFlags' | 'withKubelet', want: string, why: RegExp) => {
        const { doctor, criPs } = out[phase];
        assert.ok(doctor.code === 0 || doctor.code === 1, `${phase}: doctor exit ${doctor.code}: ${doctor.stderr}`);
        const report = doctor.report!;
        const stack = doctor.stack!;
        assert.equal(stack.containerdPid, pidOf(want), `${phase}: doctor talks to ${want}`);
        assert.equal(stack.address, join(want, 'containerd.sock'));
        assert.match(stack.daemons!.chosen!.why, why);
        const other = want === a ? b : a;
        assert.deepEqual(stack.daemons!.others.map((d) => d.pid), [pidOf(other)], `${phase}: the other lab is listed`);
        assert.match(stack.daemons!.pick, /--runtime-endpoint unix:\/\//);
        assert.match(doctor.stderr, /note: 2 containerd daemons run here; using pid \d+/);
        const proc = report.findings.find((f) => f.rule === 'CONTAINERD_PROCESS');
        assert.notEqual(proc?.status, 'fail', `${phase}: never "not running" while containerd runs: ${proc?.summary}`);
        assert.notEqual(report.findings.find((f) => f.rule === 'CRI_UNRESPONSIVE')?.status, 'fail', `${phase}: CRI answers`);
        // cri ps with no flags: the same daemon's containers, the same note
        assert.equal(criPs.code, 0, criPs.stderr);
        const containers = (JSON.parse(criPs.stdout) as { containers: Container[] }).containers;
        assert.equal(containers.length, 1, `${phase}: the one lab pod's app container`);
        assert.match(criPs.stderr, new RegExp(`using pid ${pidOf(want)} at ${want}/containerd\\.sock`));
      };
      const low = pidOf(a) < pidOf(b) ? a : b;
      check('noFlags', low, /lowest pid.*serve CRI|the first/);
      assert.notEqual(out.kubeletNames, low);
      check('withKubelet', out.kubeletNames, /kubelet's runtime endpoint \(kubelet \d+ --container-runtime-endpoint\)/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
