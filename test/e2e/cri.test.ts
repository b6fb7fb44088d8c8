// `ctrdoc cri ...` against a real containerd (the lab), as a crictl user would use it, and the
// protocol clients underneath it: CRI and containerd gRPC, and ttrpc to the lab's real shims.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtempSync, readdirSync, rmSync, chmodSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ctrdoc, ctrdocAsync, isRoot, labUp, type TestLab } from './cli-run.ts';
import { forVersions, versionDir } from './versions.ts';
import { readLabRecord } from '../../src/lab/supervisor.ts';
import { labPaths } from '../../src/lab/paths.ts';
import { familyOf } from '../../src/sources/containerd/layout.ts';
import { openContainerd } from '../../src/sources/containerd/client.ts';
import { openShim } from '../../src/sources/shim/ttrpc.ts';
import { readBundleShim } from '../../src/sources/runc/bundles.ts';
import { openCri } from '../../src/sources/cri/client.ts';
import { containerConfig, startLabPod } from '../../src/lab/pods.ts';

const DIR_BASE = '/tmp/ctrdoc-e2e-cri';

forVersions('suite', (v) => {
const DIR = versionDir(DIR_BASE, v);
describe(`ctrdoc cri on the lab (containerd ${v})`, { skip: !isRoot && 'not root: the lab runs containerd and runc, which need root' }, () => {
  let lab: TestLab;
  before(() => {
    lab = labUp(DIR, 3, v);
  });
  after(() => lab?.down());
  const cri = (...args: string[]) => ctrdoc(['cri', ...args, '--runtime-endpoint', lab.endpoint]);

  test('pods: three Ready pods with kubelet-style names, crictl columns', () => {
    const r = cri('pods');
    assert.equal(r.code, 0, r.stderr);
    const [head, ...rows] = r.stdout.trim().split('\n');
    assert.match(head, /^POD ID\s+CREATED\s+STATE\s+NAME\s+NAMESPACE\s+ATTEMPT\s+RUNTIME$/);
    assert.equal(rows.length, 3);
    for (const row of rows) {
      assert.match(row, /^[0-9a-f]{13}\s+.+ ago\s+Ready\s+\S+\s+ctrdoc-lab\s+0\s+\(default\)$/);
    }
  });

  test('pods -o json: the CRI objects, with ids, metadata and state; -q ids only; filters', () => {
    const items = JSON.parse(cri('pods', '-o', 'json').stdout).items;
    assert.equal(items.length, 3);
    for (const p of items) {
      assert.match(p.id, /^[0-9a-f]{64}$/);
      assert.equal(p.state, 'SANDBOX_READY');
      assert.equal(p.metadata.namespace, 'ctrdoc-lab');
      assert.ok(p.metadata.uid);
    }
    const ids = cri('pods', '-q').stdout.trim().split('\n');
    assert.deepEqual(ids.sort(), items.map((p: { id: string }) => p.id).sort());
    const one = items[0].metadata.name;
    assert.equal(cri('pods', '--name', `^${one}$`, '-q').stdout.trim(), items[0].id);
    assert.equal(cri('pods', '--namespace', 'nope', '-q').stdout.trim(), '');
    assert.equal(cri('pods', '--state', 'notready', '-q').stdout.trim(), '');
    assert.match(cri('pods', '-o', 'yaml').stdout, /^items:\n {2}- /);
  });

  test('ps -o json: every container with its id, pod sandbox id and state', () => {
    const r = cri('ps', '-a', '-o', 'json');
    assert.equal(r.code, 0, r.stderr);
    const containers = JSON.parse(r.stdout).containers;
    const podIds = new Set(JSON.parse(cri('pods', '-o', 'json').stdout).items.map((p: { id: string }) => p.id));
    assert.equal(containers.length, 3);
    for (const c of containers) {
      assert.match(c.id, /^[0-9a-f]{64}$/);
      assert.ok(podIds.has(c.podSandboxId), 'container belongs to a listed pod');
      assert.equal(c.state, 'CONTAINER_RUNNING');
    }
    const table = cri('ps').stdout.trim().split('\n');
    assert.match(table[0], /^CONTAINER\s+IMAGE\s+CREATED\s+STATE\s+NAME\s+ATTEMPT\s+POD ID\s+POD$/);
    assert.equal(table.length, 4);
    assert.equal(cri('ps', '--state', 'exited', '-q').stdout.trim(), '');
    assert.equal(cri('ps', '--pod', containers[0].podSandboxId.slice(0, 10), '-q').stdout.trim(), containers[0].id);
  });

  test('inspect: verbose status carries the container pid, which is a live process', () => {
    const id = cri('ps', '-q').stdout.trim().split('\n')[0];
    const r = cri('inspect', id.slice(0, 13), '-o', 'json');
    assert.equal(r.code, 0, r.stderr);
    const st = JSON.parse(r.stdout);
    assert.equal(st.status.id, id);
    assert.ok(st.info.info.pid > 0);
    assert.ok(existsSync(`/proc/${st.info.info.pid}`), 'pid is alive');
    assert.match(cri('inspect', id, '-o', 'table').stdout, /CONTAINER_RUNNING/);
    const missing = cri('inspect', 'f'.repeat(64));
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /not.?found|does not exist/i);
    assert.equal(cri('inspect').code, 2);
  });

  test('inspectp: a sandbox\'s verbose status with its pid', () => {
    const id = cri('pods', '-q').stdout.trim().split('\n')[0];
    const st = JSON.parse(cri('inspectp', id).stdout);
    assert.equal(st.status.state, 'SANDBOX_READY');
    assert.ok(st.info.info.pid > 0);
  });

  test('info shows RuntimeReady and NetworkReady with reason; version and images', () => {
    const info = cri('info');
    assert.equal(info.code, 0, info.stderr);
    assert.match(info.stdout, /^RuntimeReady\s+True/m);
    assert.match(info.stdout, /^NetworkReady\s+(True|False)/m);
    const full = JSON.parse(cri('info', '-o', 'json').stdout);
    assert.ok(full.config.containerd, 'verbose info carries containerd\'s CRI config');
    const v = JSON.parse(cri('version', '-o', 'json').stdout);
    assert.equal(v.runtimeName, 'containerd');
    assert.equal(v.runtimeApiVersion, 'v1');
    assert.match(cri('images').stdout, /ctrdoc\.local\/lab\/pause/);
    assert.match(cri('stats').stdout, /^CONTAINER\s+NAME\s+CPU %\s+MEM/);
  });

  test('bad flags say what is wrong and exit 2', () => {
    for (const args of [['ps', '--state', 'sleeping'], ['pods', '--name', '('], ['pods', '--label', 'nokey'], ['ps', '-o', 'xml'], ['pods', '--bogus']]) {
      const r = cri(...args);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, /^error: /);
    }
  });

  test('containerd client: version, namespaces, containers, tasks, plugins, events', async () => {
    const c = openContainerd(join(DIR, 'containerd.sock'), { namespace: 'k8s.io', timeoutMs: 2000 });
    try {
      // the version the lab's own binary prints (`containerd --version`: module path, version, ...;
      // 2.1 answers "2.1.9+unknown": VERSIONS.md#version-string), in the family the lab records
      const rec = readLabRecord(labPaths(DIR))!.binaries!;
      const version = (await c.version()).version;
      assert.equal(version, rec.binaryVersion.split(' ')[2]);
      assert.equal(familyOf(version), rec.family);
      assert.ok((await c.namespaces()).includes('k8s.io'));
      const tasks = await c.listTasks();
      assert.equal(tasks.length, 6, 'three pause and three app tasks');
      assert.ok(tasks.every((t) => t.status === 'RUNNING' && t.pid > 0));
      assert.equal((await c.listContainers()).length, 6);
      const cri = (await c.plugins()).find((p) => p.id === 'cri');
      assert.equal(cri?.status, 'ok');
      assert.deepEqual(await c.events(200), [], 'a quiet lab publishes no events in 200 ms');
    } finally {
      c.close();
    }
  });

  test('ttrpc to the lab\'s real shims: Connect, State, Pids (task API v2 on 1.x, v3 on 2.x)', async () => {
    const bundleRoot = join(DIR, 'state', 'io.containerd.runtime.v2.task', 'k8s.io');
    const ids = readdirSync(bundleRoot);
    assert.equal(ids.length, 6);
    for (const id of ids) {
      const { address, taskApi } = readBundleShim(join(bundleRoot, id));
      assert.equal(taskApi, v.startsWith('2.') ? 3 : 2, 'the task API its bundle names');
      const shim = openShim(address, { timeoutMs: 2000, taskApi });
      try {
        const info = await shim.connectInfo(id);
        assert.ok(info.shimPid > 0 && existsSync(`/proc/${info.shimPid}`));
        const st = await shim.state(id);
        assert.equal(st.status, 'RUNNING');
        assert.equal(st.bundle, join(bundleRoot, id));
        assert.ok((await shim.pids(id)).includes(st.pid));
        await assert.rejects(shim.state('no-such-task'), /not found|not created/);
      } finally {
        shim.close();
      }
      // a client not told the version finds it: v2 first, v3 when v2 is Unimplemented
      const guess = openShim(address, { timeoutMs: 2000 });
      try {
        assert.ok((await guess.connectInfo(id)).shimPid > 0);
        assert.equal(guess.taskApi, taskApi);
      } finally {
        guess.close();
      }
      if (taskApi === 3) {
        const v2 = openShim(address, { timeoutMs: 2000, taskApi: 2 });
        try {
          await assert.rejects(v2.connectInfo(id), (e: Error & { kind?: string }) => e.kind === 'unimplemented' && /containerd\.task\.v2\.Task/.test(e.message));
        } finally {
          v2.close();
        }
      }
    }
  });

  test('ps: the POD column from kubelet\'s pod-name label, and from ListPodSandbox for a container made without it', async () => {
    const podNames = new Map<string, string>(JSON.parse(cri('pods', '-o', 'json').stdout).items.map((p: { id: string; metadata: { name: string } }) => [p.id, p.metadata.name]));
    const rows = () => cri('ps', '--no-trunc').stdout.trim().split('\n').slice(1).map((l) => l.split(/\s+/));
    for (const row of rows()) assert.equal(row.at(-1), podNames.get(row.at(-2)!), row.join(' '));
    // a container not made by kubelet: none of its labels name the pod
    const c = openCri(lab.endpoint, { timeoutMs: 30_000 });
    const pod = await startLabPod(c, labPaths(DIR), { app: 'bare', withContainer: false });
    try {
      const cc = containerConfig({ name: 'bare', attempt: 0, image: 'ctrdoc.local/lab/app:1', pod });
      (cc as { labels: Record<string, string> }).labels = { 'made-by': 'ctrdoc-test' };
      await c.startContainer(await c.createContainer(pod.podId, cc, pod.sandboxConfig, 30_000), 30_000);
      const bare = rows().find((r) => r.at(-2) === pod.podId);
      assert.ok(bare, 'the bare container is listed');
      assert.equal(bare.at(-1), pod.name, 'its pod named through ListPodSandbox');
      assert.equal(rows().length, 4);
    } finally {
      await c.stopPodSandbox(pod.podId, 30_000).catch(() => undefined);
      await c.removePodSandbox(pod.podId, 30_000).catch(() => undefined);
      c.close();
    }
  });

  test('a SIGSTOPped containerd: cri pods exits 2 and says containerd did not answer', () => {
    const pid = lab.containerdPid();
    process.kill(pid, 'SIGSTOP');
    try {
      const r = cri('pods', '--timeout', '2s');
      process.stderr.write(`# cri pods against a stopped containerd took ${r.ms} ms (deadline 2s)\n`);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /no answer within 2s/);
      assert.match(r.stderr, /hung or stopped/);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    assert.equal(cri('pods', '-q').code, 0, 'answers again after SIGCONT');
  });
});
});

describe('ctrdoc cri with a bad endpoint', () => {
  test('a socket path that does not exist', () => {
    const r = ctrdoc(['cri', 'pods', '-r', 'unix:///tmp/ctrdoc-no-such-dir/c.sock']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /socket \/tmp\/ctrdoc-no-such-dir\/c\.sock does not exist/);
  });

  test('an endpoint that is not a URL', () => {
    for (const ep of ['tcp://127.0.0.1:1', 'containerd.sock', 'unix://relative']) {
      const r = ctrdoc(['cri', 'ps', '-r', ep]);
      assert.equal(r.code, 2, ep);
      assert.match(r.stderr, /is not a unix socket URL/);
    }
  });

  test('a path that is not a socket', () => {
    const r = ctrdoc(['cri', 'pods', '-r', 'unix:///etc/hostname']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /is not a unix socket/);
  });

  test('a socket that speaks plain HTTP, not gRPC', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ctrdoc-http-'));
    const path = join(dir, 'http.sock');
    const server = createServer((_req, res) => res.end('hello')).listen(path);
    await new Promise((r) => server.once('listening', r));
    try {
      const r = await ctrdocAsync(['cri', 'pods', '-r', `unix://${path}`, '--timeout', '2s'], { timeoutMs: 20_000 });
      assert.equal(r.code, 2);
      assert.match(r.stderr, /^error: CRI .*ListPodSandbox/m);
      assert.match(r.stderr, /hint: /);
    } finally {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('permission denied: a non-root user on a root-only socket', { skip: !isRoot && 'not root: cannot switch to another user' }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ctrdoc-perm-'));
    chmodSync(dir, 0o755);
    const path = join(dir, 'root-only.sock');
    const server = createServer().listen(path);
    await new Promise((r) => server.once('listening', r));
    chmodSync(path, 0o600);
    try {
      const r = ctrdoc(['cri', 'pods', '-r', `unix://${path}`], { uid: 65534, gid: 65534 });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /no permission to open/);
      assert.match(r.stderr, /run as root/);
    } finally {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
