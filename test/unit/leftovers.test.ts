// scripts/leftovers.mjs, the suite's check of what a run leaves behind: a process carrying the
// run's marker is this run's; one carrying another run's marker, or none, is not (the machine is
// shared); a process that was there before the run is never counted; a dir named as a lab's is
// reported with its cgroup parent's name as src/lab/paths.ts makes it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
// @ts-expect-error: a plain .mjs script without types
import { RUN_ENV, cgroupParentOf, count, describe, leftovers, processKeys } from '../../scripts/leftovers.mjs';
import { labPaths } from '../../src/lab/paths.ts';

test('leftovers: this run\'s marker counts, another run\'s or none does not, nor what was there before', async () => {
  const children: ChildProcess[] = [];
  const start = (env: NodeJS.ProcessEnv) => {
    const c = spawn('sleep', ['300'], { stdio: 'ignore', env });
    children.push(c);
    return c;
  };
  const dir = mkdtempSync(join(tmpdir(), 'ctrdoc-leftovers-'));
  try {
    const old = start({ ...process.env, [RUN_ENV]: 'run-a' });
    await sleep(100);
    const before = processKeys();
    const mine = start({ ...process.env, [RUN_ENV]: 'run-a' });
    start({ ...process.env, [RUN_ENV]: 'run-b' });
    start({ PATH: process.env.PATH });
    await sleep(200);
    const l = leftovers('run-a', before, new Set([dir]));
    assert.deepEqual(l.processes.map((p: { pid: number }) => p.pid), [mine.pid], `only the new process with run-a's marker (not ${old.pid}, there before)`);
    assert.deepEqual(l.dirs, [dir], 'a lab dir still there');
    assert.equal(count(l), 2);
    assert.match(describe(l).head, /^LEFT BEHIND: 1 process\(es\), 0 mount\(s\), 0 lab cgroup\(s\), 1 lab dir\(s\)$/);
    assert.equal(cgroupParentOf(dir), labPaths(dir).cgroupParent);
  } finally {
    for (const c of children) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
  await sleep(100);
  assert.equal(describe(leftovers('run-a', new Set(), new Set())).head, 'nothing left behind', 'killed: gone (a zombie counts as gone)');
});
