// Node facts: /proc parsers on real-format text and garbage, and the node rules (one hit and one
// miss each) on hand-built Snapshots.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync, mkdirSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { parseFileNr, parseKmsgRecord, parseLoadavg, parseMeminfo, parsePressure, parseSingleNumber, collectNode, frozenCgroups } from '../../src/sources/node/index.ts';
import { defaultLogWindow } from '../../src/sources/logs/index.ts';
import { nodeRules } from '../../src/rules/node.ts';
import { evaluate } from '../../src/rules/rule.ts';
import type { NodeView, Snapshot } from '../../src/snapshot/types/index.ts';
import { emptySnapshot, failed, ok } from './snapshot-fixture.ts';

test('parsers: real-format text', () => {
  assert.deepEqual(parseLoadavg('0.52 0.58 0.59 2/1203 43921\n'), { loadavg: [0.52, 0.58, 0.59], running: 2, threads: 1203 });
  const mem = parseMeminfo('MemTotal:        4028380 kB\nMemFree:          120000 kB\nMemAvailable:    2000000 kB\nHugePages_Total:       0\n');
  assert.deepEqual([mem.MemTotal, mem.MemAvailable, mem.HugePages_Total], [4028380, 2000000, 0]);
  assert.deepEqual(parsePressure('some avg10=1.50 avg60=2.00 avg300=0.10 total=123\nfull avg10=0.00 avg60=0.50 avg300=0.00 total=4\n'),
    { some: { avg10: 1.5, avg60: 2, avg300: 0.1 }, full: { avg10: 0, avg60: 0.5, avg300: 0 } });
  assert.deepEqual(parsePressure('some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n'), { some: { avg10: 0, avg60: 0, avg300: 0 } });
  assert.deepEqual(parseFileNr('2304\t0\t9223372036854775807\n'), { allocated: 2304, max: 9223372036854775807 });
  assert.equal(parseSingleNumber('4194304\n'), 4194304);
  assert.deepEqual(parseKmsgRecord('6,1234,5000000,-;Out of memory: Killed process 42 (containerd-shim)\n SUBSYSTEM=x', 1_000_000), { timeMs: 1_005_000, message: 'Out of memory: Killed process 42 (containerd-shim)' });
});

test('parsers: empty, truncated and garbage input give undefined or nothing, never NaN', () => {
  for (const bad of ['', 'x', '0.5 0.5', '\0\0\0', 'NaN NaN NaN 1/2 3']) assert.equal(parseLoadavg(bad), undefined, bad);
  assert.deepEqual(parseMeminfo(''), {});
  assert.equal(parsePressure('full avg10=1 avg60=1 avg300=1'), undefined);
  assert.equal(parseFileNr('abc'), undefined);
  assert.equal(parseSingleNumber(''), undefined);
  assert.equal(parseKmsgRecord('no semicolon', 0), undefined);
  assert.equal(parseKmsgRecord('6,1;x', 0), undefined);
  fc.assert(fc.property(fc.string({ maxLength: 200 }), (s) => {
    const l = parseLoadavg(s);
    assert.ok(!l || l.loadavg.every(Number.isFinite));
    const f = parseFileNr(s);
    assert.ok(!f || (Number.isFinite(f.allocated) && Number.isFinite(f.max)));
    const k = parseKmsgRecord(s, 0);
    assert.ok(!k || Number.isFinite(k.timeMs));
  }), { numRuns: 500 });
});

test('a fake /proc and cgroup tree: the source reads them, and the walk is bounded', async () => {
  const root = mkdtempSync(join(tmpdir(), 'ctrdoc-node-'));
  try {
    const proc = join(root, 'proc');
    mkdirSync(join(proc, 'pressure'), { recursive: true });
    mkdirSync(join(proc, 'sys/fs/inotify'), { recursive: true });
    mkdirSync(join(proc, 'sys/kernel'), { recursive: true });
    writeFileSync(join(proc, 'loadavg'), '9.00 8.00 7.00 3/500 1234\n');
    writeFileSync(join(proc, 'meminfo'), 'MemTotal: 1000 kB\nMemAvailable: 10 kB\n');
    writeFileSync(join(proc, 'pressure', 'memory'), 'some avg10=50.00 avg60=40.00 avg300=30.00 total=1\nfull avg10=20.00 avg60=15.00 avg300=10.00 total=1\n');
    writeFileSync(join(proc, 'sys/fs/file-nr'), '950\t0\t1000\n');
    writeFileSync(join(proc, 'sys/fs/inotify/max_user_instances'), '128\n');
    writeFileSync(join(proc, 'sys/kernel/pid_max'), '520\n');
    writeFileSync(join(proc, 'stat'), 'cpu 1 2 3\nbtime 1795730000\n');
    mkdirSync(join(proc, '77'));
    writeFileSync(join(proc, '77', 'stat'), '77 (runc:[2:INIT]) D 1 77 77 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 100 0 0');
    writeFileSync(join(proc, '77', 'wchan'), '__refrigerator');
    writeFileSync(join(proc, '77', 'stack'), '[<0>] __refrigerator+0x4c/0x130\n[<0>] unix_stream_read_generic+0x8a/0x8e0\n');
    mkdirSync(join(proc, '78')); // vanished
    const cg = join(root, 'cgroup');
    mkdirSync(join(cg, 'freezer/kubepods/pod1/ctr1'), { recursive: true });
    writeFileSync(join(cg, 'freezer/kubepods/freezer.state'), 'THAWED\n');
    writeFileSync(join(cg, 'freezer/kubepods/pod1/freezer.state'), 'FROZEN\n');
    writeFileSync(join(cg, 'freezer/kubepods/pod1/cgroup.procs'), '77\n');
    writeFileSync(join(cg, 'freezer/kubepods/pod1/ctr1/freezer.state'), 'FROZEN\n');
    const dmesg = join(root, 'dmesg');
    writeFileSync(dmesg, '#!/bin/sh\necho "[Thu Nov 26 22:47:33 2026] Out of memory: Killed process 4242 (containerd-shim) total-vm:1kB"\n');
    chmodSync(dmesg, 0o755);
    const v = await collectNode({ procRoot: proc, cgroupRoot: cg, kmsgPath: join(root, 'no-kmsg'), dmesgBinary: dmesg, cpus: 2 });
    assert.deepEqual(v.loadavg, [9, 8, 7]);
    assert.equal(v.threadCount, 500);
    assert.equal(v.processCount, 2);
    assert.deepEqual(v.dStateTasks, [{ pid: 77, comm: 'runc:[2:INIT]', wchan: '__refrigerator', kernelStack: ['__refrigerator', 'unix_stream_read_generic'] }]);
    // the frozen child of a frozen cgroup is not reported twice
    assert.deepEqual(v.frozenCgroups, [{ path: join(cg, 'freezer/kubepods/pod1'), state: 'FROZEN', pids: [77] }]);
    assert.equal(v.kernelLog?.source, `dmesg:${dmesg}`);
    assert.deepEqual(v.kernelLog?.episodes.find((e) => e.pattern === 'KERNEL_OOM_KILLED_RUNTIME')?.captures.comm, ['containerd-shim']);
    assert.match(v.notes.join('\n'), /no-kmsg: ENOENT; trying dmesg/);
    const s = emptySnapshot();
    s.node = ok('node', v);
    const failing = evaluate(nodeRules, s).filter((f) => f.status === 'fail').map((f) => f.rule).sort();
    assert.deepEqual(failing, ['KERNEL_OOM_KILL', 'KERNEL_OOM_KILLED_RUNTIME', 'NODE_D_STATE_TASKS', 'NODE_FILE_HANDLES', 'NODE_FROZEN_CGROUP', 'NODE_LOAD_HIGH', 'NODE_MEMORY_LOW', 'NODE_PIDS', 'NODE_PRESSURE_HIGH']);
    // a walk budget of one directory stops and says so
    const notes: string[] = [];
    assert.deepEqual(await frozenCgroups(cg, 1, () => false, notes), []);
    assert.match(notes[0], /stopped after 1 directories/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a saved kernel log (journalctl -k, newest first) is read through its prefixes, with the log window', async () => {
  const root = mkdtempSync(join(tmpdir(), 'ctrdoc-node-'));
  try {
    const file = join(root, 'kern.log');
    // journalctl -k -r as saved on a node: newest first, other processes' lines in between
    writeFileSync(file, [
      'Dec 03 11:50:01 node1 kernel: INFO: task runc:[2:INIT]:31337 blocked for more than 120 seconds.',
      'Dec 03 11:49:00 node1 systemd[1]: Started Session 9 of User root.',
      'Dec 03 11:48:00 node1 kernel: INFO: task runc:[2:INIT]:31337 blocked for more than 120 seconds.',
      'Dec 03 02:10:00 node1 kernel: Out of memory: Killed process 4242 (containerd-shim) total-vm:1234kB, anon-rss:100kB',
      'Dec 03 02:09:00 node1 kernel: Memory cgroup out of memory: Killed process 777 (nginx) total-vm:1kB',
    ].join('\n') + '\n');
    const now = new Date(2026, 11, 3, 12, 0, 0).getTime();
    utimesSync(file, now / 1000, now / 1000); // year-less lines are placed by the file's time
    const window = defaultLogWindow(now - 3 * 3_600_000, now);
    const v = await collectNode({ procRoot: join(root, 'proc'), cgroupRoot: join(root, 'cg'), kernelLogFile: file, logWindow: window, cpus: 1 });
    const k = v.kernelLog!;
    assert.equal(k.source, `file:${file}`);
    assert.equal(k.newestFirst, true);
    assert.deepEqual(k.window, window);
    const by = (id: string) => k.episodes.filter((e) => e.pattern === id);
    assert.deepEqual(by('KERNEL_HUNG_TASK').map((e) => [e.count, e.beforeWindow ?? false]), [[2, false]]);
    assert.deepEqual(by('KERNEL_OOM_KILLED_RUNTIME').map((e) => [e.count, e.beforeWindow ?? false]), [[1, true]], 'the night\'s OOM kill is before containerd\'s start');
    assert.match(k.notes!.join('\n'), /1 line\(s\) logged by other processes were not matched \(systemd 1\)/);
    const missing = await collectNode({ procRoot: join(root, 'proc'), cgroupRoot: join(root, 'cg'), kernelLogFile: join(root, 'nope'), cpus: 1 });
    assert.equal(missing.kernelLog, undefined);
    assert.match(missing.notes.join('\n'), /kernel log unavailable: log file .*nope does not exist/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

// ---- rules: one hit and one miss each ----

const healthy: NodeView = {
  cpus: 4, loadavg: [1, 1, 1], memTotalKb: 8_000_000, memAvailableKb: 6_000_000,
  psi: { cpu: { some: { avg10: 1, avg60: 1, avg300: 1 } }, memory: { some: { avg10: 0, avg60: 0, avg300: 0 }, full: { avg10: 0, avg60: 0, avg300: 0 } }, io: { some: { avg10: 0, avg60: 0, avg300: 0 }, full: { avg10: 0, avg60: 0, avg300: 0 } } },
  fileNr: { allocated: 1000, max: 100_000 }, pidMax: 32768, processCount: 200, threadCount: 900,
  inotify: { maxUserInstances: 128, byProcess: [{ pid: 1, comm: 'systemd', uid: 0, count: 4 }], byUser: [{ uid: 0, count: 4 }], sampled: 'all 200 processes (3000 fd links)' },
  dStateTasks: [], frozenCgroups: [],
  kernelLog: { source: 'kmsg:/dev/kmsg', linesRead: 10, bytesRead: 100, from: '', to: '', tail: [], episodes: [], truncated: false },
  notes: [],
};
function withNode(patch: Partial<NodeView>): Snapshot {
  const s = emptySnapshot();
  s.node = ok('node', { ...structuredClone(healthy), ...patch });
  return s;
}
const one = (id: string, s: Snapshot) => evaluate(nodeRules.filter((r) => r.id === id), s)[0];

test('healthy node: every node rule passes', () => {
  for (const f of evaluate(nodeRules, withNode({}))) assert.equal(f.status, 'pass', `${f.rule}: ${f.summary}`);
});

test('node probe failed: could not check, not healthy', () => {
  const s = emptySnapshot();
  s.node = failed('node', 'timeout', 'node: no answer within 3s');
  for (const f of evaluate(nodeRules, s)) assert.equal(f.status, 'error', f.rule);
});

test('each node rule: hit', () => {
  const cases: [string, Partial<NodeView>, RegExp][] = [
    ['NODE_LOAD_HIGH', { loadavg: [9, 9, 9] }, /load 9 on 4/],
    ['NODE_MEMORY_LOW', { memAvailableKb: 100_000 }, /1\.3% of memory available/],
    ['NODE_PRESSURE_HIGH', { psi: { io: { some: { avg10: 90, avg60: 80, avg300: 50 }, full: { avg10: 40, avg60: 30, avg300: 20 } } } }, /io: all tasks stalled 30%/],
    ['NODE_FILE_HANDLES', { fileNr: { allocated: 95_000, max: 100_000 } }, /95000 of 100000/],
    ['NODE_PIDS', { threadCount: 30_000 }, /threads: 30000 of 32768/],
    ['NODE_INOTIFY_INSTANCES', { inotify: { maxUserInstances: 128, byProcess: [{ pid: 9, comm: 'containerd-shim', uid: 0, count: 120 }], byUser: [{ uid: 0, count: 128 }], sampled: 'all' } }, /uid 0 holds 128 inotify instances of 128/],
    ['NODE_D_STATE_TASKS', { dStateTasks: [{ pid: 77, comm: 'runc:[2:INIT]', wchan: '__refrigerator', kernelStack: ['__refrigerator', 'do_signal_stop'] }] }, /pid 77 \(runc:\[2:INIT\]\) is in D state in __refrigerator: its cgroup is frozen/],
    ['NODE_FROZEN_CGROUP', { frozenCgroups: [{ path: '/sys/fs/cgroup/freezer/kubepods/besteffort/pod1/abc', state: 'FROZEN', pids: [77] }] }, /kubepods.* is FROZEN with 1 process/],
  ];
  for (const [id, patch, summary] of cases) {
    const f = one(id, withNode(patch));
    assert.equal(f.status, 'fail', id);
    assert.match(f.summary, summary, id);
    assert.ok(f.evidence.length > 0, id);
  }
  assert.equal(one('NODE_D_STATE_TASKS', withNode(cases[6][1])).severity, 'critical');
  assert.ok(one('NODE_D_STATE_TASKS', withNode(cases[6][1])).evidence.includes('stack: __refrigerator'));
  assert.equal(one('NODE_FROZEN_CGROUP', withNode({ frozenCgroups: [{ path: '/sys/fs/cgroup/freezer/user/paused', state: 'FROZEN', pids: [] }] })).severity, 'warning');
  assert.equal(one('NODE_FILE_HANDLES', withNode({ fileNr: { allocated: 85_000, max: 100_000 } })).severity, 'warning');
});

test('NODE_FROZEN_CGROUP names the pod and container whose processes are frozen, from the tree', () => {
  const s = withNode({ frozenCgroups: [{ path: '/sys/fs/cgroup/freezer/kubepods/besteffort/pod1/abc', state: 'FROZEN', pids: [76, 77] }] });
  const base = { ppid: 1, depth: 2, parent: 1, stat: 'D', cpuPercent: 0, rssKb: 1, threads: 1, ageSec: 9, starttime: 1, comm: 'sleep', command: 'sleep 1' };
  s.tree = ok('tree', {
    builtAt: s.collectedAt, shims: [], facts: [], thresholds: { stuckInitSec: 60 },
    inputs: { proc: true, runc: true, cri: true, tasks: true, bundles: true, shimProbes: true },
    processes: [
      { ...base, pid: 76, role: 'other' },
      { ...base, pid: 77, role: 'app', pod: { namespace: 'prod', name: 'web-0', sandboxId: 'p'.repeat(64) }, container: { id: 'c'.repeat(64), name: 'app', type: 'container' } },
    ],
  });
  const f = one('NODE_FROZEN_CGROUP', s);
  assert.match(f.summary, /^pod prod\/web-0 container app: \/sys\/fs\/cgroup\/freezer\/kubepods\/besteffort\/pod1\/abc is FROZEN with 2 process\(es\)$/);
  assert.deepEqual(f.subject, { path: '/sys/fs/cgroup/freezer/kubepods/besteffort/pod1/abc', pid: 76, pod: 'prod/web-0', podSandboxId: 'p'.repeat(64), container: 'app', containerId: 'c'.repeat(64) });
  // without the tree, the path alone
  assert.deepEqual(one('NODE_FROZEN_CGROUP', withNode({ frozenCgroups: [{ path: '/x/kubepods/y', state: 'FROZEN', pids: [77] }] })).subject, { path: '/x/kubepods/y', pid: 77 });
});

// Two containerd daemons on one node: a frozen container of the other one (Docker pauses its
// containers with the freezer; another lab's frozen-pod fault) and its D-state tasks are that
// containerd's to judge. A cgroup with any process of ours, or none at all, stays the node's.
test('NODE_FROZEN_CGROUP and NODE_D_STATE_TASKS leave out another containerd\'s processes (tree.foreignPids)', () => {
  const frozen = (path: string, pids: number[]) => ({ path, state: 'FROZEN', pids });
  const s = withNode({
    frozenCgroups: [frozen('/sys/fs/cgroup/freezer/kubepods/other', [90, 91]), frozen('/sys/fs/cgroup/freezer/kubepods/mixed', [91, 77]), frozen('/sys/fs/cgroup/freezer/empty', [])],
    dStateTasks: [{ pid: 90, comm: 'sleep', wchan: '__refrigerator' }, { pid: 77, comm: 'sleep', wchan: '__refrigerator' }],
  });
  s.tree = ok('tree', {
    builtAt: s.collectedAt, shims: [], facts: [], thresholds: { stuckInitSec: 60 }, processes: [], foreignPids: [90, 91],
    inputs: { proc: true, runc: true, cri: true, tasks: true, bundles: true, shimProbes: true },
  });
  const hits = (id: string) => evaluate(nodeRules.filter((r) => r.id === id), s).filter((f) => f.status === 'fail');
  assert.deepEqual(hits('NODE_FROZEN_CGROUP').map((f) => f.subject?.path), ['/sys/fs/cgroup/freezer/kubepods/mixed', '/sys/fs/cgroup/freezer/empty']);
  assert.deepEqual(hits('NODE_D_STATE_TASKS').map((f) => f.subject?.pid), [77]);
});

test('kernel log rules: hit on an OOM kill of a shim; episodes before the log window are info; no kernel log is skipped', () => {
  const ep = (last: string) => ({ pattern: 'KERNEL_OOM_KILLED_RUNTIME', first: last, last, count: 1, examples: ['Out of memory: Killed process 4242 (containerd-shim)'], captures: { pid: ['4242'], comm: ['containerd-shim'] } });
  const recent = withNode({ kernelLog: { ...healthy.kernelLog!, episodes: [ep('2026-11-26T11:50:00.000Z')] } });
  const f = one('KERNEL_OOM_KILLED_RUNTIME', recent);
  assert.deepEqual([f.status, f.severity], ['fail', 'critical']);
  assert.match(f.evidence.join('\n'), /captured pid: 4242; comm: containerd-shim/);
  const old = one('KERNEL_OOM_KILLED_RUNTIME', withNode({ kernelLog: { ...healthy.kernelLog!, episodes: [ep('2026-11-24T12:00:00.000Z')] } }));
  assert.equal(old.severity, 'info');
  assert.match(old.summary, /ended 2d before this check, before the log window \(since containerd started/);
  const none = one('KERNEL_OOM_KILLED_RUNTIME', withNode({ kernelLog: undefined, notes: ['kernel log unavailable: dmesg: EPERM'] }));
  assert.deepEqual([none.status, none.summary], ['skipped', 'the kernel log: kernel log unavailable: dmesg: EPERM']);
  assert.equal(one('KERNEL_OOM_KILLED_RUNTIME', withNode({})).status, 'pass');
});
