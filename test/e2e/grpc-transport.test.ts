// ctrdoc's gRPC transport (node:http2 + generated codecs) against a real containerd: unary and
// server-streaming calls, and each failure a user meets mapped to its error kind: a service the
// socket does not serve (unimplemented), a stopped daemon (deadline-exceeded), a socket nobody
// listens on and a daemon that goes away under an open stream (unavailable).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRoot, labUp, type TestLab } from './cli-run.ts';
import { GrpcConnection } from '../../src/sources/protocol/grpc.ts';
import { openContainerd } from '../../src/sources/containerd/client.ts';
import { CtrdocError } from '../../src/errors.ts';

const DIR = '/tmp/ctrdoc-e2e-grpc';

const kindOf = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
    return 'ok';
  } catch (err) {
    assert.ok(err instanceof CtrdocError, `a CtrdocError, not ${String(err)}`);
    return err.kind;
  }
};

describe('gRPC transport on a real containerd', { skip: !isRoot && 'not root: the lab runs containerd and runc, which need root' }, () => {
  let lab: TestLab;
  let sock: string;
  before(() => {
    lab = labUp(DIR, 1);
    sock = join(DIR, 'containerd.sock');
  });
  after(() => lab?.down());

  test('unary calls: CRI and containerd answers decode (int64 as strings, enums by name); many calls share one connection', async () => {
    const c = new GrpcConnection(lab.endpoint, { what: 'CRI', timeoutMs: 5000 });
    try {
      const [v, pods, ctrs] = await Promise.all([
        c.unary<{ runtimeName: string }>('runtime.v1.RuntimeService', 'Version', { version: 'v1' }),
        c.unary<{ items: { state: string; createdAt: string }[] }>('runtime.v1.RuntimeService', 'ListPodSandbox', {}),
        c.unary<{ containers: { state: string }[] }>('runtime.v1.RuntimeService', 'ListContainers', { filter: { state: { state: 'CONTAINER_RUNNING' } } }),
      ]);
      assert.equal(v.runtimeName, 'containerd');
      assert.equal(pods.items.length, 1);
      assert.equal(pods.items[0].state, 'SANDBOX_READY');
      assert.match(pods.items[0].createdAt, /^\d{19}$/);
      assert.deepEqual(ctrs.containers.map((x) => x.state), ['CONTAINER_RUNNING']);
    } finally {
      c.close();
    }
  });

  test('a server stream: Events.Subscribe sees an event a real ctr command makes, and ends when sampled', async () => {
    const cd = openContainerd(sock, { namespace: 'k8s.io', timeoutMs: 5000 });
    try {
      const ns = `ctrdoc-grpc-${process.pid}`;
      const seen = cd.events(1500, [`topic~="/namespaces/"`]);
      await new Promise((r) => setTimeout(r, 300));
      const made = spawnSync('ctr', ['-a', sock, 'namespaces', 'create', ns], { encoding: 'utf8', timeout: 10_000 });
      assert.equal(made.status, 0, made.stderr);
      spawnSync('ctr', ['-a', sock, 'namespaces', 'remove', ns], { timeout: 10_000 });
      const events = await seen;
      // the event is published in the caller's namespace (ctr's "default"); the deleted one's in its own
      assert.ok(events.some((e) => e.topic === '/namespaces/create' && e.typeUrl.endsWith('containerd.events.NamespaceCreate')), JSON.stringify(events));
      assert.ok(events.some((e) => e.topic === '/namespaces/delete' && e.namespace === ns), JSON.stringify(events));
    } finally {
      cd.close();
    }
  });

  test('a service this socket does not serve is unimplemented (the shim task API on containerd\'s socket)', async () => {
    const c = new GrpcConnection(lab.endpoint, { what: 'containerd', timeoutMs: 5000 });
    try {
      const p = c.unary('containerd.task.v2.Task', 'Connect', {});
      assert.equal(await kindOf(p), 'unimplemented');
      await p.catch((e: CtrdocError) => assert.match(e.message, /unknown service containerd\.task\.v2\.Task/));
    } finally {
      c.close();
    }
  });

  test('a stopped containerd: deadline-exceeded after the deadline, and the connection is usable again when it runs', async () => {
    const pid = lab.containerdPid();
    const c = new GrpcConnection(lab.endpoint, { what: 'CRI', timeoutMs: 5000 });
    try {
      await c.unary('runtime.v1.RuntimeService', 'Version', {});
      process.kill(pid, 'SIGSTOP');
      try {
        // stopped once /proc says so (T): a call sent before that may still be answered
        for (let i = 0; i < 100 && !/^\d+ \(.*\) T/.test(readFileSync(`/proc/${pid}/stat`, 'utf8')); i++) await new Promise((r) => setTimeout(r, 20));
        assert.equal(await kindOf(c.unary('runtime.v1.RuntimeService', 'Version', {}, 500)), 'deadline-exceeded');
      } finally {
        process.kill(pid, 'SIGCONT');
      }
      assert.equal(await kindOf(c.unary('runtime.v1.RuntimeService', 'Version', {})), 'ok');
    } finally {
      c.close();
    }
  });

  test('a socket nobody accepts on is unavailable (a daemon that died and left its socket file)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ctrdoc-grpc-'));
    const path = join(dir, 'gone.sock');
    // a process that binds the socket and is killed: the file stays, nobody listens (ECONNREFUSED)
    spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`], { timeout: 10_000 });
    const c = new GrpcConnection(`unix://${path}`, { what: 'CRI', timeoutMs: 2000 });
    try {
      const p = c.unary('runtime.v1.RuntimeService', 'Version', {});
      assert.equal(await kindOf(p), 'unavailable');
      await p.catch((e: CtrdocError) => assert.match(e.message, /ECONNREFUSED/));
    } finally {
      c.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('containerd going away under an open stream ends it as unavailable, not a hang (last: it takes the lab down)', async () => {
    const cd = openContainerd(sock, { namespace: 'k8s.io', timeoutMs: 5000 });
    try {
      const stream = cd.events(60_000);
      await new Promise((r) => setTimeout(r, 300));
      lab.down();
      const t = Date.now();
      assert.equal(await kindOf(stream), 'unavailable');
      assert.ok(Date.now() - t < 30_000);
    } finally {
      cd.close();
    }
  });
});
