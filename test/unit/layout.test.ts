// Everything that differs by containerd version, read from real captures of each version
// (testdata/captures/config/<version>/ and testdata/captures/cri/<version>/, each made by the
// script beside it): config v2 and v3 into one shape, the drift naming the same keys on every
// version, each version's verbose CRI Status, and no plugin id string outside layout.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import fc from 'fast-check';
import { parse as parseToml } from 'smol-toml';
import {
  configKeyName, criDisabledBy, diffConfigShapes, factsDiffOfRawDiff, familyOf, PLUGIN_ID, readConfigShape, readCriStatusShape, readShimBootstrap, shimTaskService, splitTomlPath, TASK_STATE_SUBDIR,
} from '../../src/sources/containerd/layout.ts';
import { diffConfigs } from '../../src/sources/containerd/config.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const VERSIONS = ['1.6.20', '1.7.24', '2.1.9'];
const toml = (v: string, f: string) => parseToml(readFileSync(join(ROOT, 'testdata/captures/config', v, f), 'utf8')) as Record<string, unknown>;
const status = (v: string) => JSON.parse(readFileSync(join(ROOT, 'testdata/captures/cri', v, 'status.json'), 'utf8')) as Record<string, unknown>;

test('each version\'s lab-like config dump reads into the same shape (the script set the same values on v2 and v3)', () => {
  for (const v of VERSIONS) {
    const f = readConfigShape(toml(v, 'dump.toml'));
    assert.equal(f.configVersion, v.startsWith('2.') ? 3 : 2, v);
    assert.equal(f.sandboxImage, 'ctrdoc.local/lab/pause:1', v);
    assert.equal(f.systemdCgroup, true, v);
    assert.equal(f.restrictOomScoreAdj, true, v);
    assert.equal(f.snapshotter, 'overlayfs', v);
    assert.equal(f.metricsAddress, '127.0.0.1:1338', v);
    assert.equal(f.debugAddress, '/var/lib/ctrdoc-lab/debug.sock', v);
    assert.equal(f.debugLevel, 'debug', v);
    assert.equal(f.runcRoot, '/var/lib/ctrdoc-lab/runc', v);
    assert.equal(f.grpcAddress, '/var/lib/ctrdoc-lab/containerd.sock', v);
    assert.equal(f.root, '/var/lib/ctrdoc-lab/root', v);
    assert.equal(f.state, '/var/lib/ctrdoc-lab/state', v);
    assert.deepEqual(f.cniBinDirs, ['/var/lib/ctrdoc-lab/cni/bin'], v);
    assert.equal(f.cniConfDir, '/var/lib/ctrdoc-lab/cni/net.d', v);
    assert.equal(f.defaultRuntime, 'runc', v);
    assert.equal(f.runtimes?.runc?.type, 'io.containerd.runc.v2', v);
  }
});

test('each binary\'s own defaults: the sandbox image and CNI dirs each version ships', () => {
  const sandbox = Object.fromEntries(VERSIONS.map((v) => [v, readConfigShape(toml(v, 'default.toml')).sandboxImage]));
  assert.deepEqual(sandbox, { '1.6.20': 'registry.k8s.io/pause:3.6', '1.7.24': 'registry.k8s.io/pause:3.8', '2.1.9': 'registry.k8s.io/pause:3.10' });
  assert.deepEqual(readConfigShape(toml('2.1.9', 'default.toml')).cniBinDirs, ['/usr/lib/cni', '/opt/cni/bin']);
  assert.equal(readConfigShape(toml('1.6.20', 'default.toml')).drainExecSyncIoTimeout, undefined, '1.6 has no drain timeout');
  assert.equal(readConfigShape(toml('1.7.24', 'default.toml')).drainExecSyncIoTimeout, '0s');
});

test('the config drift names the same keys on v2 (1.6, 1.7) and v3 (2.1): restrict_oom_score_adj and the sandbox image included', () => {
  const keys = VERSIONS.map((v) => diffConfigShapes(readConfigShape(toml(v, 'default.toml')), readConfigShape(toml(v, 'dump.toml'))).map((d) => d.key));
  assert.deepEqual(keys[1], keys[0]);
  assert.deepEqual(keys[2], keys[0]);
  for (const k of ['restrictOomScoreAdj', 'sandboxImage', 'systemdCgroup', 'metricsAddress', 'debugLevel']) assert.ok(keys[2].includes(k), k);
});

test('2.1 reads a version 2 file (migrated in memory) into the same shape as its version 3 one', () => {
  const v3 = readConfigShape(toml('2.1.9', 'dump.toml'));
  const fromV2 = readConfigShape(toml('2.1.9', 'dump-v2.toml'));
  assert.deepEqual(diffConfigShapes(v3, fromV2), []);
  // and the 1.x file itself, read as written, agrees on every setting it carries
  const written = readConfigShape(toml('2.1.9', 'lab-v2.toml'));
  for (const k of ['sandboxImage', 'systemdCgroup', 'restrictOomScoreAdj', 'runcRoot', 'cniConfDir', 'metricsAddress'] as const) assert.deepEqual(written[k], v3[k], k);
});

test('a snapshot with only the raw TOML diff (an older ctrdoc) gives the same shape keys, on every version', () => {
  for (const v of VERSIONS) {
    const def = toml(v, 'default.toml');
    const dump = toml(v, 'dump.toml');
    const direct = diffConfigShapes(readConfigShape(def), readConfigShape(dump)).map((d) => d.key);
    const rebuilt = factsDiffOfRawDiff(diffConfigs(def, dump), dump.version as number).map((d) => d.key);
    // the raw diff has no 'default_runtime_name' or other unchanged keys: every shape key that changed is there
    assert.deepEqual(rebuilt.filter((k) => direct.includes(k)), direct.filter((k) => rebuilt.includes(k)), v);
    for (const k of ['sandboxImage', 'restrictOomScoreAdj', 'systemdCgroup', 'debugAddress']) assert.ok(rebuilt.includes(k), `${v}: ${k}`);
  }
});

test('each version\'s verbose CRI Status: 1.x shows the image settings, 2.x only its runtime half', () => {
  for (const v of VERSIONS) {
    const s = readCriStatusShape(status(v))!;
    assert.equal(s.layout, v.startsWith('2.') ? '2.x' : '1.x', v);
    assert.equal(s.facts.root, '/var/lib/ctrdoc-lab/root', v);
    assert.equal(s.facts.state, '/var/lib/ctrdoc-lab/state', v);
    assert.equal(s.facts.runcRoot, '/var/lib/ctrdoc-lab/runc', v);
    assert.equal(s.facts.systemdCgroup, false, v);
    assert.equal(s.facts.restrictOomScoreAdj, true, v);
    assert.deepEqual(s.facts.cniBinDirs, ['/var/lib/ctrdoc-lab/cni/bin'], v);
    assert.equal(s.facts.grpcAddress, '/var/lib/ctrdoc-lab/containerd.sock', v);
    assert.equal(s.stateDir, `/var/lib/ctrdoc-lab/state/${PLUGIN_ID.criGrpc}`, v);
    assert.equal(s.facts.sandboxImage, v.startsWith('2.') ? undefined : 'ctrdoc.local/lab/pause:1', v);
    assert.equal(s.facts.snapshotter, v.startsWith('2.') ? undefined : 'overlayfs', v);
  }
  assert.equal(readCriStatusShape(status('1.6.20'))!.facts.drainExecSyncIoTimeout, undefined, '1.6 does not show it');
  assert.equal(readCriStatusShape(status('2.1.9'))!.facts.drainExecSyncIoTimeout, '0s');
});

test('hostile configs and Status infos never throw, and give only what they hold (property)', () => {
  fc.assert(fc.property(fc.jsonValue(), fc.jsonValue(), fc.constantFrom(1, 2, 3, '3', null), (plugins, cri, version) => {
    const doc = { version, plugins: { [PLUGIN_ID.criGrpc]: cri, [PLUGIN_ID.criRuntime]: cri, [PLUGIN_ID.criImages]: plugins }, grpc: plugins, debug: cri } as Record<string, unknown>;
    const f = readConfigShape(doc);
    return (f.sandboxImage === undefined || typeof f.sandboxImage === 'string') && Array.isArray(f.disabledPlugins);
  }), { numRuns: 300 });
  fc.assert(fc.property(fc.jsonValue(), (config) => {
    const s = readCriStatusShape({ config });
    return s === undefined || ((s.facts.root === undefined || s.facts.root.startsWith('/')) && (s.facts.state === undefined || s.facts.state.startsWith('/')));
  }), { numRuns: 300 });
  assert.equal(readCriStatusShape(undefined), undefined);
  assert.equal(readCriStatusShape({ config: 'not json' }), undefined);
});

test('TOML paths split as written, quoted keys included; garbage never throws (property)', () => {
  assert.deepEqual(splitTomlPath(`plugins."${PLUGIN_ID.criGrpc}".containerd.runtimes.runc.options.SystemdCgroup`), ['plugins', PLUGIN_ID.criGrpc, 'containerd', 'runtimes', 'runc', 'options', 'SystemdCgroup']);
  assert.deepEqual(splitTomlPath('"a.b"."c\\"d".e'), ['a.b', 'c"d', 'e']);
  fc.assert(fc.property(fc.string(), (s) => Array.isArray(splitTomlPath(s))), { numRuns: 500 });
});

test('version names, disabled CRI in each version\'s ids, and config keys as each version spells them', () => {
  assert.deepEqual(['1.6.20~ds1', 'v1.7.24', '2.1.9+unknown', '1.6.20~ds1+ctrdoc6772', 'nonsense', '3.0.0', '0.9.1'].map(familyOf), ['1.6', '1.7', '2.x', '1.6', undefined, '2.x', undefined]);
  assert.equal(criDisabledBy(['cri']), 'cri');
  assert.equal(criDisabledBy([PLUGIN_ID.criRuntime]), PLUGIN_ID.criRuntime);
  assert.equal(criDisabledBy(['io.containerd.snapshotter.v1.btrfs']), undefined);
  assert.equal(configKeyName('sandboxImage', 2), 'sandbox_image');
  assert.match(configKeyName('sandboxImage', 3), /pinned_images\.sandbox/);
  assert.equal(configKeyName('somethingNew', 3), 'somethingNew');
});

test('no plugin id string in src/ outside layout.ts', () => {
  const ids = [...Object.values(PLUGIN_ID).filter((id) => id.startsWith('io.containerd.')), TASK_STATE_SUBDIR];
  const offenders: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.ts') && !p.endsWith('sources/containerd/layout.ts')) {
        // string literals only: a comment may name an id to say what a value is
        const code = readFileSync(p, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '').replace(/\s\/\/ .*$/gm, '');
        for (const id of ids) if (code.includes(id)) offenders.push(`${relative(ROOT, p)}: ${id}`);
      }
    }
  };
  walk(join(ROOT, 'src'));
  assert.deepEqual(offenders, []);
});

test('a task bundle\'s shim: `address` (1.x, task API v2) or bootstrap.json (2.x: its version, address, protocol); bad files say what is wrong', () => {
  assert.deepEqual(readShimBootstrap({ address: 'unix:///run/containerd/s/abc\n' }), { address: 'unix:///run/containerd/s/abc', taskApi: 2, protocol: 'ttrpc', from: 'address' });
  // a real 2.1.9 bootstrap.json
  assert.deepEqual(readShimBootstrap({ bootstrap: '{"version":3,"address":"unix:///run/containerd/s/d4efc306","protocol":"ttrpc"}' }),
    { address: 'unix:///run/containerd/s/d4efc306', taskApi: 3, protocol: 'ttrpc', from: 'bootstrap.json' });
  assert.equal(readShimBootstrap({ address: 'unix:///a', bootstrap: '{"version":3,"address":"unix:///b"}' }).address, 'unix:///a', 'address first');
  assert.equal(readShimBootstrap({ address: '  ', bootstrap: '{"version":3,"address":"unix:///b"}' }).taskApi, 3, 'an empty address file falls through');
  assert.equal(readShimBootstrap({ bootstrap: '{"address":"unix:///b","protocol":"grpc"}' }).protocol, 'grpc');
  assert.equal(readShimBootstrap({ bootstrap: '{"version":"3","address":"unix:///b"}' }).taskApi, 2, 'a version that is not a number: the default');
  assert.throws(() => readShimBootstrap({}), /no address or bootstrap\.json file/);
  assert.throws(() => readShimBootstrap({ bootstrap: '' }), /bootstrap\.json is not JSON/);
  assert.throws(() => readShimBootstrap({ bootstrap: '{"version":3,"address":"unix:///b"' }), /bootstrap\.json is not JSON/);
  assert.throws(() => readShimBootstrap({ bootstrap: '[1,2]' }), /bootstrap\.json names no address/);
  assert.throws(() => readShimBootstrap({ bootstrap: 'null' }), /bootstrap\.json names no address/);
  assert.equal(shimTaskService(2), 'containerd.task.v2.Task');
  assert.equal(shimTaskService(3), 'containerd.task.v3.Task');
  // hostile or huge input: a result or an error naming the file, nothing else
  fc.assert(fc.property(fc.option(fc.string(), { nil: undefined }), fc.oneof(fc.string(), fc.json(), fc.constant(undefined)), (address, bootstrap) => {
    try {
      const b = readShimBootstrap({ address, bootstrap });
      return b.address.length > 0 && Number.isInteger(b.taskApi) && b.taskApi >= 2;
    } catch (err) {
      return /address|bootstrap\.json/.test((err as Error).message);
    }
  }), { numRuns: 500 });
  assert.equal(readShimBootstrap({ bootstrap: JSON.stringify({ version: 3, address: `unix:///${'a'.repeat(100_000)}` }) }).address.length, 100_008);
});

test('registry hosts dirs: config_path of the CRI registry (1.x) or the images half and the transfer service (2.x), \':\'-lists split', () => {
  assert.equal(readConfigShape(toml('1.6.20', 'default.toml')).registryConfigDirs, undefined, 'config_path "" by default');
  assert.equal(readConfigShape(toml('2.1.9', 'default.toml')).registryConfigDirs, undefined);
  const v2 = { version: 2, plugins: { [PLUGIN_ID.criGrpc]: { registry: { config_path: '/etc/containerd/certs.d:/etc/docker/certs.d' } } } };
  assert.deepEqual(readConfigShape(v2).registryConfigDirs, ['/etc/containerd/certs.d', '/etc/docker/certs.d']);
  const v3 = { version: 3, plugins: { [PLUGIN_ID.criImages]: { registry: { config_path: '/etc/containerd/certs.d' } }, [PLUGIN_ID.transfer]: { config_path: '/etc/containerd/certs.d:/srv/hosts' } } };
  assert.deepEqual(readConfigShape(v3).registryConfigDirs, ['/etc/containerd/certs.d', '/srv/hosts']);
  // the transfer service is 2.x's: a version 2 file's table of that id means nothing to 1.x
  assert.equal(readConfigShape({ version: 2, plugins: { [PLUGIN_ID.transfer]: { config_path: '/x' } } }).registryConfigDirs, undefined);
});
