// The watch's poll on a proc root and a runc root written here: which processes are the stack's
// (a shim by its -address, not a foreign or a transient one), the names runc's labels give, the
// parked inits (from runc's state, a raw runc container's, and one no state names), and bad input:
// a garbage stat or state.json, a process that vanishes, a pid reused, a process reparented under
// a shim after the poll had judged it. The real /proc is the e2e tests' (test/e2e/watch.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StackPoller } from '../../src/watch/poll.ts';
import { NameBook } from '../../src/watch/names.ts';

const SOCK = '/run/k8s/containerd.sock';
const BTIME = 1795733252;

interface P { pid: number; comm: string; ppid: number; state?: string; start?: number; argv?: string[] }

function writeProc(root: string, ps: P[]): void {
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, 'stat'), `cpu  1 2 3\nbtime ${BTIME}\n`);
  writeFileSync(join(root, 'uptime'), '10000.00 500.00\n');
  for (const p of ps) {
    const d = join(root, String(p.pid));
    mkdirSync(d);
    const fields = [p.state ?? 'S', p.ppid, p.pid, p.pid, 0, -1, 4194560, 0, 0, 0, 0, 1, 1, 0, 0, 20, 0, 1, 0, p.start ?? p.pid * 100, 1000, 10];
    while (fields.length < 50) fields.push(0);
    writeFileSync(join(d, 'stat'), `${p.pid} (${p.comm}) ${fields.join(' ')}\n`);
    writeFileSync(join(d, 'cmdline'), (p.argv ?? [p.comm]).join('\0') + '\0');
  }
}

function writeRunc(root: string, id: string, o: { pid: number; start: number; created: string; fifo: boolean; labels: string[] }): void {
  const d = join(root, id);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, 'state.json'), JSON.stringify({ id, init_process_pid: o.pid, init_process_start: o.start, created: o.created, config: { labels: o.labels } }));
  if (o.fifo) writeFileSync(join(d, 'exec.fifo'), '');
}

const sandboxLabels = (id: string) => ['io.kubernetes.cri.container-type=sandbox', `io.kubernetes.cri.sandbox-id=${id}`, 'io.kubernetes.cri.sandbox-name=web-0', 'io.kubernetes.cri.sandbox-namespace=ns'];
const appLabels = (sb: string, name = 'app') => ['io.kubernetes.cri.container-type=container', `io.kubernetes.cri.container-name=${name}`, `io.kubernetes.cri.sandbox-id=${sb}`, 'io.kubernetes.cri.sandbox-name=web-0', 'io.kubernetes.cri.sandbox-namespace=ns'];

const shimArgv = (id: string, address = SOCK, ...more: string[]) => ['/usr/bin/containerd-shim-runc-v2', '-namespace', 'k8s.io', '-id', id, '-address', address, ...more];

const BASE: P[] = [
  { pid: 1, comm: 'init', ppid: 0 },
  { pid: 100, comm: 'containerd', ppid: 1, argv: ['/usr/bin/containerd', '--address', SOCK] },
  { pid: 200, comm: 'containerd-shim', ppid: 1, argv: shimArgv('sb1') },
  { pid: 201, comm: 'pause', ppid: 200 },
  { pid: 202, comm: 'sh', ppid: 200 },
  { pid: 203, comm: 'runc:[2:INIT]', ppid: 200 },
  { pid: 204, comm: 'runc:[2:INIT]', ppid: 200 },
  // another containerd's shim and its child, a transient `shim start`, a runc container's init outside any shim
  { pid: 210, comm: 'containerd-shim', ppid: 1, argv: shimArgv('other', '/run/docker/containerd.sock') },
  { pid: 211, comm: 'sh', ppid: 210 },
  { pid: 220, comm: 'containerd-shim', ppid: 100, argv: shimArgv('sb2', SOCK, 'start') },
  { pid: 300, comm: 'runc:[2:INIT]', ppid: 1 },
  { pid: 400, comm: 'bash', ppid: 1 },
];

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'ctrdoc-watch-poll-'));
  const proc = join(dir, 'proc');
  const runc = join(dir, 'runc');
  mkdirSync(runc);
  writeProc(proc, BASE);
  writeRunc(runc, 'sb1', { pid: 201, start: 20100, created: '2026-12-03T11:00:00Z', fifo: false, labels: sandboxLabels('sb1') });
  writeRunc(runc, 'c1', { pid: 202, start: 20200, created: '2026-12-03T11:00:01Z', fifo: false, labels: appLabels('sb1') });
  writeRunc(runc, 'c2', { pid: 203, start: 20300, created: '2026-12-03T11:59:00Z', fifo: true, labels: appLabels('sb1') });
  writeRunc(runc, 'raw', { pid: 300, start: 30000, created: '2026-12-03T11:58:00Z', fifo: true, labels: [] });
  const names = new NameBook();
  const poller = new StackPoller({ procRoot: proc, runcRoot: runc, address: SOCK, names, fullEvery: 3 }, 100);
  return { dir, proc, runc, names, poller };
}

test('the stack\'s processes, by role, named from runc\'s labels; others left out', () => {
  const { dir, poller } = setup();
  try {
    const v = poller.observe(Date.parse('2026-12-03T12:00:00Z'));
    assert.deepEqual(v.containerd, { pid: 100, starttime: 10000 });
    const roles = Object.fromEntries([...v.processes.values()].map((p) => [p.pid, p.role]));
    assert.deepEqual(roles, { 100: 'containerd', 200: 'shim', 201: 'pause', 202: 'container', 203: 'runc-init', 204: 'runc-init', 300: 'runc-init' });
    const byPid = new Map([...v.processes.values()].map((p) => [p.pid, p]));
    assert.deepEqual([byPid.get(200)!.pod, byPid.get(200)!.podSandboxId, byPid.get(200)!.shimId], ['ns/web-0', 'sb1', 'sb1']);
    assert.deepEqual([byPid.get(201)!.sandbox, byPid.get(201)!.containerId], [true, 'sb1']);
    assert.deepEqual([byPid.get(202)!.container, byPid.get(202)!.containerId, byPid.get(202)!.pod], ['app', 'c1', 'ns/web-0']);
    assert.deepEqual([...v.runcIds].sort(), ['c1', 'c2', 'raw', 'sb1']);
    // parked: c2 (runc's state), raw (a runc create outside containerd, in our root), and 204 (no state names it)
    const parked = [...v.parked.values()];
    assert.deepEqual(parked.map((x) => x.key).sort(), ['c2', 'pid:204@20400', 'raw']);
    const c2 = v.parked.get('c2')!;
    assert.deepEqual([c2.pid, c2.pod, c2.container, c2.createdAtMs], [203, 'ns/web-0', 'app', Date.parse('2026-12-03T11:59:00Z')]);
    const stateless = v.parked.get('pid:204@20400')!;
    assert.deepEqual([stateless.pod, stateless.createdAtMs], ['ns/web-0', BTIME * 1000 + 204_000]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('states and changes between polls: a started init, a vanished shim, a pid reused, a reparented process', () => {
  const { dir, proc, runc, poller } = setup();
  try {
    poller.observe();
    // c2 started (its fifo gone), the shim stopped, 202 in D, 204 gone, 400's pid reused by a shim child, 211 reparented under our shim
    rmSync(join(runc, 'c2', 'exec.fifo'));
    writeProc(proc, BASE.filter((p) => p.pid !== 204 && p.pid !== 400).map((p) => (p.pid === 200 ? { ...p, state: 'T' } : p.pid === 202 ? { ...p, state: 'D' } : p.pid === 211 ? { ...p, ppid: 200 } : p))
      .concat([{ pid: 400, comm: 'sh', ppid: 200, start: 99900 }]));
    const v = poller.observe();
    const byPid = new Map([...v.processes.values()].map((p) => [p.pid, p]));
    assert.deepEqual([...v.parked.keys()].sort(), ['raw']);
    assert.equal(byPid.get(200)!.state, 'T');
    assert.equal(byPid.get(202)!.state, 'D');
    assert.equal(byPid.has(204), false);
    // 211 was judged another's under the foreign shim, and 400 was bash: between full passes the
    // poll does not read them again; the next full pass (fullEvery 3) sees both under our shim
    assert.equal(byPid.has(211), false);
    assert.equal(byPid.has(400), false);
    poller.observe();
    const full = poller.observe();
    assert.ok([...full.processes.values()].some((p) => p.pid === 211 && p.role === 'container'));
    assert.ok(full.processes.has('400@99900'), 'a reused pid is a new process, and under a shim it is the stack\'s');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad input: a garbage stat, a state.json that is not JSON (read again later), no runc root, no /proc', () => {
  const { dir, proc, runc, poller } = setup();
  try {
    writeFileSync(join(proc, '202', 'stat'), '202 (sh) S garbage');
    writeFileSync(join(runc, 'c2', 'state.json'), '{"id": "c2", "init_pro');
    const v = poller.observe();
    assert.equal([...v.processes.values()].some((p) => p.pid === 202), false, 'unreadable: left out');
    assert.equal(v.parked.has('c2'), false, 'half-written state: not judged yet');
    writeRunc(runc, 'c2', { pid: 203, start: 20300, created: '2026-12-03T11:59:00Z', fifo: true, labels: appLabels('sb1') });
    assert.ok(poller.observe().parked.has('c2'), 'read again on the next poll');
    const empty = new StackPoller({ procRoot: join(dir, 'none'), runcRoot: join(dir, 'none'), address: SOCK, names: new NameBook() });
    const e = empty.observe();
    assert.deepEqual([e.containerd, e.processes.size, e.parked.size, e.runcIds.size], [undefined, 0, 0, 0]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('containerd gone: the poll shows none and names the candidates that may have taken its socket', () => {
  const { dir, proc, poller } = setup();
  try {
    poller.observe();
    writeProc(proc, BASE.filter((p) => p.pid !== 100).concat([{ pid: 500, comm: 'containerd', ppid: 1, argv: ['/usr/bin/containerd', '--address', SOCK] }]));
    const v = poller.observe();
    assert.equal(v.containerd, undefined);
    assert.deepEqual(poller.containerdCandidates(), [500]);
    poller.containerdPid = 500;
    assert.deepEqual(poller.observe().containerd, { pid: 500, starttime: 50000 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
