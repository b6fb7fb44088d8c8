// The doctor's rules and text renderer on a real Snapshot captured from a faulted lab
// (testdata/captures/snapshot/1.6.20/faulted, with the script that made it): the findings a person
// would check, and the whole report against a golden file (UPDATE_GOLDEN=1 rewrites it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { allRules, evaluate } from '../../src/rules/index.ts';
import { buildReport } from '../../src/report/doctor-report.ts';
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
