// The kubelet source's pure parts and the kubelet rules. kubelet cannot run here: the files under
// test/fixtures/kubelet are kubelet's real file formats (kubeadm's drop-in, kubeadm-flags.env,
// /etc/default/kubelet, a KubeletConfiguration), and the rules run on hand-built Snapshots.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  splitWords, parseFlagArgs, parseEnvFile, parseDropIn, expandExecStart, versionAtLeast, resolveEffective,
  collectKubelet, kubeletArgvOf, findKubeletProcesses, DEFAULT_CONTAINERD_ENDPOINT, DOCKERSHIM_ENDPOINT, chooseKubelet,
  type KubeletProcess,
} from '../../src/sources/kubelet/index.ts';
import { kubeletRules, goDurationMs, kubeletVersionOf } from '../../src/rules/kubelet.ts';
import { evaluate, type Rule } from '../../src/rules/rule.ts';
import type { KubeletView, Snapshot } from '../../src/snapshot/types/index.ts';
import { emptySnapshot, failed, ok } from './snapshot-fixture.ts';

const FIX = join(import.meta.dirname, '..', 'fixtures', 'kubelet');
const fixtureOpts = {
  kubeadmFlagsPath: join(FIX, 'kubeadm-flags.env'),
  defaultsPath: join(FIX, 'default-kubelet'),
  dropInDirs: [join(FIX, 'kubelet.service.d')],
  procRoot: '/nonexistent-proc',
  checkEndpoint: false,
};

test('splitWords: quotes, escapes, empty and odd input', () => {
  assert.deepEqual(splitWords(`--a=1  --b="x y" '--c=$d' --e=\\"q\\"`), ['--a=1', '--b=x y', '--c=$d', '--e="q"']);
  assert.deepEqual(splitWords(''), []);
  assert.deepEqual(splitWords('   \t '), []);
  assert.deepEqual(splitWords('"unterminated quote'), ['unterminated quote']);
  assert.deepEqual(splitWords('""'), ['']);
  fc.assert(fc.property(fc.string({ maxLength: 200 }), (s) => { assert.ok(Array.isArray(splitWords(s))); }), { numRuns: 300 });
});

test('parseFlagArgs: --flag=value, --flag value, booleans, single dash, later wins', () => {
  const f = parseFlagArgs(['--config=/a.yaml', '--v', '2', '--fail-swap-on', '--node-ip', '10.0.0.5', '-v=4', 'stray', '--x=', '--config', '/b.yaml']);
  assert.deepEqual(f.map((x) => [x.name, x.value]), [['config', '/a.yaml'], ['v', '2'], ['fail-swap-on', 'true'], ['node-ip', '10.0.0.5'], ['v', '4'], ['x', ''], ['config', '/b.yaml']]);
  assert.deepEqual(parseFlagArgs([]), []);
  assert.deepEqual(parseFlagArgs(['--', '-', '---']), []);
});

test('env files and drop-ins: kubeadm-flags.env, /etc/default/kubelet, 10-kubeadm.conf', () => {
  assert.deepEqual(parseEnvFile('# comment\nKUBELET_KUBEADM_ARGS="--a=1 --b=2"\n\nexport X=y\nnot a line\n'), { KUBELET_KUBEADM_ARGS: '--a=1 --b=2', X: 'y' });
  assert.deepEqual(parseEnvFile(''), {});
  const d = parseDropIn('[Service]\nEnvironment="A=--x=1 --y=2" B=3\nEnvironmentFile=-/etc/default/kubelet\nExecStart=\nExecStart=/usr/bin/kubelet $A ${B} --z\n');
  assert.deepEqual(d.environment, { A: '--x=1 --y=2', B: '3' });
  assert.deepEqual(d.environmentFiles, [{ path: '/etc/default/kubelet', optional: true }]);
  assert.deepEqual(expandExecStart(d.execStart!, d.environment).map((w) => w.word), ['/usr/bin/kubelet', '--x=1', '--y=2', '3', '--z']);
  assert.equal(parseDropIn('ExecStart=/usr/bin/kubelet\nExecStart=\n').execStart, undefined);
});

test('merging the files as systemd would: later variables win, each flag names its file', async () => {
  const v = await collectKubelet({ ...fixtureOpts, kubeletVersion: 'v1.26.9' });
  assert.equal(v.pid, undefined);
  assert.equal(v.flags['bootstrap-kubeconfig'], '/etc/kubernetes/bootstrap-kubelet.conf');
  assert.equal(v.flags.config, '/var/lib/kubelet/config.yaml');
  assert.equal(v.flags['container-runtime'], 'remote');
  assert.equal(v.flagSources['container-runtime'], join(FIX, 'kubeadm-flags.env'));
  // EnvironmentFile=/etc/default/kubelet overrides the drop-in's KUBELET_EXTRA_ARGS
  assert.equal(v.flags['runtime-request-timeout'], '5m');
  assert.equal(v.flagSources['runtime-request-timeout'], join(FIX, 'default-kubelet'));
  assert.equal(v.flags['node-ip'], '10.0.0.5');
  assert.ok(v.files.some((f) => f.path.endsWith('10-kubeadm.conf') && f.present));
  assert.match(v.notes.join('\n'), /no kubelet process: flags are from the files/);
  // the config file of the drop-in does not exist here: recorded, not thrown
  assert.deepEqual(v.files.find((f) => f.path === '/var/lib/kubelet/config.yaml'), { path: '/var/lib/kubelet/config.yaml', present: false });
});

test('the config file: cgroupDriver, endpoint and timeout; garbage YAML is a recorded error', async () => {
  const v = await collectKubelet({ ...fixtureOpts, configPath: join(FIX, 'config.yaml'), kubeletVersion: 'v1.28.3' });
  assert.deepEqual(v.config, { cgroupDriver: 'systemd', containerRuntimeEndpoint: 'unix:///run/containerd/containerd.sock', runtimeRequestTimeout: '2m0s' });
  assert.equal(v.cgroupDriver, 'systemd');
  assert.equal(v.cgroupDriverSource, 'config');
  // the flag from kubeadm-flags.env wins over the config file
  assert.equal(v.runtimeEndpoint, 'unix:///var/run/containerd/containerd.sock');
  assert.equal(v.runtimeEndpointSource, 'flag');
  const dir = mkdtempSync(join(tmpdir(), 'ctrdoc-kubelet-'));
  try {
    for (const [name, text] of [['bad.yaml', 'a: [unclosed\n  b: :::'], ['list.yaml', '- 1\n- 2\n'], ['empty.yaml', ''], ['bin.yaml', '\0\x01\x02garbage']] as const) {
      writeFileSync(join(dir, name), text);
      const g = await collectKubelet({ ...fixtureOpts, configPath: join(dir, name) });
      assert.equal(g.config, undefined, name);
      assert.match(g.files.find((f) => f.path === join(dir, name))!.error ?? '', /not a KubeletConfiguration/, name);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('version-aware endpoint resolution', () => {
  const cfg = { containerRuntimeEndpoint: 'unix:///run/other.sock' };
  assert.deepEqual(pick(resolveEffective({}, cfg, 'v1.27.0')), ['unix:///run/other.sock', 'config']);
  assert.deepEqual(pick(resolveEffective({}, cfg, 'v1.26.9')), [DEFAULT_CONTAINERD_ENDPOINT, 'default']);
  assert.match(resolveEffective({}, cfg, 'v1.26.9').notes[0], /ignores containerRuntimeEndpoint/);
  assert.deepEqual(pick(resolveEffective({}, cfg, undefined)), ['unix:///run/other.sock', 'config']);
  assert.deepEqual(pick(resolveEffective({ 'container-runtime-endpoint': '/run/x.sock' }, cfg, 'v1.29.1')), ['unix:///run/x.sock', 'flag']);
  assert.deepEqual(pick(resolveEffective({}, undefined, 'v1.23.4')), [DOCKERSHIM_ENDPOINT, 'default']);
  assert.deepEqual(pick(resolveEffective({}, undefined, 'v1.25.0')), [DEFAULT_CONTAINERD_ENDPOINT, 'default']);
  assert.equal(resolveEffective({ 'cgroup-driver': 'cgroupfs' }, { cgroupDriver: 'systemd' }, undefined).cgroupDriver, 'cgroupfs');
  assert.equal(resolveEffective({}, {}, undefined).cgroupDriver, 'cgroupfs');
  assert.equal(versionAtLeast('v1.27.0-rc.1', 1, 27), true);
  assert.equal(versionAtLeast('garbage', 1, 27), undefined);
  function pick(e: { runtimeEndpoint: string; runtimeEndpointSource: string }) {
    return [e.runtimeEndpoint, e.runtimeEndpointSource];
  }
});

test('a kubelet process: argv0 named kubelet, or a script named kubelet run by an interpreter', () => {
  assert.equal(kubeletArgvOf('kubelet', ['/usr/bin/kubelet', '--v=2'])?.matchedBy, 'argv0');
  assert.equal(kubeletArgvOf('sleep', ['kubelet', '--config=/x'])?.matchedBy, 'argv0');
  assert.deepEqual(kubeletArgvOf('kubelet', ['/bin/sh', '/lab/kubelet/bin/kubelet', '--config=/x'])?.argv, ['/lab/kubelet/bin/kubelet', '--config=/x']);
  assert.equal(kubeletArgvOf('sh', ['/bin/sh', '-c', 'echo kubelet']), undefined);
  assert.equal(kubeletArgvOf('vim', ['vim', '/etc/kubelet.conf']), undefined);
  assert.equal(kubeletArgvOf('kubelet', []), undefined);
  assert.deepEqual(findKubeletProcesses('/nonexistent'), []);
});

test('a fake /proc: a vanished process and a kubelet are told apart', async () => {
  const root = mkdtempSync(join(tmpdir(), 'ctrdoc-proc-'));
  try {
    mkdirSync(join(root, '10'));
    writeFileSync(join(root, '10', 'cmdline'), '/usr/bin/kubelet\0--config=/x.yaml\0--container-runtime-endpoint\0unix:///run/k.sock\0');
    writeFileSync(join(root, '10', 'comm'), 'kubelet\n');
    mkdirSync(join(root, '11')); // vanished: no files
    mkdirSync(join(root, 'self'));
    const found = findKubeletProcesses(root);
    assert.deepEqual(found.map((p) => p.pid), [10]);
    const v = await collectKubelet({ procRoot: root, dropInDirs: [], kubeadmFlagsPath: join(root, 'none'), defaultsPath: join(root, 'none2'), checkEndpoint: false });
    assert.equal(v.pid, 10);
    assert.equal(v.flags['container-runtime-endpoint'], 'unix:///run/k.sock');
    assert.equal(v.flagSources.config, 'argv');
    assert.equal(v.runtimeEndpoint, 'unix:///run/k.sock');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('version from the kubelet log when there is no hint', async () => {
  const v = await collectKubelet({ ...fixtureOpts, logFile: join(import.meta.dirname, '..', 'fixtures', 'logs', 'kubelet-klog.log') });
  assert.equal(v.version, 'v1.28.3');
  assert.match(v.versionSource!, /^log:file:/);
  const u = await collectKubelet({ ...fixtureOpts });
  assert.equal(u.version, undefined);
  assert.match(u.notes.join('\n'), /version unknown/);
});

test('the endpoint check: a socket that does not exist is a recorded failure within the deadline', async () => {
  const v = await collectKubelet({ ...fixtureOpts, checkEndpoint: true, kubeletVersion: 'v1.28.0', kubeadmFlagsPath: '/nonexistent', defaultsPath: '/nonexistent', dropInDirs: [], configPath: join(FIX, 'config.yaml') });
  assert.equal(v.runtimeEndpoint, 'unix:///run/containerd/containerd.sock');
  assert.equal(v.runtimeEndpointSource, 'config');
  assert.ok(v.endpointCheck);
});

// ---- rules: one hit and one miss each, on hand-built Snapshots ----

function withKubelet(k: Partial<KubeletView>, mut?: (s: Snapshot) => void): Snapshot {
  const s = emptySnapshot();
  s.kubelet = ok('kubelet', { pid: 4242, flags: {}, flagSources: {}, files: [], notes: [], ...k });
  mut?.(s);
  return s;
}
const rule = (id: string): Rule => kubeletRules.find((r) => r.id === id)!;
const run = (id: string, s: Snapshot) => evaluate([rule(id)], s);

test('no kubelet on the node: every kubelet rule is skipped with the reason, a failed probe is "could not check"', () => {
  // the probe found nothing at all (an empty view), or was itself skipped by the collector
  for (const s of [withKubelet({ pid: undefined }), emptySnapshot()]) {
    for (const r of kubeletRules.filter((x) => !x.id.startsWith('KUBELET_LOG_'))) {
      const [f] = evaluate([r], s);
      assert.equal(f.status, 'skipped', r.id);
      assert.match(f.summary, /no kubelet process on this node/);
    }
  }
  const s = emptySnapshot();
  s.kubelet = failed('kubelet', 'error', 'permission denied');
  assert.equal(run('KUBELET_RUNTIME_ENDPOINT', s)[0].status, 'error');
});

test('KUBELET_RUNTIME_ENDPOINT: not answering, another socket, and the right one', () => {
  const base = { runtimeEndpoint: 'unix:///var/run/containerd/containerd.sock', runtimeEndpointSource: 'flag', flagSources: { 'container-runtime-endpoint': '/var/lib/kubelet/kubeadm-flags.env' } };
  const down = run('KUBELET_RUNTIME_ENDPOINT', withKubelet({ ...base, endpointCheck: { ok: false, error: 'socket does not exist' } }));
  assert.equal(down[0].status, 'fail');
  assert.equal(down[0].severity, 'critical');
  assert.match(down[0].evidence.join('\n'), /kubeadm-flags\.env/);
  const other = run('KUBELET_RUNTIME_ENDPOINT', withKubelet({ ...base, runtimeEndpoint: 'unix:///run/crio/crio.sock', endpointCheck: { ok: true, runtimeName: 'cri-o', runtimeVersion: '1.28.1' } }));
  assert.equal(other[0].status, 'fail');
  assert.match(other[0].summary, /not to the containerd at unix:\/\/\/run\/containerd\/containerd.sock/);
  // /var/run is /run: the same socket, no finding
  const same = run('KUBELET_RUNTIME_ENDPOINT', withKubelet({ ...base, endpointCheck: { ok: true, runtimeName: 'containerd', runtimeVersion: '1.6.20' } }));
  assert.equal(same[0].status, 'pass');
});

test('KUBELET_CONTAINER_RUNTIME_FLAG: by version', () => {
  const k = (version?: string, value = 'remote') => withKubelet({ version, flags: { 'container-runtime': value }, flagSources: { 'container-runtime': '/var/lib/kubelet/kubeadm-flags.env' } });
  const r127 = run('KUBELET_CONTAINER_RUNTIME_FLAG', k('v1.27.3'));
  assert.deepEqual([r127[0].status, r127[0].severity], ['fail', 'critical']);
  assert.equal(r127[0].subject?.path, '/var/lib/kubelet/kubeadm-flags.env');
  assert.deepEqual([run('KUBELET_CONTAINER_RUNTIME_FLAG', k('v1.25.0', 'docker'))[0].severity], ['critical']);
  assert.deepEqual([run('KUBELET_CONTAINER_RUNTIME_FLAG', k('v1.25.0'))[0].severity], ['info']);
  assert.deepEqual([run('KUBELET_CONTAINER_RUNTIME_FLAG', k(undefined))[0].severity], ['warning']);
  // the version can come from the kubelet log's "Kubelet version" line
  const s = k(undefined);
  s.kubeletLog = ok('kubelet.log', { source: 'journald:kubelet', linesRead: 1, bytesRead: 1, from: '', to: '', tail: [], truncated: false,
    episodes: [{ pattern: 'KUBELET_LOG_STARTED', first: '', last: '', count: 1, examples: [], captures: { version: ['v1.28.4'] } }] });
  assert.equal(kubeletVersionOf(s).version, 'v1.28.4');
  assert.equal(run('KUBELET_CONTAINER_RUNTIME_FLAG', s)[0].severity, 'critical');
  assert.equal(run('KUBELET_CONTAINER_RUNTIME_FLAG', withKubelet({ version: 'v1.28.0' }))[0].status, 'pass');
});

test('KUBELET_CGROUP_DRIVER_MISMATCH: systemd ⇔ SystemdCgroup = true', () => {
  // the file's value, as when the CRI plugin shows no config of its own
  const s = (driver: string, systemd?: boolean) => withKubelet({ cgroupDriver: driver, cgroupDriverSource: 'config', configPath: '/var/lib/kubelet/config.yaml' }, (x) => {
    x.containerd.config = ok('containerd.config', { dumpOk: true, diff: [], facts: { systemdCgroup: systemd } });
    x.cri.status.data!.info = {};
  });
  const hit = run('KUBELET_CGROUP_DRIVER_MISMATCH', s('systemd', false));
  assert.deepEqual([hit[0].status, hit[0].severity], ['fail', 'critical']);
  assert.match(hit[0].summary, /cgroupDriver systemd but .* SystemdCgroup = false/);
  assert.equal(run('KUBELET_CGROUP_DRIVER_MISMATCH', s('cgroupfs', true))[0].status, 'fail');
  assert.equal(run('KUBELET_CGROUP_DRIVER_MISMATCH', s('systemd', true))[0].status, 'pass');
  assert.equal(run('KUBELET_CGROUP_DRIVER_MISMATCH', s('cgroupfs', undefined))[0].status, 'pass');
  const noConfig = s('systemd', true);
  noConfig.containerd.config = failed('containerd.config', 'timeout', 'containerd config dump: no answer within 2s');
  assert.equal(run('KUBELET_CGROUP_DRIVER_MISMATCH', noConfig)[0].status, 'error');
  // the running value wins over the file: SystemdCgroup = true written but containerd not
  // restarted still mismatches a systemd kubelet
  const unapplied = s('systemd', true);
  unapplied.cri.status.data!.info = { config: { containerd: { defaultRuntimeName: 'runc', runtimes: { runc: { options: { SystemdCgroup: false } } } } } };
  const u = run('KUBELET_CGROUP_DRIVER_MISMATCH', unapplied);
  assert.equal(u[0].status, 'fail');
  assert.match(u[0].evidence.join('\n'), /SystemdCgroup: false \(the running CRI plugin's config\)/);
  unapplied.containerd.config = failed('containerd.config', 'timeout', 'containerd config dump: no answer within 2s');
  assert.equal(run('KUBELET_CGROUP_DRIVER_MISMATCH', unapplied)[0].status, 'fail', 'the running value needs no config dump');
});

test('KUBELET_RUNTIME_REQUEST_TIMEOUT and goDurationMs', () => {
  assert.equal(goDurationMs('2m0s'), 120_000);
  assert.equal(goDurationMs('1h30m'), 5_400_000);
  assert.equal(goDurationMs('500ms'), 500);
  assert.equal(goDurationMs('2 minutes'), undefined);
  assert.equal(goDurationMs(''), undefined);
  const s = (t: string) => withKubelet({ config: { runtimeRequestTimeout: t }, configPath: '/c.yaml' });
  assert.deepEqual([run('KUBELET_RUNTIME_REQUEST_TIMEOUT', s('30s'))[0].status, run('KUBELET_RUNTIME_REQUEST_TIMEOUT', s('30s'))[0].severity], ['fail', 'warning']);
  assert.equal(run('KUBELET_RUNTIME_REQUEST_TIMEOUT', s('1h'))[0].severity, 'info');
  assert.equal(run('KUBELET_RUNTIME_REQUEST_TIMEOUT', s('two'))[0].status, 'fail');
  assert.equal(run('KUBELET_RUNTIME_REQUEST_TIMEOUT', s('2m0s'))[0].status, 'pass');
});

test('KUBELET_CONFIG_UNREADABLE: a missing or broken --config file', () => {
  const hit = run('KUBELET_CONFIG_UNREADABLE', withKubelet({ configPath: '/c.yaml', files: [{ path: '/c.yaml', present: false }] }));
  assert.equal(hit[0].status, 'fail');
  assert.equal(run('KUBELET_CONFIG_UNREADABLE', withKubelet({ configPath: '/c.yaml', files: [{ path: '/c.yaml', present: true, error: 'not a KubeletConfiguration: x' }] }))[0].status, 'fail');
  assert.equal(run('KUBELET_CONFIG_UNREADABLE', withKubelet({ configPath: '/c.yaml', files: [{ path: '/c.yaml', present: true }] }))[0].status, 'pass');
});

// Several kubelet-like processes on one node (kind nodes seen from the host, a test machine's
// stand-ins): the one that names the containerd inspected is read, and none when none does.
test('chooseKubelet: --kubelet-pid, the only one, the one naming our socket, else none', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ctrdoc-choose-'));
  try {
    const config = join(dir, 'config.yaml');
    writeFileSync(config, 'kind: KubeletConfiguration\ncontainerRuntimeEndpoint: unix:///run/k3s/containerd/containerd.sock\n');
    const k = (pid: number, ...args: string[]): KubeletProcess => ({ pid, comm: 'kubelet', argv: ['/usr/bin/kubelet', ...args], matchedBy: 'argv0' });
    const other = k(100, '--container-runtime-endpoint=unix:///tmp/lab-b/containerd.sock');
    const viaConfig = k(200, `--config=${config}`);
    const byDefault = k(300, '--v=2');
    const ours = k(400, '--container-runtime-endpoint', '/var/run/lab-a/containerd.sock');
    const sockets = ['/run/lab-a/containerd.sock', 'unix:///run/lab-a/containerd.sock'];

    assert.equal((await chooseKubelet([other, ours], { pid: 100, containerdSockets: sockets })).proc, other, '--kubelet-pid wins');
    assert.match((await chooseKubelet([other], { pid: 7 })).notes[0], /pid 7 is not a kubelet process/);
    assert.equal((await chooseKubelet([other], { containerdSockets: sockets })).proc, other, 'the only one is the node\'s, whatever it names');
    assert.deepEqual(await chooseKubelet([], { containerdSockets: sockets }), { proc: undefined, notes: [] });

    const picked = await chooseKubelet([other, viaConfig, byDefault, ours], { containerdSockets: sockets });
    assert.equal(picked.proc, ours, '/var/run is /run');
    assert.match(picked.notes[0], /4 kubelet processes \(pids 100, 200, 300, 400\); reading pid 400/);
    assert.equal((await chooseKubelet([other, viaConfig], { containerdSockets: ['/run/k3s/containerd/containerd.sock'] })).proc, viaConfig, 'containerRuntimeEndpoint in --config');
    assert.equal((await chooseKubelet([other, byDefault], { containerdSockets: [DEFAULT_CONTAINERD_ENDPOINT] })).proc, byDefault, 'no endpoint named: kubelet\'s default');

    const none = await chooseKubelet([other, viaConfig], { containerdSockets: sockets });
    assert.equal(none.proc, undefined);
    assert.deepEqual(none.notChosen?.pids, [100, 200]);
    assert.match(none.notChosen!.why, /none names the containerd inspected \(\/run\/lab-a\/containerd\.sock\).*--kubelet-pid PID/);

    // the rules skip with that reason, and the source reads no files for a kubelet it did not choose
    const view = await collectKubelet({
      processes: [other, viaConfig].map((p) => ({ pid: p.pid, comm: p.comm, cmdline: p.argv })),
      containerdSockets: sockets, kubeadmFlagsPath: join(FIX, 'kubeadm-flags.env'), checkEndpoint: false,
    });
    assert.equal(view.pid, undefined);
    assert.deepEqual(view.files, []);
    const s = emptySnapshot();
    s.kubelet = ok('kubelet', view);
    const endpoint = evaluate(kubeletRules, s).find((f) => f.rule === 'KUBELET_RUNTIME_ENDPOINT');
    assert.equal(endpoint?.status, 'skipped');
    assert.match(endpoint?.summary ?? '', /none names the containerd inspected/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
