// The stack's one resolution (src/collect/stack.ts): flags, env, crictl.yaml, the running
// containerd (its argv, its config read the way containerd does), defaults, each value with where
// it came from; with several daemons, kubelet's endpoint, then CRI, then the default socket.
// The processes here are data (pid, comm, argv), as a /proc scan hands them over; the real
// daemons are in test/e2e/stack.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { containerdDaemonsOf, readConfigFacts, refineFromCri } from '../../src/sources/containerd/discover.ts';
import { resolveStack, type ResolveOptions } from '../../src/collect/stack.ts';
import { DEFAULT_ENDPOINT, namedEndpoint } from '../../src/sources/cri/endpoint.ts';
import type { StackLocation } from '../../src/snapshot/types/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'ctrdoc-discover-'));
const file = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
/** no crictl.yaml, an empty /proc, no env: only what each test gives */
const quiet = (o: ResolveOptions = {}): ResolveOptions => ({ env: {}, crictlConfig: join(dir, 'no-crictl.yaml'), procRoot: join(dir, 'proc'), processes: [], ...o });

const v2 = `
version = 2
root = "/var/lib/lab/root"
state = "/var/lib/lab/state"
[grpc]
  address = "/var/lib/lab/c.sock"
[debug]
  address = "/var/lib/lab/debug.sock"
  level = "debug"
[plugins."io.containerd.grpc.v1.cri".containerd]
  default_runtime_name = "runc"
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
    runtime_type = "io.containerd.runc.v2"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
      Root = "/var/lib/lab/runc"
      SystemdCgroup = false
`;

const v2Path = file('v2.toml', v2);

test('a daemon\'s config read into the one shape: socket, dirs, debug address, runc root', async () => {
  const f = await readConfigFacts(v2Path);
  assert.equal(f.grpcAddress, '/var/lib/lab/c.sock');
  assert.equal(f.debugAddress, '/var/lib/lab/debug.sock');
  assert.equal(f.root, '/var/lib/lab/root');
  assert.equal(f.state, '/var/lib/lab/state');
  assert.equal(f.runcRoot, '/var/lib/lab/runc');
});

test('an empty config yields nothing but defaults; garbage TOML is an error naming the problem', async () => {
  const f = await readConfigFacts(file('empty.toml', ''));
  assert.deepEqual([f.grpcAddress, f.root, f.runcRoot], [undefined, undefined, undefined]);
  await assert.rejects(readConfigFacts(file('bad.toml', '[grpc\naddress = ')), /line|Invalid|Expected|Unterminated/i);
  await assert.rejects(readConfigFacts(file('bin.toml', '\u0000\u0001binary')), Error);
});

test('crictl order: flag, then CONTAINER_RUNTIME_ENDPOINT, then crictl.yaml, then nothing named', () => {
  const yaml = file('crictl.yaml', 'runtime-endpoint: unix:///c.sock\n');
  assert.deepEqual(namedEndpoint('unix:///a.sock', { CONTAINER_RUNTIME_ENDPOINT: 'unix:///b.sock' }, yaml), { endpoint: 'unix:///a.sock', source: 'flag' });
  assert.deepEqual(namedEndpoint(undefined, { CONTAINER_RUNTIME_ENDPOINT: 'unix:///b.sock' }, yaml), { endpoint: 'unix:///b.sock', source: 'env' });
  assert.deepEqual(namedEndpoint(undefined, {}, yaml), { endpoint: 'unix:///c.sock', source: 'crictl.yaml' });
  assert.equal(namedEndpoint(undefined, {}, join(dir, 'none.yaml')), undefined);
});

test('flags win over discovery, and every value says where it came from', async () => {
  const s = await resolveStack({ 'runtime-endpoint': 'unix:///nowhere/x.sock', 'runc-root': '/r', namespace: 'ns1' }, quiet({ timeoutMs: 1500 }));
  assert.equal(s.runtimeEndpoint, 'unix:///nowhere/x.sock');
  assert.equal(s.sources.runtimeEndpoint, 'flag');
  assert.equal(s.address, '/nowhere/x.sock');
  assert.equal(s.runcRoot, '/r');
  assert.equal(s.sources.runcRoot, 'flag');
  assert.equal(s.namespace, 'ns1');
  assert.equal(s.timeoutMs, 1500);
  assert.ok(s.notes.some((n) => n.includes('no running containerd found (flag names /nowhere/x.sock)')), s.notes.join('\n'));
});

test('nothing named and nothing running: the defaults, said plainly', async () => {
  const s = await resolveStack({}, quiet());
  assert.equal(s.runtimeEndpoint, DEFAULT_ENDPOINT);
  assert.equal(s.sources.runtimeEndpoint, 'default');
  assert.equal(s.containerdPid, undefined);
  assert.ok(s.notes.includes('no running containerd found: using the default paths'));
});

const lab = (pid: number, name: string, extra: string[] = []) => ({ pid, comm: 'containerd', cmdline: ['/usr/bin/containerd', '--address', `/run/${name}.sock`, ...extra] });

test('one daemon: its socket, its config\'s dirs, from its command line and config', async () => {
  const s = await resolveStack({}, quiet({ processes: [{ pid: 10, comm: 'containerd', cmdline: ['containerd', '--config', v2Path] }] }));
  assert.equal(s.containerdPid, 10);
  assert.equal(s.address, '/var/lib/lab/c.sock');
  assert.equal(s.sources.address, 'containerd config');
  assert.equal(s.runtimeEndpoint, 'unix:///var/lib/lab/c.sock');
  assert.equal(s.containerdConfig, v2Path);
  assert.equal(s.sources.containerdConfig, 'containerd cmdline');
  assert.equal(s.runcRoot, '/var/lib/lab/runc/k8s.io');
  assert.equal(s.stateDir, '/var/lib/lab/state');
  assert.equal(s.debugAddress, '/var/lib/lab/debug.sock');
  assert.equal(s.daemons, undefined, 'one daemon is no choice');
});

test('a `cri` command whose endpoint is named reads no /proc and no config', async () => {
  const s = await resolveStack({ 'runtime-endpoint': 'unix:///x.sock' }, quiet({ need: 'endpoint', processes: [lab(10, 'a')], procRoot: '/nonexistent' }));
  assert.equal(s.runtimeEndpoint, 'unix:///x.sock');
  assert.equal(s.containerdPid, undefined, 'no daemon looked at');
  assert.deepEqual(s.notes, []);
});

test('a `cri` command with nothing named finds the running containerd, as doctor does', async () => {
  const s = await resolveStack({}, quiet({ need: 'endpoint', processes: [lab(10, 'lab-a')] }));
  assert.equal(s.runtimeEndpoint, 'unix:///run/lab-a.sock');
  assert.equal(s.sources.runtimeEndpoint, 'containerd cmdline');
});

test('several daemons, none named: kubelet\'s runtime endpoint (its flag) chooses, and the others are listed', async () => {
  const kubelet = { pid: 30, comm: 'kubelet', cmdline: ['/usr/bin/kubelet', '--container-runtime-endpoint=unix:///run/lab-b.sock'] };
  const s = await resolveStack({}, quiet({ processes: [lab(10, 'lab-a'), lab(20, 'lab-b'), kubelet], answersCri: async () => true }));
  assert.equal(s.containerdPid, 20);
  assert.equal(s.address, '/run/lab-b.sock');
  assert.match(s.daemons!.chosen!.why, /kubelet's runtime endpoint \(kubelet 30 --container-runtime-endpoint\)/);
  assert.deepEqual(s.daemons!.others.map((d) => d.pid), [10]);
  assert.match(s.daemons!.pick, /--runtime-endpoint unix:\/\/\/run\/lab-a\.sock/);
  assert.ok(s.notes.some((n) => /2 containerd daemons run here; using pid 20 at \/run\/lab-b\.sock/.test(n)));
});

test('several daemons: kubelet\'s config file (containerRuntimeEndpoint) names one', async () => {
  const cfg = file('kubelet.yaml', 'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\ncontainerRuntimeEndpoint: unix:///run/lab-a.sock\n');
  const kubelet = { pid: 30, comm: 'kubelet', cmdline: ['/usr/bin/kubelet', `--config=${cfg}`] };
  const s = await resolveStack({}, quiet({ processes: [lab(10, 'lab-a'), lab(20, 'lab-b'), kubelet], answersCri: async () => true }));
  assert.equal(s.containerdPid, 10);
  assert.match(s.daemons!.chosen!.why, /containerRuntimeEndpoint/);
});

test('several daemons, no kubelet: the one that serves CRI (Docker\'s has CRI disabled)', async () => {
  const docker = file('docker-containerd.toml', 'version = 2\ndisabled_plugins = ["io.containerd.grpc.v1.cri"]\n[grpc]\n  address = "/run/docker/containerd/containerd.sock"\n');
  const k8s = file('k8s.toml', 'version = 2\n[grpc]\n  address = "/run/k8s.sock"\n');
  const s = await resolveStack({}, quiet({
    processes: [{ pid: 10, comm: 'containerd', cmdline: ['containerd', '--config', docker] }, { pid: 20, comm: 'containerd', cmdline: ['containerd', '-c', k8s] }],
    answersCri: async () => { throw new Error('not asked: the config decides'); },
  }));
  assert.equal(s.containerdPid, 20);
  assert.equal(s.daemons!.chosen!.why, 'the only one that serves CRI');
  assert.deepEqual(s.daemons!.others, [{ pid: 10, address: '/run/docker/containerd/containerd.sock', configPath: docker, servesCri: false }]);
});

test('several daemons that all serve CRI: asked, then the default socket, then the lowest pid; never "not running"', async () => {
  const answered: string[] = [];
  const onlyB = async (e: string) => { answered.push(e); return e.endsWith('lab-b.sock'); };
  const b = await resolveStack({}, quiet({ processes: [lab(10, 'lab-a'), lab(20, 'lab-b')], answersCri: onlyB }));
  assert.equal(b.containerdPid, 20);
  assert.deepEqual(answered.sort(), ['unix:///run/lab-a.sock', 'unix:///run/lab-b.sock']);
  const onDefault = { pid: 5, comm: 'containerd', cmdline: ['/usr/bin/containerd', '--address', '/run/containerd/containerd.sock'] };
  const d = await resolveStack({}, quiet({ processes: [lab(10, 'lab-a'), onDefault], answersCri: async () => true }));
  assert.equal(d.containerdPid, 5);
  assert.match(d.daemons!.chosen!.why, /default socket/);
  const first = await resolveStack({}, quiet({ processes: [lab(20, 'lab-b'), lab(10, 'lab-a')], answersCri: async () => true }));
  assert.equal(first.containerdPid, 10);
  assert.match(first.daemons!.chosen!.why, /lowest pid/);
  assert.ok(!first.notes.some((n) => /no running containerd/.test(n)));
});

test('a socket named that no daemon serves: says which ones run and how to pick', async () => {
  const s = await resolveStack({ address: '/run/gone.sock' }, quiet({ processes: [lab(10, 'lab-a')] }));
  assert.equal(s.containerdPid, undefined);
  assert.equal(s.address, '/run/gone.sock');
  assert.ok(s.notes.some((n) => n.startsWith('no running containerd serves /run/gone.sock (--address); running: pid 10 at /run/lab-a.sock')), s.notes.join('\n'));
  assert.deepEqual(s.daemons!.others.map((d) => d.pid), [10]);
});

test('not a daemon: `containerd config dump`, shims and ctr are not containerd daemons', async () => {
  const ds = await containerdDaemonsOf([
    { pid: 1, comm: 'containerd', cmdline: ['containerd', 'config', 'dump'] },
    { pid: 2, comm: 'containerd-shim', cmdline: ['/usr/bin/containerd-shim-runc-v2', '-namespace', 'k8s.io'] },
    { pid: 3, comm: 'ctr', cmdline: ['ctr', 'tasks', 'ls'] },
    lab(4, 'x'),
  ], { procRoot: join(dir, 'proc') });
  assert.deepEqual(ds.map((d) => d.pid), [4]);
});

test('hostile process lists never throw (property)', async () => {
  await fc.assert(fc.asyncProperty(fc.array(fc.record({ pid: fc.nat(), comm: fc.constantFrom('containerd', 'kubelet', 'x'), cmdline: fc.array(fc.string(), { maxLength: 6 }) }), { maxLength: 6 }), async (processes) => {
    const s = await resolveStack({}, quiet({ processes, answersCri: async () => false }));
    return typeof s.runtimeEndpoint === 'string' && s.address.length > 0;
  }), { numRuns: 60 });
});

test('crictl.yaml: runtime-endpoint read from the flat map, quoted or not, comments ignored', async () => {
  const { crictlYamlEndpoint } = await import('../../src/sources/cri/endpoint.ts');
  assert.equal(crictlYamlEndpoint('runtime-endpoint: unix:///run/containerd/containerd.sock\nimage-endpoint: unix:///x\ntimeout: 2\n'), 'unix:///run/containerd/containerd.sock');
  assert.equal(crictlYamlEndpoint('debug: false\nruntime-endpoint: "unix:///a b.sock"\n'), 'unix:///a b.sock');
  assert.equal(crictlYamlEndpoint("runtime-endpoint: 'unix:///c.sock' # containerd\n"), 'unix:///c.sock');
  assert.equal(crictlYamlEndpoint('image-endpoint: unix:///x\n'), undefined);
  assert.equal(crictlYamlEndpoint('runtime-endpoint:\n'), undefined);
  assert.equal(crictlYamlEndpoint('\u0000\u00ff garbage'), undefined);
});

// `ctrdoc cri info -o json` recorded from the lab (testdata/captures/cri/1.6.20/healthy)
const labInfo = JSON.parse(readFileSync(join(import.meta.dirname, '../../testdata/captures/cri/1.6.20/healthy/info.json'), 'utf8')) as Record<string, unknown>;

/** What discovery finds when containerd's config cannot be read: the standard paths. */
const withDefaults = (): Promise<StackLocation> => resolveStack({ 'runtime-endpoint': 'unix:///nowhere/x.sock' }, quiet({ timeoutMs: 2000 }));

test('refineFromCri: the running plugin beats the standard paths, says so, and never beats a flag', async () => {
  const before = await withDefaults();
  assert.equal(before.sources.runcRoot, 'default');
  const s = refineFromCri(before, labInfo);
  assert.equal(s.runcRoot, '/var/lib/ctrdoc-lab/runc/k8s.io');
  assert.equal(s.stateDir, '/var/lib/ctrdoc-lab/state');
  assert.equal(s.rootDir, '/var/lib/ctrdoc-lab/root');
  assert.deepEqual([s.sources.runcRoot, s.sources.stateDir, s.sources.rootDir], ['cri status', 'cri status', 'cri status']);
  assert.ok(s.notes.some((n) => n === 'runcRoot /var/lib/ctrdoc-lab/runc/k8s.io: from the running CRI plugin (default said /run/containerd/runc/k8s.io)'), s.notes.join('\n'));
  assert.equal(before.runcRoot, '/run/containerd/runc/k8s.io', 'the input is not changed');
  // a flag is the user's word
  const flagged = refineFromCri(await resolveStack({ 'runtime-endpoint': 'unix:///nowhere/x.sock', 'runc-root': '/mine' }, quiet()), labInfo);
  assert.equal(flagged.runcRoot, '/mine');
  // agreeing values change nothing and add no note
  const again = refineFromCri(s, labInfo);
  assert.deepEqual(again.notes, s.notes);
});

test('refineFromCri: no config, or one that is not what containerd sends, changes nothing', async () => {
  const before = await withDefaults();
  for (const info of [undefined, {}, { config: 'a string' }, { config: null }, { config: { stateDir: 'relative/dir', containerd: { runtimes: { runc: { options: { Root: 42 } } } } } }]) {
    const s = refineFromCri(before, info as Record<string, unknown> | undefined);
    assert.deepEqual([s.runcRoot, s.stateDir, s.rootDir, s.notes], [before.runcRoot, before.stateDir, before.rootDir, before.notes], JSON.stringify(info));
  }
});

test('refineFromCri never throws, never touches a flag, and only sets absolute paths (property)', async () => {
  const flagged = await resolveStack({ 'runtime-endpoint': 'unix:///nowhere/x.sock', 'runc-root': '/mine' }, quiet());
  fc.assert(fc.property(fc.jsonValue(), fc.jsonValue(), (config, runtimes) => {
    const info = { config: typeof config === 'object' && config && !Array.isArray(config) ? { ...config, containerd: { runtimes } } : config };
    const s = refineFromCri(flagged, info as Record<string, unknown>);
    return s.runcRoot === '/mine' && s.stateDir.startsWith('/') && s.rootDir.startsWith('/');
  }));
});

test('several daemons and several kubelets: --kubelet-pid says whose endpoint chooses', async () => {
  const ka = { pid: 30, comm: 'kubelet', cmdline: ['/usr/bin/kubelet', '--container-runtime-endpoint=unix:///run/lab-a.sock'] };
  const kb = { pid: 31, comm: 'kubelet', cmdline: ['/usr/bin/kubelet', '--container-runtime-endpoint=unix:///run/lab-b.sock'] };
  const both = await resolveStack({}, quiet({ processes: [lab(10, 'lab-a'), lab(20, 'lab-b'), ka, kb], answersCri: async () => true }));
  assert.doesNotMatch(both.daemons!.chosen!.why, /kubelet's runtime endpoint/, 'two kubelets naming two daemons decide nothing');
  const b = await resolveStack({ 'kubelet-pid': '31' }, quiet({ processes: [lab(10, 'lab-a'), lab(20, 'lab-b'), ka, kb], answersCri: async () => true }));
  assert.equal(b.containerdPid, 20);
  assert.match(b.daemons!.chosen!.why, /kubelet 31/);
});
