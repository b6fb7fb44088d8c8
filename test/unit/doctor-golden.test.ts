// The doctor's rules and text renderer on a real Snapshot captured from a faulted lab
// (testdata/captures/snapshot/1.6.20/faulted, with the script that made it): the findings a person
// would check, and the whole report against a golden file (UPDATE_GOLDEN=1 rewrites it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { allRules, evaluate } from '../../src/rules/index.ts';
import { buildReport, focusOnPod } from '../../src/report/doctor-report.ts';
import { renderDoctorText } from '../../src/report/doctor-text.ts';
import type { Snapshot } from '../../src/snapshot/types/index.ts';

const dir = join(import.meta.dirname, '..', '..', 'testdata', 'captures', 'snapshot', '1.6.20', 'faulted');
const snapshot = JSON.parse(readFileSync(join(dir, 'snapshot.json'), 'utf8')) as Snapshot;
const report = buildReport(snapshot, evaluate(allRules, snapshot));
const failing = (rule: string) => report.findings.filter((f) => f.rule === rule && f.status === 'fail');

test('the captured faults are each found, on their subject', () => {
  const repeated = failing('RUNC_REPEATED_INIT');
  assert.equal(repeated.length, 1);
  assert.match(repeated[0].subject?.pod ?? '', /^ctrdoc-lab\/hung-start-/);
  assert.ok(failing('RUNC_STUCK_INIT').some((f) => /^ctrdoc-fault-stuck-/.test(f.subject?.containerId ?? '')));
  assert.ok(failing('RUNC_LEAKED_CONTAINER').some((f) => /^ctrdoc-fault-leaked-/.test(f.subject?.containerId ?? '')));
  assert.match(failing('SHIM_RESOURCE_OUTLIER')[0]?.subject?.pod ?? '', /^ctrdoc-lab\/busy-shim-/);
  assert.match(failing('CRI_CRASHLOOP')[0]?.subject?.pod ?? '', /^ctrdoc-lab\/crashloop-/);
  assert.equal(failing('KUBELET_CGROUP_DRIVER_MISMATCH').length, 1);
  assert.match(failing('CRI_CONTAINER_NEVER_STARTED')[0]?.subject?.pod ?? '', /^ctrdoc-lab\/hung-start-/);
  assert.deepEqual(failing('PROC_ORPHAN'), [], 'a leaked runc container is not also an orphan');
  assert.equal(report.summary.couldNotCheck, 0);
});

test('the text report matches its golden file', () => {
  const text = renderDoctorText(report, { all: true, color: false });
  const golden = join(dir, 'doctor.golden.txt');
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(golden, text);
  assert.equal(text, readFileSync(golden, 'utf8'));
});

test('--pod: one pod\'s findings and the stack\'s own, by name, namespace/name or id prefix; other pods left out and counted', () => {
  const pod = snapshot.cri.pods.data!.find((p) => p.metadata.name.startsWith('hung-start-'))!;
  for (const ask of [pod.metadata.name, `${pod.metadata.namespace}/${pod.metadata.name}`, pod.id.slice(0, 8)]) {
    const r = focusOnPod(report, snapshot, ask);
    const fails = r.findings.filter((f) => f.status === 'fail');
    const podsNamed = new Set(fails.map((f) => f.subject?.pod).filter(Boolean));
    assert.deepEqual([...podsNamed], [`${pod.metadata.namespace}/${pod.metadata.name}`], ask);
    assert.ok(fails.some((f) => f.rule === 'RUNC_REPEATED_INIT'), `${ask}: the pod's own finding`);
    assert.ok(fails.some((f) => f.rule === 'KUBELET_CGROUP_DRIVER_MISMATCH'), `${ask}: the stack's finding stays`);
    assert.ok(!fails.some((f) => f.rule === 'CRI_CRASHLOOP'), `${ask}: another pod's finding is left out`);
    assert.equal(r.focus?.hidden, report.findings.length - r.findings.length);
    assert.ok(r.focus!.hidden > 0);
    assert.equal(r.summary.critical + r.summary.warning + r.summary.info, fails.length, 'the summary counts what is shown');
  }
  const text = renderDoctorText(focusOnPod(report, snapshot, pod.metadata.name), { color: false });
  assert.match(text.split('\n')[2], new RegExp(`^pod ctrdoc-lab/${pod.metadata.name} \\(${pod.id.slice(0, 13)}\\) and the stack it runs on; \\d+ finding\\(s\\) about other pods left out$`));
});

test('--pod: a pod that is not there is an error naming the pods that are', () => {
  assert.throws(() => focusOnPod(report, snapshot, 'no-such-pod'), (e: Error & { kind?: string }) => {
    assert.equal(e.kind, 'not-found');
    assert.match(e.message, /--pod no-such-pod: no such pod on this node \(pods: ctrdoc-lab\/web-/);
    return true;
  });
  assert.throws(() => focusOnPod(report, snapshot, '  '), /--pod: empty/);
  // CRI did not answer: the findings' own subjects are matched
  const noCri = { ...snapshot, cri: { ...snapshot.cri, pods: { probe: 'cri.pods', status: 'timeout' as const, durationMs: 2000, message: 'no answer' } } };
  const r = focusOnPod(report, noCri, 'hung-start-6d9f7c5b8-2z2sh');
  assert.ok(r.findings.some((f) => f.rule === 'RUNC_REPEATED_INIT'));
  assert.ok(!r.findings.some((f) => f.rule === 'CRI_CRASHLOOP' && f.status === 'fail'));
});
