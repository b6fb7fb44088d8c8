// A runc init that starts between the /proc scan and the read of runc's state (a kubelet retry,
// each few seconds on a hung start) is read then and added to the process table, with the
// details a runc init gets: the tree shows every init runc's state names. On a fake proc root
// of a real capture (testdata/captures/proc/6.18.44/runc-init-parked).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scanProcesses } from '../../src/sources/proc/scan.ts';
import { addLateInits } from '../../src/collect/probes/runc.ts';
import type { RuncRootView } from '../../src/snapshot/types/runc.ts';

const CAP = join(import.meta.dirname, '../../testdata/captures/proc/6.18.44/runc-init-parked');
const cap = (f: string) => readFileSync(join(CAP, f), 'utf8');

test('an init runc\'s state names and the scan did not see is added; a gone one is not', async () => {
  const root = mkdtempSync(join(tmpdir(), 'ctrdoc-lateinit-'));
  try {
    writeFileSync(join(root, 'stat'), 'cpu  1 2 3\nbtime 1795733252\n');
    writeFileSync(join(root, 'uptime'), '300.00 500.00\n');
    const table = scanProcesses({ procRoot: root });
    assert.equal(table.processes.length, 0);
    // the init appears after the scan
    const d = join(root, '4407');
    mkdirSync(join(d, 'fd'), { recursive: true });
    mkdirSync(join(d, 'ns'));
    for (const f of ['stat', 'status', 'cmdline', 'cgroup', 'wchan', 'stack']) writeFileSync(join(d, f), cap(f));
    for (const line of cap('fd.txt').split('\n').filter(Boolean)) symlinkSync(line.split(' ')[1], join(d, 'fd', line.split(' ')[0]));
    const view = { root: '/run/containerd/runc/k8s.io', readAt: '', containers: [
      { id: 'created1', initPid: 4407, status: 'created' }, { id: 'gone', initPid: 4999, status: 'stopped' }, { id: 'nopid', status: 'stopped' },
    ] } as unknown as RuncRootView;
    await addLateInits(table, view);
    assert.deepEqual(table.processes.map((p) => p.pid), [4407]);
    const init = table.processes[0];
    assert.equal(init.comm, 'runc:[2:INIT]');
    assert.equal(init.wchan, 'wait_for_partner');
    assert.ok(init.kernelStack?.includes('fifo_open'), 'the stuck-init evidence too');
    await addLateInits(table, view);
    assert.equal(table.processes.length, 1, 'added once');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
