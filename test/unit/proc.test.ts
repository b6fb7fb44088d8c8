// The /proc parsers and scanner: real captures (testdata/captures/proc, made by
// testdata/captures/runc/1.1.5/capture.sh), a fake proc root built from them, bad input, vanishing
// processes, pid reuse, and properties of the stat parser (comm with spaces and parentheses).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  containerIdOfCgroupPath, parseCgroup, parseCmdline, parseKernelStack, parseNsLink, parseStat, parseStatus,
} from '../../src/sources/proc/parse.ts';
import { fillCmdlines, readBase, readDetails, readSystemClock, sampleRecentCpu, scanProcesses, stackDetailSelection } from '../../src/sources/proc/scan.ts';

const CAP = 'testdata/captures/proc/6.18.44';
const cap = (dir: string, f: string): string => readFileSync(join(CAP, dir, f), 'utf8');

test('parseStat reads a real parked runc init, a container process and a zombie', () => {
  const init = parseStat(cap('runc-init-parked', 'stat'))!;
  assert.equal(init.pid, 4407);
  assert.equal(init.comm, 'runc:[2:INIT]');
  assert.equal(init.state, 'S');
  assert.equal(init.ppid, 1);
  assert.equal(init.starttime, 19647);
  assert.equal(init.threads, 5);
  const z = parseStat(cap('zombie', 'stat'))!;
  assert.equal(z.state, 'Z');
  assert.equal(z.rssPages, 0);
  assert.equal(parseStat(cap('container-sleep', 'stat'))!.comm, 'sleep');
});

/** A stat line as the kernel writes it, with the given comm and fields. */
function statLine(pid: number, comm: string, f: { state: string; ppid: number; utime: number; stime: number; threads: number; starttime: number; rss: number }): string {
  const fields = [f.state, f.ppid, pid, pid, 0, -1, 4194560, 1, 0, 0, 0, f.utime, f.stime, 0, 0, 20, 0, f.threads, 0, f.starttime, 1234567, f.rss];
  while (fields.length < 50) fields.push(0);
  return `${pid} (${comm}) ${fields.join(' ')}\n`;
}

test('property: parseStat returns the comm and fields it was given, whatever the comm holds', () => {
  const comm = fc.string({ minLength: 0, maxLength: 15, unit: fc.constantFrom('a', ' ', '(', ')', ':', '[', ']', 'x', '1', ')', ' ') });
  fc.assert(fc.property(
    fc.integer({ min: 1, max: 4194304 }), comm, fc.constantFrom('R', 'S', 'D', 'Z', 'T', 'I'),
    fc.integer({ min: 0, max: 4194304 }), fc.nat(), fc.nat(), fc.integer({ min: 1, max: 10000 }), fc.nat(), fc.nat(),
    (pid, c, state, ppid, utime, stime, threads, starttime, rss) => {
      const st = parseStat(statLine(pid, c, { state, ppid, utime, stime, threads, starttime, rss }));
      assert.ok(st);
      assert.equal(st.comm, c);
      assert.deepEqual([st.pid, st.state, st.ppid, st.utime, st.stime, st.threads, st.starttime, st.rssPages], [pid, state, ppid, utime, stime, threads, starttime, rss]);
    }));
});

test('property: parseStat never throws on garbage, and rejects what is not a stat line', () => {
  fc.assert(fc.property(fc.string({ maxLength: 400 }), (s) => { parseStat(s); }));
  for (const bad of ['', '\n', '12', '12 (x', '12 (x) S', 'abc (x) S 1 2 3', '-5 (x) S ' + '0 '.repeat(50), '12 (x) SS ' + '0 '.repeat(50)]) {
    assert.equal(parseStat(bad), null, JSON.stringify(bad));
  }
  const real = cap('runc-init-parked', 'stat');
  assert.equal(parseStat(real.slice(0, 60)), null, 'truncated');
  assert.equal(parseStat(real.replace(' 19647 ', ' 19x47 ')), null, 'garbage in a field');
  assert.ok(parseStat(real + ' 0'.repeat(100000)), 'huge but well-formed');
});

test('parseStatus, parseCgroup, parseCmdline, parseKernelStack, parseNsLink on captures and junk', () => {
  const s = parseStatus(cap('runc-init-parked', 'status'));
  assert.equal(s.uid, 0);
  assert.deepEqual(s.nspid, [4407, 1]);
  assert.equal(s.threads, 5);
  assert.deepEqual(parseStatus(''), {});
  assert.deepEqual(parseStatus('NSpid:\tx y\nUid:\tq'), {});
  const cg = parseCgroup(cap('runc-init-parked', 'cgroup'));
  assert.ok(cg.some((l) => l.controllers === 'freezer' && l.path === '/created1'));
  assert.ok(cg.some((l) => l.hierarchy === '0' && l.controllers === ''));
  assert.deepEqual(parseCgroup('garbage\n\n:'), []);
  assert.deepEqual(parseCmdline('runc\0init\0'), ['runc', 'init']);
  assert.deepEqual(parseCmdline(''), []);
  const stack = parseKernelStack(cap('runc-init-parked', 'stack'));
  assert.deepEqual(stack.slice(0, 2), ['wait_for_partner', 'fifo_open']);
  assert.deepEqual(parseKernelStack('nonsense\n[<0>]'), []);
  assert.equal(parseNsLink('pid:[4026532181]'), 4026532181);
  assert.equal(parseNsLink('pid:4026532181'), undefined);
  const id = 'a'.repeat(64);
  assert.equal(containerIdOfCgroupPath(`/kubepods/besteffort/pod1/${id}`), id);
  assert.equal(containerIdOfCgroupPath(`/system.slice/cri-containerd-${id}.scope`), id);
  assert.equal(containerIdOfCgroupPath('/user.slice'), undefined);
});

/** A fake proc root with the captured processes (optionally renumbered) plus system files. */
function fakeProc(entries: { dir: string; pid?: number }[]): string {
  const root = mkdtempSync(join(tmpdir(), 'ctrdoc-proc-'));
  writeFileSync(join(root, 'stat'), 'cpu  1 2 3\nbtime 1795733252\n');
  writeFileSync(join(root, 'uptime'), '300.00 500.00\n');
  for (const e of entries) {
    const text = cap(e.dir, 'stat');
    const pid = e.pid ?? Number(text.split(' ')[0]);
    const d = join(root, String(pid));
    mkdirSync(join(d, 'fd'), { recursive: true });
    mkdirSync(join(d, 'ns'));
    writeFileSync(join(d, 'stat'), text.replace(/^\d+/, String(pid)));
    for (const f of ['status', 'cmdline', 'cgroup', 'wchan', 'stack']) writeFileSync(join(d, f), cap(e.dir, f));
    for (const line of cap(e.dir, 'fd.txt').split('\n').filter(Boolean)) {
      const [fd, target] = line.split(' ');
      symlinkSync(target, join(d, 'fd', fd));
    }
    for (const line of cap(e.dir, 'ns.txt').split('\n').filter(Boolean)) symlinkSync(line, join(d, 'ns', line.split(':')[0]));
  }
  return root;
}

test('scanProcesses on a fake proc root of real captures: details for the parked init, none for a bystander', () => {
  const root = fakeProc([{ dir: 'runc-init-parked' }, { dir: 'container-sleep' }, { dir: 'zombie', pid: 4600 }]);
  mkdirSync(join(root, '5000')); // listed, but its files are gone: vanished
  mkdirSync(join(root, '5001'));
  writeFileSync(join(root, '5001', 'stat'), 'garbage');
  try {
    const t = scanProcesses({ procRoot: root });
    assert.deepEqual(t.processes.map((p) => p.pid).sort(), [4407, 4525, 4600]);
    assert.equal(t.vanished, 2);
    assert.equal(t.bootTime, new Date(1795733252 * 1000).toISOString());
    const init = t.processes.find((p) => p.pid === 4407)!;
    assert.equal(init.comm, 'runc:[2:INIT]');
    assert.deepEqual(init.cmdline, ['runc', 'init']);
    assert.equal(init.wchan, 'wait_for_partner');
    assert.ok(init.kernelStack?.includes('fifo_open'));
    assert.equal(init.fdTargets?.['5'], '/tmp/rx/root/created1/exec.fifo');
    assert.equal(init.fdCount, 7);
    assert.deepEqual(init.nspid, [4407, 1]);
    assert.equal(init.ns?.pid, 4026532181);
    assert.equal(init.ageSec, 300 - 19647 / 100);
    const sleeper = t.processes.find((p) => p.pid === 4525)!;
    assert.equal(sleeper.cgroup, undefined, 'a process outside the stack gets stat + cmdline only');
    assert.deepEqual(sleeper.cmdline, ['sleep', '1000']);
    const zombie = t.processes.find((p) => p.pid === 4600)!;
    assert.equal(zombie.state, 'Z');
    assert.deepEqual(zombie.cmdline, [], 'no cmdline read for a zombie');
    assert.ok(zombie.wchan === undefined, 'wchan "0" is no wchan');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('pid reuse mid-scan: a changed start time drops the process instead of mixing two processes', () => {
  const root = fakeProc([{ dir: 'runc-init-parked' }]);
  try {
    const clock = readSystemClock(root);
    const p = readBase(root, 4407, clock)!;
    assert.ok(p);
    // The process exits and the pid is reused before the detail pass.
    writeFileSync(join(root, '4407', 'stat'), cap('runc-init-parked', 'stat').replace(' 19647 ', ' 29999 '));
    assert.equal(readDetails(root, p, { fdTargets: true }), false);
    const t = scanProcesses({ procRoot: root, select: () => new Map() });
    assert.equal(t.processes[0].starttime, 29999);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a real process that exits between two reads is dropped, never thrown', async () => {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  const pid = child.pid!;
  const clock = readSystemClock();
  const p = readBase('/proc', pid, clock)!;
  assert.equal(p.ppid, process.pid);
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  assert.equal(readBase('/proc', pid, clock), null);
  assert.equal(readDetails('/proc', p, { fdTargets: true, stack: true }), false);
  const t = scanProcesses({ select: (base) => new Map(base.map((x) => [x.pid, {}])) });
  assert.ok(!t.processes.some((x) => x.pid === pid));
});

test('scanProcesses on the real /proc: ourselves with the right parent, age and command; sampled %CPU', async () => {
  const t = scanProcesses({ select: (base) => new Map(base.filter((p) => p.pid === process.pid).map((p) => [p.pid, { fdTargets: true }])) });
  const me = t.processes.find((p) => p.pid === process.pid)!;
  assert.equal(me.ppid, process.ppid);
  assert.ok(me.cmdline[0].endsWith('node') || me.cmdline[0].includes('node'));
  assert.ok(me.ageSec >= 0 && me.ageSec < process.uptime() + 5);
  assert.ok((me.fdCount ?? 0) > 2);
  assert.ok(Object.values(me.fdTargets ?? {}).length > 0);
  await sampleRecentCpu(t, [process.pid], 50);
  assert.ok(me.cpuPercentRecent !== undefined && me.cpuPercentRecent >= 0);
  // ps agrees on our parent and state letter class.
  const ps = spawnSync('ps', ['-o', 'ppid=', '-p', String(process.pid)], { encoding: 'utf8' });
  if (ps.status === 0) assert.equal(Number(ps.stdout.trim()), me.ppid);
});

test('stackDetailSelection picks containerd, shims, runc, runc init and zombies only', () => {
  const mk = (pid: number, ppid: number, comm: string, cmdline: string[], state = 'S') => ({
    pid, ppid, pgid: pid, sid: pid, comm, state, starttime: 1, utime: 0, stime: 0, threads: 1, rssKb: 0, vszKb: 0,
    kernelThread: false, cmdline, startedAt: '', ageSec: 1, cpuPercent: 0,
  });
  const sel = stackDetailSelection([
    mk(10, 1, 'containerd', ['/usr/bin/containerd']),
    mk(20, 1, 'containerd-shim', ['/usr/bin/containerd-shim-runc-v2', '-namespace', 'k8s.io', '-id', 'x']),
    mk(21, 20, 'sh', ['sh']),
    mk(22, 21, 'sleep', ['sleep', '1']),
    mk(30, 1, 'runc:[2:INIT]', ['runc', 'init']),
    mk(40, 1, 'bash', ['bash']),
    mk(50, 40, 'defunct', [], 'Z'),
  ]);
  assert.deepEqual([...sel.keys()].sort((a, b) => a - b), [10, 20, 30, 50], "container processes are placed through their parents, not read twice");
  assert.deepEqual(sel.get(30), { fdTargets: true, stack: true });
});

test("cmdlines: 'stack' reads argv only for containerd, shims and their descendants, runc; fillCmdlines adds more on demand", () => {
  const root = fakeProc([{ dir: 'runc-init-parked' }, { dir: 'container-sleep' }]);
  try {
    const t = scanProcesses({ procRoot: root, cmdlines: 'stack', select: () => new Map() });
    const init = t.processes.find((p) => p.pid === 4407)!;
    const sleeper = t.processes.find((p) => p.pid === 4525)!;
    assert.deepEqual(init.cmdline, ['runc', 'init'], 'comm runc:[2:INIT] is the stack');
    assert.deepEqual(sleeper.cmdline, [], 'a bystander keeps an empty argv');
    fillCmdlines(root, t.processes, new Set([4525]));
    assert.deepEqual(sleeper.cmdline, ['sleep', '1000']);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
