// Shim sockets that misbehave, through the probe the tree uses: one that accepts and never
// answers (the probe ends at its deadline, the tree says shim-unresponsive), one nobody listens
// on any more (stale-shim-socket), and a missing socket file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probeShimSockets } from '../../src/sources/shim/probe.ts';
import { MAX_SUSPECT_SHIMS, socketsToProbe } from '../../src/collect/probes/shims.ts';
import type { Container } from '../../src/snapshot/types/cri.ts';
import type { TaskView } from '../../src/snapshot/types/containerd.ts';
import { buildProcessTree } from '../../src/tree/build.ts';
import { baseFromStat } from '../../src/sources/proc/scan.ts';
import type { TaskBundleView } from '../../src/snapshot/types/runc.ts';

test('a socket that accepts but never answers, a stale socket, a missing one: probes end, facts name them', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ctrdoc-shimsock-'));
  const mute = join(dir, 'mute');
  const stale = join(dir, 'stale');
  const held: Socket[] = [];
  const server = createServer((s) => { held.push(s); }); // reads nothing, writes nothing
  await new Promise<void>((r) => server.listen(mute, r));
  // A stale socket: the file a dead server left behind (node would unlink it on close; a killed shim cannot).
  const bind = spawnSync('python3', ['-c', 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])', stale]);
  assert.equal(bind.status, 0, 'python3 binds a socket and exits without removing it');
  try {
    const sb = 'a'.repeat(64);
    const bundles: TaskBundleView = {
      dir: join(dir, 'tasks'),
      bundles: [
        { namespace: 'k8s.io', id: sb, dir: join(dir, sb), address: `unix://${mute}`, socketPath: mute, socketExists: true, hasConfig: true, sandboxId: sb },
        { namespace: 'k8s.io', id: 'b'.repeat(64), dir: join(dir, 'b'), address: `unix://${stale}`, socketPath: stale, socketExists: true, hasConfig: true },
        { namespace: 'k8s.io', id: 'c'.repeat(64), dir: join(dir, 'c'), address: `unix://${join(dir, 'missing')}`, socketPath: join(dir, 'missing'), socketExists: false, hasConfig: true },
      ],
      sockets: [{ path: mute, referenced: true }, { path: stale, referenced: true }],
    };
    // containerd's task list runs only the first one's task: the other two sockets are suspects;
    // when the list did not answer, every socket is
    assert.deepEqual(socketsToProbe(bundles, { tasks: [{ id: sb, pid: 1, status: 'RUNNING', exitStatus: 0, exitedAt: '' }] }, false).map((x) => x.path), [stale, join(dir, 'missing')]);
    assert.deepEqual(socketsToProbe(bundles, {}, false).map((x) => x.path), [mute, stale, join(dir, 'missing')]);
    const probes = await probeShimSockets(socketsToProbe(bundles, {}, false).map((x) => x.path), 300);
    const by = new Map(probes.map((p) => [p.socketPath, p]));
    assert.equal(by.get(mute)?.ok, false);
    assert.match(by.get(mute)!.error!, /no answer within|deadline/i);
    assert.equal(by.get(stale)?.ok, false);
    assert.match(by.get(stale)!.error!, /connection refused/);
    assert.equal(by.get(join(dir, 'missing'))?.ok, false);

    const clock = { bootTimeMs: Date.now() - 1e6, uptimeSec: 1000, pageSizeKb: 4 };
    const shim = baseFromStat({ pid: 50, comm: 'containerd-shim', state: 'S', ppid: 1, pgid: 50, sid: 50, flags: 0, utime: 0, stime: 0, threads: 10, starttime: 1000, vsizeBytes: 0, rssPages: 1000 },
      ['/usr/bin/containerd-shim-runc-v2', '-namespace', 'k8s.io', '-id', sb, '-address', '/run/containerd/containerd.sock'], clock, 4);
    const v = buildProcessTree({
      proc: { procRoot: '/proc', takenAt: '', bootTime: '', uptimeSec: 1000, clockTicks: 100, pageSizeKb: 4, processes: [shim], vanished: 0, reused: 0, durationMs: 0 },
      bundles, shimProbes: probes,
    });
    const unresponsive = v.facts.filter((f) => f.kind === 'shim-unresponsive');
    assert.equal(unresponsive.length, 1);
    assert.equal(unresponsive[0].subject.shimPid, 50);
    assert.equal(unresponsive[0].subject.path, mute);
    assert.ok(v.facts.some((f) => f.kind === 'stale-shim-socket' && f.subject.path === stale), JSON.stringify(v.facts));
    assert.ok(v.facts.some((f) => f.kind === 'dead-shim-leftover' && f.subject.path === join(dir, 'b')));
  } finally {
    for (const s of held) s.destroy();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('shims containerd vouches for are asked anyway, bounded, when a container of their pod looks stuck', () => {
  const task = (id: string, status: TaskView['status']): TaskView => ({ id, pid: 1, status, exitStatus: 0, exitedAt: '' });
  const pods = Array.from({ length: MAX_SUSPECT_SHIMS + 4 }, (_, i) => String(i).padStart(2, '0').repeat(32));
  const bundles: TaskBundleView = {
    dir: '/state',
    bundles: pods.flatMap((sb, i) => [
      { namespace: 'k8s.io', id: sb, dir: `/state/${sb}`, socketPath: `/s/${i}`, taskApi: 3, socketExists: true, hasConfig: true, sandboxId: sb },
      { namespace: 'k8s.io', id: `app${i}`, dir: `/state/app${i}`, socketPath: `/s/${i}`, taskApi: 3, socketExists: true, hasConfig: true, sandboxId: sb },
    ]),
    sockets: [],
  };
  const running = pods.flatMap((sb, i) => [task(sb, 'RUNNING'), task(`app${i}`, 'RUNNING')]);
  assert.deepEqual(socketsToProbe(bundles, { tasks: running }, false), [], 'a healthy node: every shim vouched for');
  // an exited container (STOPPED, normal churn) does not make its shim suspect
  assert.deepEqual(socketsToProbe(bundles, { tasks: running.map((t) => (t.id === 'app0' ? task('app0', 'STOPPED') : t)) }, false), []);
  // a task created and never started (stuck-init-task): its pod's shim, with the API its bundle names
  const created = socketsToProbe(bundles, { tasks: running.map((t) => (t.id === 'app1' ? task('app1', 'CREATED') : t)) }, false);
  assert.deepEqual(created.map((x) => [x.path, x.taskApi, x.why]), [['/s/1', 3, 'a container of its pod looks stuck: task app1 is CREATED']]);
  // a bundle with no task, and a container CRI still shows Created (no task yet)
  const noTask = socketsToProbe(bundles, { tasks: running.filter((t) => t.id !== 'app2') }, false);
  assert.match(noTask[0].why, /task bundle app2 has no task in containerd's list/);
  const cri = [{ id: 'c'.repeat(64), podSandboxId: pods[3], metadata: { name: 'web', attempt: 0 }, state: 'CONTAINER_CREATED' }] as unknown as Container[];
  assert.deepEqual(socketsToProbe(bundles, { tasks: running, containers: cri }, false).map((x) => x.why), ['a container of its pod looks stuck: container web of its pod is Created in CRI']);
  // bounded: every pod with a stuck container, at most MAX_SUSPECT_SHIMS shims
  const allStuck = running.map((t) => (t.id.startsWith('app') ? task(t.id, 'CREATED') : t));
  assert.equal(socketsToProbe(bundles, { tasks: allStuck }, false).length, MAX_SUSPECT_SHIMS);
  // a shim containerd does not vouch for is asked whatever the bound
  const dead = running.filter((t) => t.id !== pods[5] && t.id !== 'app5');
  assert.ok(socketsToProbe(bundles, { tasks: [...dead.filter((t) => !t.id.startsWith('app')), ...allStuck.filter((t) => t.id.startsWith('app') && t.id !== 'app5')] }, false).some((x) => x.path === '/s/5' && /no task of this shim is running/.test(x.why)));
});
