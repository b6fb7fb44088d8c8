// The node source on this real machine, and a cgroup frozen for real (cgroup v1 freezer): the
// source must report the cgroup and the task it froze (D state, __refrigerator on its stack).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmdirSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { collectNode } from '../../src/sources/node/index.ts';
import { nodeRules } from '../../src/rules/node.ts';
import { evaluate } from '../../src/rules/rule.ts';
import { emptySnapshot, ok } from '../unit/snapshot-fixture.ts';

const isRoot = process.getuid?.() === 0;

test('this machine: sane ranges for every fact', async () => {
  const v = await collectNode({ deadlineMs: 5000 });
  assert.ok(v.cpus >= 1);
  assert.ok(v.loadavg.every((x) => x >= 0 && x < 10_000));
  assert.ok(v.memTotalKb > 100_000 && v.memAvailableKb > 0 && v.memAvailableKb <= v.memTotalKb);
  assert.ok(v.pidMax! >= 301 && v.pidMax! <= 4_194_304);
  assert.ok(v.processCount! > 1 && v.threadCount! >= v.processCount! / 2);
  assert.ok(v.fileNr!.allocated > 0 && v.fileNr!.allocated < v.fileNr!.max);
  assert.ok(v.inotify!.maxUserInstances > 0);
  assert.match(v.inotify!.sampled, /processes/);
  if (existsSync('/proc/pressure/cpu')) assert.ok(v.psi?.cpu && v.psi.cpu.some.avg60 >= 0 && v.psi.cpu.some.avg60 <= 100);
  if (isRoot) assert.ok(v.kernelLog && v.kernelLog.linesRead > 0, v.notes.join('; '));
  const s = emptySnapshot();
  s.node = ok('node', v);
  for (const f of evaluate(nodeRules, s)) assert.ok(['pass', 'fail', 'skipped'].includes(f.status), `${f.rule}: ${f.status} ${f.summary}`);
});

const FREEZER = '/sys/fs/cgroup/freezer';
test('a frozen cgroup made for real is found, with its D-state task and kernel stack', {
  skip: !isRoot ? 'not root: freezing a cgroup needs root' : !existsSync(join(FREEZER, 'freezer.state')) && !existsSync(FREEZER) ? 'no cgroup v1 freezer hierarchy here' : false,
}, async () => {
  const dir = join(FREEZER, `ctrdoc-test-${process.pid}`);
  mkdirSync(dir);
  const child = spawn('sleep', ['600'], { stdio: 'ignore' });
  try {
    writeFileSync(join(dir, 'cgroup.procs'), String(child.pid));
    writeFileSync(join(dir, 'freezer.state'), 'FROZEN');
    for (let i = 0; i < 100 && readFileSync(join(dir, 'freezer.state'), 'utf8').trim() !== 'FROZEN'; i++) await sleep(20);
    const v = await collectNode({ deadlineMs: 10_000, kernelLog: false });
    const frozen = v.frozenCgroups.find((c) => c.path === dir);
    assert.deepEqual(frozen, { path: dir, state: 'FROZEN', pids: [child.pid] });
    const task = v.dStateTasks.find((t) => t.pid === child.pid);
    assert.ok(task, `the frozen sleep is in D state (${JSON.stringify(v.dStateTasks.slice(0, 3))})`);
    // the kernel stack is evidence; older kernels show __refrigerator, 6.x v1 freezer shows where the task stopped
    assert.ok(task.kernelStack?.length, 'the kernel stack is read');
    const s = emptySnapshot();
    s.node = ok('node', v);
    const findings = evaluate(nodeRules, s);
    const fz = findings.find((f) => f.rule === 'NODE_FROZEN_CGROUP' && f.subject?.path === dir);
    assert.equal(fz?.status, 'fail');
    assert.equal(fz?.severity, 'warning'); // not under kubepods: may be paused on purpose
    const d = findings.find((f) => f.rule === 'NODE_D_STATE_TASKS' && f.subject?.pid === child.pid);
    assert.match(d?.summary ?? '', /its cgroup is frozen/);
  } finally {
    writeFileSync(join(dir, 'freezer.state'), 'THAWED');
    child.kill('SIGKILL');
    await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r)));
    for (let i = 0; i < 50; i++) {
      try {
        rmdirSync(dir);
        break;
      } catch {
        await sleep(20);
      }
    }
  }
  assert.equal(existsSync(dir), false);
});
