// Stack discovery reads containerd's config the way containerd does, and follows crictl's
// order for the endpoint; garbage TOML is an error that names the problem.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { configFacts, criEndpoint, criLocations, refineFromCri, resolveStack, DEFAULT_ENDPOINT } from '../../src/sources/containerd/discover.ts';
import type { StackLocation } from '../../src/snapshot/types/index.ts';

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

test('config facts from a version 2 config', () => {
  assert.deepEqual(configFacts(v2), {
    address: '/var/lib/lab/c.sock',
    debugAddress: '/var/lib/lab/debug.sock',
    root: '/var/lib/lab/root',
    state: '/var/lib/lab/state',
    runcRootBase: '/var/lib/lab/runc',
  });
});

test('an empty config yields no facts (containerd then uses its defaults)', () => {
  assert.deepEqual(configFacts(''), { address: undefined, debugAddress: undefined, root: undefined, state: undefined, runcRootBase: undefined });
});

test('garbage TOML is an error naming the line', () => {
  assert.throws(() => configFacts('[grpc\naddress = '), /line|Invalid|Expected|Unterminated/i);
  assert.throws(() => configFacts('\u0000\u0001binary'), Error);
});

test('crictl order: flag, then CONTAINER_RUNTIME_ENDPOINT, then the default', () => {
  assert.deepEqual(criEndpoint('unix:///a.sock', { CONTAINER_RUNTIME_ENDPOINT: 'unix:///b.sock' }), { endpoint: 'unix:///a.sock', source: 'flag' });
  assert.deepEqual(criEndpoint(undefined, { CONTAINER_RUNTIME_ENDPOINT: 'unix:///b.sock' }), { endpoint: 'unix:///b.sock', source: 'env' });
  const d = criEndpoint(undefined, {});
  assert.ok(d.source === 'default' || d.source === 'crictl.yaml');
  if (d.source === 'default') assert.equal(d.endpoint, DEFAULT_ENDPOINT);
});

test('flags win over discovery, and every value says where it came from', () => {
  const s = resolveStack({ 'runtime-endpoint': 'unix:///nowhere/x.sock', 'runc-root': '/r', namespace: 'ns1' }, 1500, {});
  assert.equal(s.runtimeEndpoint, 'unix:///nowhere/x.sock');
  assert.equal(s.sources.runtimeEndpoint, 'flag');
  assert.equal(s.address, '/nowhere/x.sock');
  assert.equal(s.runcRoot, '/r');
  assert.equal(s.sources.runcRoot, 'flag');
  assert.equal(s.namespace, 'ns1');
  assert.equal(s.timeoutMs, 1500);
  assert.ok(s.notes.some((n) => n.includes('no running containerd serves /nowhere/x.sock')));
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
const withDefaults = (): StackLocation => resolveStack({ 'runtime-endpoint': 'unix:///nowhere/x.sock' }, 2000, {});

test('the running CRI plugin\'s dirs, from a real verbose Status of containerd 1.6.20', () => {
  assert.deepEqual(criLocations(labInfo), { rootDir: '/var/lib/ctrdoc-lab/root', stateDir: '/var/lib/ctrdoc-lab/state', runcRootBase: '/var/lib/ctrdoc-lab/runc' });
});

test('refineFromCri: the running plugin beats the standard paths, says so, and never beats a flag', () => {
  const before = withDefaults();
  assert.equal(before.sources.runcRoot, 'default');
  const s = refineFromCri(before, labInfo);
  assert.equal(s.runcRoot, '/var/lib/ctrdoc-lab/runc/k8s.io');
  assert.equal(s.stateDir, '/var/lib/ctrdoc-lab/state');
  assert.equal(s.rootDir, '/var/lib/ctrdoc-lab/root');
  assert.deepEqual([s.sources.runcRoot, s.sources.stateDir, s.sources.rootDir], ['cri status', 'cri status', 'cri status']);
  assert.ok(s.notes.some((n) => n === 'runcRoot /var/lib/ctrdoc-lab/runc/k8s.io: from the running CRI plugin (default said /run/containerd/runc/k8s.io)'), s.notes.join('\n'));
  assert.equal(before.runcRoot, '/run/containerd/runc/k8s.io', 'the input is not changed');
  // a flag is the user's word
  const flagged = refineFromCri(resolveStack({ 'runtime-endpoint': 'unix:///nowhere/x.sock', 'runc-root': '/mine' }, 2000, {}), labInfo);
  assert.equal(flagged.runcRoot, '/mine');
  // agreeing values change nothing and add no note
  const again = refineFromCri(s, labInfo);
  assert.deepEqual(again.notes, s.notes);
});

test('refineFromCri: no config, or one that is not what containerd sends, changes nothing', () => {
  const before = withDefaults();
  for (const info of [undefined, {}, { config: 'a string' }, { config: null }, { config: { stateDir: 'relative/dir', containerd: { runtimes: { runc: { options: { Root: 42 } } } } } }]) {
    const s = refineFromCri(before, info as Record<string, unknown> | undefined);
    assert.deepEqual([s.runcRoot, s.stateDir, s.rootDir, s.notes], [before.runcRoot, before.stateDir, before.rootDir, before.notes], JSON.stringify(info));
  }
});

test('refineFromCri never throws, never touches a flag, and only sets absolute paths (property)', () => {
  const flagged = resolveStack({ 'runtime-endpoint': 'unix:///nowhere/x.sock', 'runc-root': '/mine' }, 2000, {});
  fc.assert(fc.property(fc.jsonValue(), fc.jsonValue(), (config, runtimes) => {
    const info = { config: typeof config === 'object' && config && !Array.isArray(config) ? { ...config, containerd: { runtimes } } : config };
    const s = refineFromCri(flagged, info as Record<string, unknown>);
    return s.runcRoot === '/mine' && s.stateDir.startsWith('/') && s.rootDir.startsWith('/');
  }));
});
