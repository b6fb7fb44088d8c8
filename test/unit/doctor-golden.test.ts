// The doctor's rules and text renderer on a real Snapshot captured from a faulted lab
// (testdata/captures/snapshot/1.6.20/faulted, with the script that made it): the findings a person
// would check, and the whole report against a golden file (UPDATE_GOLDEN=1 rewrites it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { allRules, evaluate } from '../../src/rules/index.ts';
import { buildReport, focusOnPod } from '../../src/report/doctor-report.ts';
import { renderDoctorText, renderNpdLine } from '../../src/report/doctor-text.ts';
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

// --- the diagnosis (incidents) on the faulted capture and on the real containerd#6772 deadlock ---

const seedDir = join(import.meta.dirname, '..', '..', 'testdata', 'captures', 'snapshot', 'seed-6772', 'deadlock');
const seed = JSON.parse(readFileSync(join(seedDir, 'snapshot.json'), 'utf8')) as Snapshot;
const seedReport = buildReport(seed, evaluate(allRules, seed));

test('the text report opens with the DIAGNOSIS, worst first, at most 5 incidents of at most 3 lines, before the detail', () => {
  const lines = renderDoctorText(report, { color: false }).split('\n');
  const start = lines.findIndex((l) => l.startsWith('DIAGNOSIS'));
  const detail = lines.findIndex((l) => l.startsWith('DETAIL'));
  assert.equal(start, 3, 'after the two header lines and a blank');
  const numbered = lines.slice(start, detail).filter((l) => /^ \d+\. (CRITICAL|WARNING|INFO)/.test(l));
  assert.ok(numbered.length >= 3 && numbered.length <= 5, `${numbered.length} incidents shown`);
  assert.match(numbered[0], /^ 1\. CRITICAL containerd creates tasks but never starts them/);
  // each incident: its number line and at most two more, then the next, "also:" or the end
  for (const [n, l] of lines.entries()) {
    if (!/^ \d+\. /.test(l)) continue;
    let more = 0;
    while (lines[n + 1 + more]?.startsWith('    ')) more++;
    assert.ok(more <= 2, `${l}: ${more + 1} lines`);
  }
  assert.ok(detail < 25, `the diagnosis fits a screen: DETAIL at line ${detail + 1}`);
});

test('repeats collapse: the three DeadlineExceeded episodes are one entry with a count; a leaked container that is also a stuck init is one', () => {
  const text = renderDoctorText(report, { color: false });
  assert.equal(text.match(/KUBELET_LOG_RUNTIME_DEADLINE_EXCEEDED/g)?.length, 1, 'one entry');
  // the stand-in kubelet's lines predate the containerd restart the bad-config fault made: before
  // the log window (since containerd started), so info
  assert.match(text, /INFO {5}KUBELET_LOG_RUNTIME_DEADLINE_EXCEEDED ×3: /);
  assert.equal(text.match(/also \(info\): 1 line\(s\) in one episode [^\n]*before the log window/g)?.length, 2);
  assert.match(text, /CRITICAL RUNC_STUCK_INIT \+ RUNC_LEAKED_CONTAINER: [^\n]*\[id ctrdoc-fault-stuck-/);
  assert.equal(text.match(/\[id ctrdoc-fault-stuck-[^\]]*\]/g)?.length, 1, 'the stuck leaked container is shown once');
  // the JSON keeps every finding
  assert.equal(report.findings.filter((f) => f.rule === 'KUBELET_LOG_RUNTIME_DEADLINE_EXCEEDED').length, 3);
});

test('the real containerd#6772 deadlock: named in the first 10 lines, and in the NPD line', () => {
  const text = renderDoctorText(seedReport, { color: false });
  const first10 = text.split('\n').slice(0, 10).join('\n');
  assert.match(first10, /CRITICAL containerd is deadlocked in its cgroup metrics collector \(containerd#6772\)/);
  assert.match(first10, /next: restart containerd now/);
  assert.match(first10, /fix: upgrade containerd to 1\.6\.3 or later/);
  assert.equal(renderNpdLine(seedReport), 'CONTAINERD_DEADLOCK_6772: containerd#6772 deadlock in the metrics collector\n');
  const golden = join(seedDir, 'doctor.golden.txt');
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(golden, text);
  assert.equal(text, readFileSync(golden, 'utf8'));
});

test('the NPD line names the top incident and its cause in at most 80 characters; the pods when they fit, whole', () => {
  assert.equal(renderNpdLine(report), 'CONTAINERD_TASKS_NEVER_START: containerd creates tasks but never starts them\n');
  const top = seedReport.incidents[0];
  const withPods = (pods: string[], short = top.short) => ({ ...seedReport, incidents: [{ ...top, pods, short }] });
  assert.equal(renderNpdLine(withPods(['ns/a'], 'containerd#6772 deadlock')), 'CONTAINERD_DEADLOCK_6772: containerd#6772 deadlock; 1 pod: ns/a\n');
  assert.equal(renderNpdLine(withPods(['ns/a', `ns/${'x'.repeat(60)}`], 'containerd#6772 deadlock')), 'CONTAINERD_DEADLOCK_6772: containerd#6772 deadlock; 2 pods: ns/a\n');
  assert.equal(renderNpdLine(withPods([`ns/${'x'.repeat(200)}`], 'containerd#6772 deadlock')), 'CONTAINERD_DEADLOCK_6772: containerd#6772 deadlock; 1 pod\n', 'a name that does not fit is left out, not cut');
  // no known cause: the rule and what it saw, as before incidents
  const observed = renderNpdLine({ ...report, incidents: report.incidents.filter((i) => i.certainty === 'observed') });
  assert.match(observed, /^NODE_LOAD_HIGH: load 18\.1 on 2 CPU\(s\)$/m);
  for (const r of [report, seedReport, withPods([`ns/${'x'.repeat(200)}`])]) assert.ok(renderNpdLine(r).length <= 81);
});
