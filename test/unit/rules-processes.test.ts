// The stack's processes in T or D, and the evidence every layer gives on a container finding:
// a stopped `runc init` is named as the reason its container is stuck (with the runc start that
// waits on it, the shim, the task and containerd's waiting goroutines), a D seen by one read of
// /proc is normal work and no finding, a D seen by both is. Hand-built Snapshots (rule-cases.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allRules, evaluate } from '../../src/rules/index.ts';
import type { Finding, Snapshot } from '../../src/snapshot/types/index.ts';
import { failed } from './snapshot-fixture.ts';
import { CASES, PARKED } from './rule-cases.ts';
import type { Rule } from '../../src/rules/rule.ts';

const run = (name: string): Finding[] => evaluate(allRules, CASES[name]({} as Rule)).filter((f) => f.status === 'fail');
const of = (fs: Finding[], rule: string) => fs.filter((f) => f.rule === rule);
const STATE_RULES = ['RUNC_PROCESS_STATE', 'SHIM_PROCESS_STATE', 'CONTAINERD_PROCESS', 'NODE_D_STATE_TASKS'];

test('a stopped runc init is named as the reason its container is stuck, with every layer\'s evidence', () => {
  const fs = run('a parked runc init stopped, runc start waiting');
  const [init] = of(fs, 'RUNC_PROCESS_STATE');
  assert.equal(init.severity, 'critical');
  assert.match(init.summary, /^runc init 300 of pod prod\/web-0 container app is stopped \(T: SIGSTOP or a debugger\): the container cannot start; runc start 310 waits for it on exec\.fifo$/);
  assert.deepEqual({ pid: init.subject?.pid, containerId: init.subject?.containerId, pod: init.subject?.pod }, { pid: 300, containerId: PARKED, pod: 'prod/web-0' });
  const ev = init.evidence.join('\n');
  assert.match(ev, /runc init: pid 300 runc:\[2:INIT\] state T \(stopped\), wchan do_signal_stop, kernel stack do_signal_stop < get_signal/);
  assert.match(ev, /^runc: created \(exec\.fifo present/m);
  assert.match(ev, /^runc start: pid 310 runc state S, wchan wait_for_partner: waits for the init to open exec\.fifo$/m);
  assert.match(ev, /^shim: pid 200 \(state S\) answered ttrpc Connect in 2 ms$/m);
  assert.match(ev, /^containerd task: CREATED, pid 300$/m);
  assert.match(init.nextStep!, /^kill -CONT 300 /);
  assert.match(init.explanation!, /stopped init is the whole reason/);
  // CRI's side says the same: the Created container, and why
  const [cri] = of(fs, 'CRI_CONTAINER_NEVER_STARTED');
  assert.match(cri.summary, /prod\/web-0 container app \(attempt 1\) is Created for 600s: its runc init 300 is stopped \(T\), so it cannot start$/);
  assert.match(cri.nextStep!, /^kill -CONT 300 /);
  assert.match(cri.evidence[0], /^the newest attempt's runc init: pid 300 .* state T/);
});

test('containerd\'s goroutines that wait in a task Start are the evidence of a never-started container', () => {
  const [cri] = of(run('a container Created for 10 minutes, its Start waiting in containerd'), 'CRI_CONTAINER_NEVER_STARTED');
  assert.match(cri.evidence.join('\n'), /attempt 1 containerd goroutines: bucket 7: 1 in tasks\.\(\*local\)\.Start \[select, up to 3 min\]/);
  assert.doesNotMatch(cri.summary, /stopped/);
});

test('a parked init at work, a runc start waiting for it, a Created container: no state finding', () => {
  for (const name of ['a parked runc init, not stopped', 'a container Created for 10 minutes', 'healthy']) {
    assert.deepEqual(run(name).filter((f) => STATE_RULES.includes(f.rule)).map((f) => f.summary), [], name);
  }
});

test('D seen by one read of /proc is normal work; seen by both it is a finding, once, by the stack\'s own rule', () => {
  for (const name of ['a runc init in D once', 'a shim in D once', 'containerd in D once', 'a process in D once']) {
    assert.deepEqual(run(name).filter((f) => STATE_RULES.includes(f.rule)).map((f) => `${f.rule}: ${f.summary}`), [], name);
  }
  const initD = run('a runc init in D, seen twice');
  assert.deepEqual(initD.filter((f) => STATE_RULES.includes(f.rule)).map((f) => f.rule), ['RUNC_PROCESS_STATE'], 'the node rule leaves the stack\'s processes to the stack\'s rules');
  const [f] = of(initD, 'RUNC_PROCESS_STATE');
  assert.equal(f.severity, 'warning');
  assert.match(f.summary, /^runc init 300 of pod prod\/web-0 container app is in uninterruptible sleep \(D\)$/);
  assert.match(f.nextStep!, /^cat \/proc\/300\/stack \/proc\/300\/cgroup/);
  assert.match(of(run('a shim in D, seen twice'), 'SHIM_PROCESS_STATE')[0].summary, /^shim 200 of pod prod\/web-0 is in uninterruptible sleep \(D\)$/);
  assert.match(of(run('containerd in D, seen twice'), 'CONTAINERD_PROCESS')[0].summary, /containerd \(pid 100\) is in uninterruptible sleep \(D\)/);
  assert.match(of(run('a process in D, seen twice'), 'NODE_D_STATE_TASKS')[0].summary, /^pid 500 \(jbd2\/sda1-8\) is in D state in io_schedule$/);
  assert.deepEqual(run('containerd in D, seen twice').filter((f) => STATE_RULES.includes(f.rule)).map((f) => f.rule), ['CONTAINERD_PROCESS']);
  // another containerd on the node is not CONTAINERD_PROCESS's: the node rule keeps it
  const other = run('another containerd in D, seen twice').filter((f) => STATE_RULES.includes(f.rule));
  assert.deepEqual(other.map((f) => [f.rule, f.subject?.pid, f.severity]), [['NODE_D_STATE_TASKS', 600, 'critical']]);
});

test('a runc init in D at both reads of one run, out of D at the doctor\'s second look (joining namespaces waits on RCU on a busy node), is no finding', () => {
  const s = CASES['a runc init in D, seen twice']({} as Rule);
  const states = () => evaluate(allRules, s).filter((f) => f.status === 'fail' && STATE_RULES.includes(f.rule)).map((f) => f.rule);
  s.tree.data!.secondLook = { delayMs: 300, durationMs: 420, dropped: [], notInDAgain: [300] };
  assert.deepEqual(states(), []);
  // still in D at the second look: judged
  s.tree.data!.secondLook = { delayMs: 300, durationMs: 420, dropped: [] };
  assert.deepEqual(states(), ['RUNC_PROCESS_STATE']);
});

test('shims, pause and runc itself: stopped or traced, each named with what it holds up', () => {
  const shim = of(run('a shim stopped'), 'SHIM_PROCESS_STATE')[0];
  assert.equal(shim.severity, 'critical');
  assert.match(shim.summary, /^shim 200 of pod prod\/web-0 is stopped \(T: SIGSTOP or a debugger\): calls for its pod's containers hang$/);
  assert.equal(shim.subject?.shimPid, 200);
  assert.match(shim.evidence.join('\n'), /serves 2 container\(s\)/);
  const pause = of(run('a pause process stopped'), 'SHIM_PROCESS_STATE')[0];
  assert.equal(pause.severity, 'warning');
  assert.match(pause.summary, /^pause 210 of pod prod\/web-0 is stopped \(T: SIGSTOP or a debugger\)$/);
  assert.match(pause.explanation!, /pause process holds the pod's namespaces/);
  const traced = of(run('a runc init traced'), 'RUNC_PROCESS_STATE')[0];
  assert.match(traced.summary, /is stopped by a tracer \(t: a debugger or strace holds it\): the container cannot start/);
  assert.match(traced.nextStep!, /^grep TracerPid \/proc\/300\/status/);
  const start = of(run('runc start stopped'), 'RUNC_PROCESS_STATE')[0];
  assert.match(start.summary, /^runc start 310 of pod prod\/web-0 container app is stopped \(T: SIGSTOP or a debugger\): the shim's call waits for it$/);
  assert.equal(start.subject?.containerId, PARKED, 'the container from runc\'s argument');
  assert.match(of(run('runc start stopped'), 'CRI_CONTAINER_NEVER_STARTED')[0].summary, /its runc start 310 is stopped \(T\), so it cannot start/);
});

test('without the process tree the stack\'s state rules are skipped, never a pass', () => {
  const s: Snapshot = CASES.healthy({} as Rule);
  s.tree = failed('tree', 'error', 'tree: the process scan failed');
  for (const f of evaluate(allRules.filter((r) => r.id.endsWith('_PROCESS_STATE')), s)) assert.equal(f.status, 'error', f.rule);
});
