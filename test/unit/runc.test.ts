// runc state root and task bundle readers: real runc 1.1.5 state.json captures
// (testdata/captures/runc/1.1.5/capture.sh), runc's status decision, and bad input (empty,
// truncated, corrupt, huge, missing, a directory where a file should be).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { cpSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { deriveRuncStatus, parseRuncStateJson, readRuncContainer, readRuncRoot } from '../../src/sources/runc/state.ts';
import { readBundleShim, readTaskBundles, sandboxIdOfSpec, socketPathOfAddress } from '../../src/sources/runc/bundles.ts';

const CAP = 'testdata/captures/runc/1.1.5';

test('parseRuncStateJson reads a real runc 1.1.5 state.json', () => {
  const s = parseRuncStateJson(readFileSync(join(CAP, 'created/created1/state.json'), 'utf8'));
  assert.equal(s.id, 'created1');
  assert.equal(s.initPid, 4407);
  assert.equal(s.initStart, 19647);
  assert.equal(s.created, '2026-11-26T22:50:49.131724433Z');
  assert.equal(s.rootfs, '/tmp/rx/b/rootfs');
  assert.equal(s.labels.bundle, '/tmp/rx/b');
  assert.equal(s.labels['io.kubernetes.cri.sandbox-name'], 'web-0');
  assert.equal(s.cgroupPaths.freezer, '/sys/fs/cgroup/freezer/created1');
});

test('parseRuncStateJson: each kind of bad input is a message, never a crash', () => {
  const good = readFileSync(join(CAP, 'running/running1/state.json'), 'utf8');
  const cases: [string, RegExp][] = [
    ['', /empty/],
    ['   \n', /empty/],
    [good.slice(0, good.length / 2), /not valid JSON/],
    ['{"id": "x", "init_process_pid": 12', /not valid JSON/],
    ['[1,2]', /not a JSON object/],
    ['null', /not a JSON object/],
    ['{}', /neither id nor init_process_pid/],
    ['\u0000\u0001garbage', /not valid JSON/],
  ];
  for (const [text, msg] of cases) assert.throws(() => parseRuncStateJson(text), msg, JSON.stringify(text.slice(0, 30)));
  // Wrong types are ignored, not trusted.
  const odd = parseRuncStateJson('{"id":"x","init_process_pid":"12","init_process_start":1.5,"config":{"labels":[1,"a=b","novalue"]}}');
  assert.equal(odd.initPid, undefined);
  assert.equal(odd.initStart, undefined);
  assert.deepEqual(odd.labels, { a: 'b' });
  // runc 1.0 wrote the start time as a string.
  assert.equal(parseRuncStateJson('{"id":"x","init_process_pid":5,"init_process_start":"77"}').initStart, 77);
  fc.assert(fc.property(fc.string({ maxLength: 200 }), (s) => {
    try { parseRuncStateJson(s); } catch (err) { assert.ok(err instanceof Error && err.message.length > 0); }
  }));
});

test('deriveRuncStatus decides like runc: paused, stopped (no pid, gone, reused, zombie), created, running', () => {
  const live = { starttime: 100, state: 'S' };
  assert.equal(deriveRuncStatus({ initPid: 5, initStart: 100, execFifo: true, proc: live }).status, 'created');
  assert.equal(deriveRuncStatus({ initPid: 5, initStart: 100, execFifo: false, proc: live }).status, 'running');
  assert.equal(deriveRuncStatus({ initPid: 5, initStart: 100, execFifo: false, freezer: 'FROZEN\n', proc: live }).status, 'paused');
  assert.equal(deriveRuncStatus({ initPid: 5, initStart: 100, execFifo: false, freezer: 'THAWED', proc: live }).status, 'running');
  assert.equal(deriveRuncStatus({ initPid: 5, initStart: 100, execFifo: false, freezer: '1', proc: live }).status, 'paused');
  const reused = deriveRuncStatus({ initPid: 5, initStart: 99, execFifo: true, proc: live });
  assert.equal(reused.status, 'stopped');
  assert.match(reused.reason, /reused/);
  assert.equal(reused.initAlive, false);
  assert.equal(deriveRuncStatus({ initPid: 5, initStart: 100, execFifo: false, proc: { starttime: 100, state: 'Z' } }).status, 'stopped');
  assert.equal(deriveRuncStatus({ initPid: 5, initStart: 100, execFifo: false, proc: null }).status, 'stopped');
  assert.equal(deriveRuncStatus({ initPid: 0, execFifo: true, proc: null }).status, 'stopped');
});

test('readRuncRoot: captured states, a corrupt one, a truncated one, a missing one, a directory as state.json', () => {
  const root = mkdtempSync(join(tmpdir(), 'ctrdoc-runc-'));
  try {
    cpSync(join(CAP, 'created/created1'), join(root, 'created1'), { recursive: true });
    cpSync(join(CAP, 'running/running1'), join(root, 'running1'), { recursive: true });
    mkdirSync(join(root, 'corrupt'));
    writeFileSync(join(root, 'corrupt', 'state.json'), '\u0000\u0000\u0000');
    mkdirSync(join(root, 'truncated'));
    writeFileSync(join(root, 'truncated', 'state.json'), readFileSync(join(CAP, 'running/running1/state.json'), 'utf8').slice(0, 300));
    mkdirSync(join(root, 'nostate'));
    writeFileSync(join(root, 'nostate', 'exec.fifo'), '');
    mkdirSync(join(root, 'isdir', 'state.json'), { recursive: true });
    writeFileSync(join(root, 'not-a-container'), 'x');
    const view = readRuncRoot(root, { now: Date.parse('2026-11-26T22:51:49.131Z') });
    assert.equal(view.error, undefined);
    const by = new Map(view.containers.map((c) => [c.id, c]));
    assert.deepEqual([...by.keys()].sort(), ['corrupt', 'created1', 'isdir', 'nostate', 'running1', 'truncated']);
    const created = by.get('created1')!;
    assert.equal(created.execFifo, true);
    assert.equal(created.kube.sandboxName, 'web-0');
    assert.equal(created.kube.containerName, 'app');
    assert.equal(created.bundle, '/tmp/rx/b');
    assert.equal(created.ageSec, 60);
    // The captured pids are long gone (or reused): runc would say stopped too.
    assert.equal(created.status, 'stopped');
    assert.equal(created.initAlive, false);
    assert.match(by.get('corrupt')!.error!, /not valid JSON/);
    assert.match(by.get('truncated')!.error!, /truncated or corrupt/);
    assert.match(by.get('nostate')!.error!, /does not exist/);
    assert.equal(by.get('nostate')!.execFifo, true);
    assert.ok(by.get('isdir')!.error, 'a directory named state.json is an error, not a crash');
    for (const c of view.containers) if (c.error) assert.equal(c.status, 'unknown');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  assert.match(readRuncRoot('/nonexistent/runc/root').error!, /does not exist/);
});

test('readRuncRoot with the scan\'s processes: an init found there is judged by its stat, the rest by /proc', () => {
  const root = mkdtempSync(join(tmpdir(), 'ctrdoc-runc-'));
  const procRoot = mkdtempSync(join(tmpdir(), 'ctrdoc-proc-'));
  try {
    cpSync(join(CAP, 'running/running1'), join(root, 'running1'), { recursive: true });
    cpSync(join(CAP, 'created/created1'), join(root, 'created1'), { recursive: true });
    const running = parseRuncStateJson(readFileSync(join(CAP, 'running/running1/state.json'), 'utf8'));
    const created = parseRuncStateJson(readFileSync(join(CAP, 'created/created1/state.json'), 'utf8'));
    // an empty /proc: without the scan both inits are gone
    const alone = new Map(readRuncRoot(root, { procRoot }).containers.map((c) => [c.id, c.status]));
    assert.deepEqual([alone.get('running1'), alone.get('created1')], ['stopped', 'stopped']);
    const scanned = new Map([
      [running.initPid!, { starttime: running.initStart!, state: 'S' }],
      // same pid, another start time: reused, as runc would judge it
      [created.initPid!, { starttime: created.initStart! + 1, state: 'S' }],
    ]);
    const by = new Map(readRuncRoot(root, { procRoot, scanned }).containers.map((c) => [c.id, c]));
    assert.equal(by.get('running1')!.status, 'running');
    assert.equal(by.get('running1')!.initAlive, true);
    assert.equal(by.get('created1')!.status, 'stopped');
    assert.match(by.get('created1')!.statusReason, /reused/);
  } finally {
    rmSync(root, { recursive: true, force: true });
    rmSync(procRoot, { recursive: true, force: true });
  }
});

test('readRuncContainer: state.json naming another id says so', () => {
  const root = mkdtempSync(join(tmpdir(), 'ctrdoc-runc-'));
  try {
    cpSync(join(CAP, 'created/created1'), join(root, 'other'), { recursive: true });
    const c = readRuncContainer(join(root, 'other'), 'other');
    assert.match(c.error!, /differs from its directory name/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('readTaskBundles: address, init.pid, shim.pid, sandbox id, live and stale sockets, broken bundles', async () => {
  const state = mkdtempSync(join(tmpdir(), 'ctrdoc-bundles-'));
  const sockDir = join(state, 's');
  mkdirSync(sockDir);
  const server = createServer();
  const live = join(sockDir, 'live');
  await new Promise<void>((r) => server.listen(live, r));
  try {
    const ns = join(state, 'io.containerd.runtime.v2.task', 'k8s.io');
    const sb = 'a'.repeat(64);
    mkdirSync(join(ns, sb), { recursive: true });
    writeFileSync(join(ns, sb, 'address'), `unix://${live}\n`);
    writeFileSync(join(ns, sb, 'init.pid'), '123');
    writeFileSync(join(ns, sb, 'shim.pid'), '100');
    writeFileSync(join(ns, sb, 'config.json'), JSON.stringify({ annotations: { 'io.kubernetes.cri.sandbox-id': sb } }));
    mkdirSync(join(ns, 'gone'));
    writeFileSync(join(ns, 'gone', 'address'), `unix://${join(sockDir, 'dead')}`);
    writeFileSync(join(ns, 'gone', 'init.pid'), 'garbage');
    mkdirSync(join(ns, 'empty'));
    // 2.x: bootstrap.json instead of `address`, the task API v3
    mkdirSync(join(ns, 'v3'));
    writeFileSync(join(ns, 'v3', 'bootstrap.json'), JSON.stringify({ version: 3, address: `unix://${live}`, protocol: 'ttrpc' }));
    mkdirSync(join(ns, 'grpc'));
    writeFileSync(join(ns, 'grpc', 'bootstrap.json'), JSON.stringify({ version: 3, address: `unix://${join(sockDir, 'g')}`, protocol: 'grpc' }));
    mkdirSync(join(ns, 'badjson'));
    writeFileSync(join(ns, 'badjson', 'bootstrap.json'), '{"version":3,"addr');
    mkdirSync(join(ns, 'noaddr'));
    writeFileSync(join(ns, 'noaddr', 'bootstrap.json'), '{"version":3,"address":7}');
    writeFileSync(join(sockDir, 'not-a-socket'), '');
    const v = readTaskBundles(state, 'k8s.io', sockDir);
    assert.equal(v.error, undefined);
    const by = new Map(v.bundles.map((b) => [b.id, b]));
    const a = by.get(sb)!;
    assert.equal(a.socketPath, live);
    assert.equal(a.socketExists, true);
    assert.equal(a.initPid, 123);
    assert.equal(a.shimPid, 100);
    assert.equal(a.sandboxId, sb);
    assert.equal(a.hasConfig, true);
    const g = by.get('gone')!;
    assert.equal(g.socketExists, false);
    assert.equal(g.initPid, undefined, 'garbage init.pid is ignored');
    assert.equal(a.taskApi, 2, 'an address file: the task API v2');
    assert.match(by.get('empty')!.error!, /shim address: no address or bootstrap\.json file/);
    const v3 = by.get('v3')!;
    assert.deepEqual([v3.address, v3.socketPath, v3.taskApi, v3.socketExists, v3.protocol], [`unix://${live}`, live, 3, true, undefined]);
    assert.equal(by.get('grpc')!.protocol, 'grpc');
    assert.match(by.get('badjson')!.error!, /bootstrap\.json is not JSON/);
    assert.match(by.get('noaddr')!.error!, /bootstrap\.json names no address/);
    assert.throws(() => readBundleShim(join(ns, 'empty')), /task bundle .*empty: no address or bootstrap\.json file/);
    assert.equal(readBundleShim(join(ns, 'v3')).from, 'bootstrap.json');
    assert.deepEqual(v.sockets, [{ path: live, referenced: true }]);
    assert.match(readTaskBundles(join(state, 'nope'), 'k8s.io', sockDir).error!, /does not exist/);
    // the sandbox ids runc's state names spare the specs: a bundle it names takes that id (its
    // spec not read: here it names another), one it does not is read from its spec
    writeFileSync(join(ns, 'gone', 'config.json'), JSON.stringify({ annotations: { 'io.kubernetes.cri.sandbox-id': 'from-spec' } }));
    const known = new Map(readTaskBundles(state, 'k8s.io', sockDir, new Map([[sb, 'from-runc']])).bundles.map((b) => [b.id, b]));
    assert.deepEqual([known.get(sb)!.sandboxId, known.get(sb)!.hasConfig], ['from-runc', true]);
    assert.deepEqual([known.get('gone')!.sandboxId, known.get('gone')!.hasConfig], ['from-spec', true]);
    assert.deepEqual([known.get('empty')!.sandboxId, known.get('empty')!.hasConfig], [undefined, false]);
  } finally {
    server.close();
    rmSync(state, { recursive: true, force: true });
  }
  assert.equal(socketPathOfAddress('unix:///run/containerd/s/abc'), '/run/containerd/s/abc');
  assert.equal(sandboxIdOfSpec('{"annotations":{"io.kubernetes.cri.sandbox-id" : "xyz"}}'), 'xyz');
  assert.equal(sandboxIdOfSpec('{}'), undefined);
});

test('readRuncRoot on a filesystem without entry types: a container deleted during the listing is skipped, not the whole root', () => {
  const root = mkdtempSync(join(tmpdir(), 'ctrdoc-runc-'));
  try {
    cpSync(join(CAP, 'running/running1'), join(root, 'running1'), { recursive: true });
    mkdirSync(join(root, 'deleted'));
    // what node's typed readdir does where the filesystem gives no d_type and an entry goes
    // between its getdents and its own lstat: the whole listing throws ENOENT for the entry
    const noTypes = (dir: string): never => {
      rmSync(join(dir, 'deleted'), { recursive: true, force: true });
      throw Object.assign(new Error(`ENOENT: no such file or directory, lstat '${dir}/deleted'`), { code: 'ENOENT', path: join(dir, 'deleted') });
    };
    const view = readRuncRoot(root, { listTyped: noTypes });
    assert.equal(view.error, undefined);
    assert.deepEqual(view.containers.map((c) => c.id), ['running1']);
    // the root itself missing is still the root's error, named
    const gone = readRuncRoot(join(root, 'nope'), { listTyped: noTypes });
    assert.match(gone.error!, /does not exist/);
    // any other failure of the typed listing is not swallowed
    const denied = readRuncRoot(root, { listTyped: () => { throw Object.assign(new Error('EACCES'), { code: 'EACCES', path: root }); } });
    assert.match(denied.error!, /permission denied/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
