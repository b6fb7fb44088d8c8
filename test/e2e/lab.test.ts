// The lab itself, end to end as a user runs it, on every containerd version it runs
// (test/e2e/versions.ts): `ctrdoc lab up --containerd V --pods N` gives N Ready pods through CRI
// with kubelet-style metadata, run by that version's containerd and shim, with a config in its
// own format; `up` again changes nothing, `status` tells the truth, and `down` leaves no
// process, mount, cgroup, socket or directory behind.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, execFileSync } from 'node:child_process';
import { existsSync, readFileSync, mkdtempSync, readdirSync, rmSync, readlinkSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { openCri } from '../../src/sources/cri/client.ts';
import { labPaths, criEndpoint } from '../../src/lab/paths.ts';
import { labLeftovers, shimSocketPaths } from '../../src/lab/lab.ts';
import { readLabRecord } from '../../src/lab/supervisor.ts';
import { readProcess } from '../../src/lab/host.ts';
import { testVersions } from './versions.ts';

const root = process.getuid?.() === 0;
const MAIN = join(import.meta.dirname, '../../src/cli/bin.ts');

function ctrdoc(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], { encoding: 'utf8', timeout: 20 * 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

for (const v of testVersions('version-dependent')) {
describe(`lab on containerd ${v}`, { skip: !root && 'not root: the lab runs containerd' }, () => {
  const dir = root ? join(mkdtempSync('/tmp/ctl-'), 'lab') : '/nonexistent';
  const p = labPaths(dir);


  let upOut = '';
  before(() => {
    if (!root) return;
    const r = ctrdoc('lab', 'up', '--dir', dir, '--pods', '3', '--containerd', v);
    upOut = r.stdout;
    assert.equal(r.code, 0, r.stderr);
  });

  let downDone = false;
  after(() => {
    if (root && !downDone) ctrdoc('lab', 'down', '--dir', dir);
    if (root) rmSync(dirname(dir), { recursive: true, force: true });
  });

  test('up: 3 Ready pods through CRI, kubelet-style metadata, running app containers', async () => {
    const shimsSeen: number[] = [];
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
        shimsSeen.push(shim.pid);
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
    const config = readFileSync(p.config, 'utf8');
    assert.match(config, /restrict_oom_score_adj = true/);
    assert.match(readFileSync(p.log, 'utf8'), /level=debug/);
    // containerd is the supervisor's child, and both are recorded in lab.json
    const rec = readLabRecord(p)!;
    assert.equal(readProcess(rec.containerd!.pid)?.ppid, rec.supervisor.pid);
    // the version asked for, in its own config format, running its own binaries
    const b = rec.binaries!;
    assert.equal(b.labVersion, v);
    const format = b.family === '2.x' ? 3 : 2;
    assert.equal(b.configVersion, format);
    assert.match(readFileSync(p.defaultConfig, 'utf8'), new RegExp(`^version = ${format}$`, 'm'), 'the binary\'s own default is in its own format');
    assert.match(config, new RegExp(`^version = ${format}$`, 'm'));
    // 2.x splits the CRI plugin: the sandbox image is pinned in the images half
    if (format === 3) assert.match(config, /\[plugins\."io\.containerd\.cri\.v1\.images"\.pinned_images\]\nsandbox = "ctrdoc\.local\/lab\/pause:1"/);
    else assert.match(config, /sandbox_image = "ctrdoc\.local\/lab\/pause:1"/);
    assert.equal(readlinkSync(`/proc/${rec.containerd!.pid}/exe`), b.containerd);
    assert.match(execFileSync(b.containerd, ['--version'], { encoding: 'utf8' }), new RegExp(` ${v.replace('.', '\\.')}\\.`));
    for (const c of shimsSeen) assert.equal(readlinkSync(`/proc/${c}/exe`), b.shim, 'containerd runs this version\'s own shim');
    // runc's state is in the lab's runc root
    assert.equal(readdirSync(p.runcRoot).length, 6);
  });

  test('up again is idempotent: same supervisor, same containerd, same pods', async () => {
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

  test('status reports pids, sockets and pods', () => {
    const r = ctrdoc('lab', 'status', '--dir', dir, '-o', 'json');
    assert.equal(r.code, 0, r.stderr);
    const st = JSON.parse(r.stdout);
    assert.equal(st.containerd.alive, true);
    assert.equal(st.supervisor.alive, true);
    assert.equal(st.cri.readyPods, 3);
    assert.equal(st.shims.length, 3);
    assert.equal(st.sockets[p.socket], true);
    assert.equal(st.sockets[p.debugSocket], true);
    assert.equal(st.containerd.labVersion, v);
  });

  test('up with another --containerd on the running lab is refused, naming both', () => {
    const other = v === '1.6' ? '2.1' : '1.6';
    const r = ctrdoc('lab', 'up', '--dir', dir, '--containerd', other);
    assert.equal(r.code, 2);
    assert.match(r.stderr, new RegExp(`runs containerd ${v.replace('.', '\\.')}, not ${other.replace('.', '\\.')}`));
  });

  test('down leaves no process, mount, cgroup, socket or directory', () => {
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
});
}

test('bad input: a lab dir too long for unix sockets, a bad --pods', () => {
  const long = ctrdoc('lab', 'status', '--dir', '/tmp/' + 'x'.repeat(120));
  assert.equal(long.code, 2);
  assert.match(long.stderr, /too long for unix socket paths/);
  const bad = ctrdoc('lab', 'up', '--dir', '/tmp/nolab', '--pods', 'many');
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--pods must be a whole number/);
  const version = ctrdoc('lab', 'up', '--dir', '/tmp/nolab', '--containerd', '1.5');
  assert.equal(version.code, 2);
  assert.match(version.stderr, /unknown containerd version "1\.5"[\s\S]*1\.6, 1\.7, 2\.1, seed/);
  const prepare = ctrdoc('lab', 'prepare', '--containerd', '3.0');
  assert.equal(prepare.code, 2);
  assert.match(prepare.stderr, /unknown containerd version "3\.0"/);
});
