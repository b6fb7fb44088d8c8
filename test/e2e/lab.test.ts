// The lab itself, end to end as a user runs it: `ctrdoc lab up --pods N` gives N Ready pods
// through CRI with kubelet-style metadata, `up` again changes nothing, `status` tells the truth,
// and `down` leaves no process, mount, cgroup, socket or directory behind.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { openCri } from '../../src/sources/cri/client.ts';
import { labPaths, criEndpoint } from '../../src/lab/paths.ts';
import { labLeftovers, shimSocketPaths } from '../../src/lab/lab.ts';
import { readLabRecord } from '../../src/lab/supervisor.ts';
import { readProcess } from '../../src/lab/host.ts';

const root = process.getuid?.() === 0;
const MAIN = join(import.meta.dirname, '../../src/cli/bin.ts');
const dir = root ? join(mkdtempSync('/tmp/ctl-'), 'lab') : '/nonexistent';
const p = labPaths(dir);

function ctrdoc(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let upOut = '';
before(() => {
  if (!root) return;
  const r = ctrdoc('lab', 'up', '--dir', dir, '--pods', '3');
  upOut = r.stdout;
  assert.equal(r.code, 0, r.stderr);
});

let downDone = false;
after(() => {
  if (root && !downDone) ctrdoc('lab', 'down', '--dir', dir);
  if (root) rmSync(dirname(dir), { recursive: true, force: true });
});

test('up: 3 Ready pods through CRI, kubelet-style metadata, running app containers', { skip: !root && 'not root: the lab runs containerd' }, async () => {
  const cri = openCri(criEndpoint(p), { timeoutMs: 5000 });
  try {
    const pods = await cri.listPodSandbox();
    assert.equal(pods.length, 3);
    for (const pod of pods) {
      assert.equal(pod.state, 'SANDBOX_READY');
      assert.match(pod.metadata.name, /^web-[0-9a-z]+-[0-9a-z]{5}$/);
      assert.equal(pod.labels['io.kubernetes.pod.name'], pod.metadata.name);
      assert.equal(pod.labels['io.kubernetes.pod.uid'], pod.metadata.uid);
      assert.equal(pod.labels.app, 'web');
      assert.ok(pod.annotations['kubernetes.io/config.source']);
    }
    const ctrs = await cri.listContainers();
    assert.equal(ctrs.length, 3);
    for (const c of ctrs) {
      assert.equal(c.state, 'CONTAINER_RUNNING');
      assert.equal(c.metadata.name, 'app');
      const st = await cri.containerStatus(c.id, true);
      const pod = pods.find((x) => x.id === c.podSandboxId)!;
      assert.equal(st.status.logPath, join(p.pods, `${pod.metadata.namespace}_${pod.metadata.name}_${pod.metadata.uid}`, 'app', '0.log'));
      const pid = st.info?.pid;
      assert.ok(pid && pid > 0, 'verbose status has the container pid');
      // the container really runs, as a child of its pod's shim
      const proc = readProcess(pid)!;
      assert.ok(proc.argv.join(' ').includes('app: tick'), proc.argv.join(' '));
      const shim = readProcess(proc.ppid)!;
      assert.match(shim.comm, /containerd-shim/);
      assert.ok(shim.argv.includes(dir + '/containerd.sock'));
    }
    const status = await cri.status(false);
    assert.ok(status.conditions.find((c) => c.type === 'RuntimeReady')?.status);
    assert.ok(status.conditions.find((c) => c.type === 'NetworkReady')?.status, 'the lab CNI config makes NetworkReady true');
  } finally {
    cri.close();
  }
  // up prints the flags and writes the env file
  assert.match(upOut, new RegExp(`--runtime-endpoint=unix://${dir}/containerd.sock`));
  const env = readFileSync(p.env, 'utf8');
  assert.match(env, new RegExp(`^CONTAINER_RUNTIME_ENDPOINT=unix://${dir}/containerd.sock$`, 'm'));
  for (const f of ['--address', '--namespace', '--runc-root', '--debug-address', '--containerd-config', '--containerd-log']) assert.ok(env.includes(f), f);
  // the config keeps the binary's default beside it, and the log is at debug level
  assert.ok(existsSync(p.defaultConfig));
  assert.match(readFileSync(p.config, 'utf8'), /restrict_oom_score_adj = true/);
  assert.match(readFileSync(p.log, 'utf8'), /level=debug/);
  // containerd is the supervisor's child, and both are recorded in lab.json
  const rec = readLabRecord(p)!;
  assert.equal(readProcess(rec.containerd!.pid)?.ppid, rec.supervisor.pid);
  // runc's state is in the lab's runc root
  assert.equal(readdirSync(p.runcRoot).length, 6);
});

test('up again is idempotent: same supervisor, same containerd, same pods', { skip: !root && 'not root' }, async () => {
  const before = readLabRecord(p)!;
  const r = ctrdoc('lab', 'up', '--dir', dir, '--pods', '3');
  assert.equal(r.code, 0, r.stderr);
  const now = readLabRecord(p)!;
  assert.equal(now.supervisor.pid, before.supervisor.pid);
  assert.equal(now.containerd!.pid, before.containerd!.pid);
  const cri = openCri(criEndpoint(p), { timeoutMs: 5000 });
  try {
    assert.equal((await cri.listPodSandbox()).length, 3);
  } finally {
    cri.close();
  }
});

test('status reports pids, sockets and pods', { skip: !root && 'not root' }, () => {
  const r = ctrdoc('lab', 'status', '--dir', dir, '-o', 'json');
  assert.equal(r.code, 0, r.stderr);
  const st = JSON.parse(r.stdout);
  assert.equal(st.containerd.alive, true);
  assert.equal(st.supervisor.alive, true);
  assert.equal(st.cri.readyPods, 3);
  assert.equal(st.shims.length, 3);
  assert.equal(st.sockets[p.socket], true);
  assert.equal(st.sockets[p.debugSocket], true);
});

test('down leaves no process, mount, cgroup, socket or directory', { skip: !root && 'not root' }, () => {
  const shimSockets = shimSocketPaths(p);
  assert.equal(shimSockets.length, 3);
  const r = ctrdoc('lab', 'down', '--dir', dir);
  downDone = true;
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const left = labLeftovers(dir, shimSockets);
  assert.deepEqual(left, { processes: [], mounts: [], cgroups: [], sockets: [], dirExists: false });
  // and down of a lab that is gone is a no-op
  const again = ctrdoc('lab', 'down', '--dir', dir);
  assert.equal(again.code, 0, again.stderr);
});

test('bad input: a lab dir too long for unix sockets, a bad --pods', () => {
  const long = ctrdoc('lab', 'status', '--dir', '/tmp/' + 'x'.repeat(120));
  assert.equal(long.code, 2);
  assert.match(long.stderr, /too long for unix socket paths/);
  const bad = ctrdoc('lab', 'up', '--dir', '/tmp/nolab', '--pods', 'many');
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--pods must be a whole number/);
});
