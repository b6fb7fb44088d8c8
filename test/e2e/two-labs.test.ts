// Two containerd daemons on one node, a fault in only one of them (Docker's containerd beside
// Kubernetes', k3s's beside a system one; here two labs). Lab B gets a parked `runc init` whose
// `runc create` has exited (it hangs under init, no shim says whose it is), a frozen pod (its
// processes in D) and a kubelet stand-in whose cgroupDriver disagrees with it; lab A gets a
// healthy stand-in of its own. kubelet cannot run here: the stand-ins are processes carrying
// kubelet's flags (`lab fault kubelet`). The doctor of A judges none of B's faults, and the
// doctor of B finds each of them: each doctor judges the containerd it chose (its runc root,
// its shims, its containers' cgroups, the kubelet that names it), not every runc on the node.
// This machine is shared: the node layer (load, PSI, the kernel log) is the machine's, so only
// what is about B's processes is judged there.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ctrdoc, isRoot, labUp, type TestLab } from './cli-run.ts';
import { versionDir } from './versions.ts';
import type { DoctorReport } from '../../src/report/doctor-report.ts';
import type { Finding } from '../../src/snapshot/types/index.ts';
import { setTimeout as sleep } from 'node:timers/promises';

describe('two labs at once, a fault in only one', { skip: !isRoot && 'not root: the labs run containerd and runc, which need root' }, () => {
  let a: TestLab;
  let b: TestLab;
  before(() => {
    a = labUp(versionDir('/tmp/ctrdoc-e2e-2a', '1.6'), 1, '1.6');
    b = labUp(versionDir('/tmp/ctrdoc-e2e-2b', '1.6'), 2, '1.6');
  });
  after(() => {
    for (const l of [b, a]) {
      if (!l) continue;
      ctrdoc(['lab', 'fault', 'clear', '--all', '--dir', l.dir], { timeoutMs: 120_000 });
      l.down();
    }
  });

  const fault = (lab: TestLab, ...args: string[]): Record<string, unknown> => {
    const r = ctrdoc(['lab', 'fault', ...args, '--dir', lab.dir], { timeoutMs: 120_000 });
    assert.equal(r.code, 0, `lab fault ${args.join(' ')}: ${r.stderr}`);
    const rest = r.stdout.slice(r.stdout.indexOf('\n') + 1).trim();
    return rest.startsWith('{') ? JSON.parse(rest) : {};
  };
  const doctor = (lab: TestLab): DoctorReport => {
    const r = ctrdoc(['doctor', ...lab.flags, '-o', 'json', '--stuck-after', '1s', '--no-goroutines'], { timeoutMs: 60_000 });
    assert.ok(r.code === 0 || r.code === 1, `doctor exit ${r.code}: ${r.stderr}`);
    return JSON.parse(r.stdout) as DoctorReport;
  };
  const failing = (r: DoctorReport, rule: string): Finding[] => r.findings.filter((f) => f.rule === rule && f.status === 'fail');

  test('the healthy lab\'s doctor judges none of the other\'s faults; the other\'s doctor finds each', async () => {
    const stuck = fault(b, 'stuck-init');
    const frozen = fault(b, 'frozen-pod');
    const bKubelet = fault(b, 'kubelet', '--variant', 'cgroup-driver');
    const aKubelet = fault(a, 'kubelet', '--variant', 'ok');
    // B's doctor first: it sees its own faults once its init is parked past --stuck-after (a
    // fresh runc init takes a moment to reach its fifo on a loaded machine: a bounded wait)
    let rb = doctor(b);
    for (let i = 0; i < 30 && !failing(rb, 'RUNC_STUCK_INIT').some((f) => f.subject?.pid === stuck.pid); i++) {
      await sleep(500);
      rb = doctor(b);
    }
    assert.ok(failing(rb, 'RUNC_STUCK_INIT').some((f) => f.subject?.pid === stuck.pid), 'B\'s doctor: its parked init');
    assert.ok(failing(rb, 'NODE_FROZEN_CGROUP').some((f) => f.subject?.podSandboxId === frozen.podId), 'B\'s doctor: its frozen pod');
    const bDriver = failing(rb, 'KUBELET_CGROUP_DRIVER_MISMATCH');
    assert.deepEqual(bDriver.map((f) => f.subject?.pid), [bKubelet.pid], 'B\'s doctor reads the kubelet that names B, among several');

    const ra = doctor(a);
    const bad = ra.findings.filter((f) => f.status === 'fail' && f.severity !== 'info' && f.layer !== 'node').map((f) => `${f.rule}: ${f.summary}`);
    assert.deepEqual(bad, [], 'A\'s doctor: nothing above the node layer');
    // the node layer is the machine's; none of it may be about B's processes or cgroups
    const bPids = new Set([stuck.pid, frozen.pid]);
    const aboutB = ra.findings.filter((f) => f.status === 'fail' && (bPids.has(f.subject?.pid) || f.subject?.path === frozen.freezer?.toString().replace(/\/freezer\.state$/, '')
      || f.subject?.podSandboxId === frozen.podId));
    assert.deepEqual(aboutB.map((f) => `${f.rule}: ${f.summary}`), [], 'A\'s doctor says nothing about B');
    const endpoint = ra.findings.find((f) => f.rule === 'KUBELET_RUNTIME_ENDPOINT');
    assert.equal(endpoint?.status, 'pass', `A's doctor reads A's own stand-in (pid ${aKubelet.pid}): ${endpoint?.summary}`);
    assert.equal(ra.findings.find((f) => f.rule === 'KUBELET_CGROUP_DRIVER_MISMATCH')?.status, 'pass');
  });
});
