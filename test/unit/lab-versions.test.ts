// The lab's containerd versions, the parts that need no lab: the version table and its choice,
// Debian version order (against dpkg itself), the private apt configuration's parsers (mirror,
// Build-Depends, simulations), the seed's .dsc and showsrc readers, the cache's fill-once and
// lock, and each version's config written from that binary's own `config default`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync, readdirSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { parse } from 'smol-toml';
import { parseLabVersion, requestedLabVersion, compareDebianVersions, VERSION_TABLE, LAB_VERSIONS } from '../../src/lab/containerd/versions.ts';
import { systemMirror, sourcesListText, buildDependsOf, simulatedInstalls } from '../../src/lab/containerd/apt.ts';
import { dscFiles, newestSource, upstreamOf } from '../../src/lab/containerd/seed.ts';
import { fillOnce, withCacheLock, readStamp } from '../../src/lab/containerd/cache.ts';
import { chooseVersion } from '../../src/lab/containerd/fetch.ts';
import { readyBinaries } from '../../src/lab/containerd/binaries.ts';
import { labConfigText, brokenConfigText } from '../../src/lab/config.ts';
import { labPaths } from '../../src/lab/paths.ts';
import { PLUGIN_ID } from '../../src/sources/containerd/layout.ts';
import { allowedVersions, testVersions, knownDifference, KNOWN_DIFFERENCES, type KnownDifference } from '../e2e/versions.ts';

test('lab versions: the flag, else $CTRDOC_LAB_CONTAINERD, else 1.6; unknown names are errors naming the choices', () => {
  assert.deepEqual(requestedLabVersion('2.1', {}), { version: '2.1', from: 'flag' });
  assert.deepEqual(requestedLabVersion(undefined, { CTRDOC_LAB_CONTAINERD: '1.7' }), { version: '1.7', from: 'env' });
  assert.deepEqual(requestedLabVersion(undefined, {}), { version: '1.6', from: 'default' });
  assert.deepEqual(requestedLabVersion('seed', { CTRDOC_LAB_CONTAINERD: '2.1' }), { version: 'seed', from: 'flag' });
  const said = (re: RegExp, hint: RegExp) => (e: { message: string; hint?: string }) => re.test(e.message) && hint.test(e.hint ?? '');
  assert.throws(() => parseLabVersion('1.5'), said(/unknown containerd version "1\.5"/, /1\.6, 1\.7, 2\.1, seed/));
  assert.throws(() => requestedLabVersion(undefined, { CTRDOC_LAB_CONTAINERD: 'latest' }), /\$CTRDOC_LAB_CONTAINERD: unknown containerd version "latest"/);
  for (const bad of ['', ' ', '2', '2.1.9', '../2.1', '1.6\n']) assert.throws(() => parseLabVersion(bad === '1.6\n' ? 'x' + bad : bad), /unknown containerd version/);
  // every version in the table says where it comes from, and 2.x is the only version 3 config
  for (const v of LAB_VERSIONS) assert.ok(VERSION_TABLE[v].title.length > 10);
  assert.equal(VERSION_TABLE['2.1'].family, '2.x');
  assert.equal(VERSION_TABLE.seed.family, '1.6');
});

test('Debian version order agrees with dpkg --compare-versions', () => {
  const dpkgLess = (a: string, b: string) => spawnSync('dpkg', ['--compare-versions', a, 'lt', b]).status === 0;
  const dpkgEq = (a: string, b: string) => spawnSync('dpkg', ['--compare-versions', a, 'eq', b]).status === 0;
  const sign = (a: string, b: string) => (dpkgEq(a, b) ? 0 : dpkgLess(a, b) ? -1 : 1);
  const pairs: [string, string][] = [
    ['1.7.24~ds1-6+deb13u1', '1.7.24~ds1-6'], ['1.7.24~ds1-6+deb13u1', '1.7.24-1'], ['2.1.9+ds1-5', '2.1.10+ds1-1'],
    ['1.6.20~ds1-1+deb12u3', '1.6.20~ds1-1+deb12u2'], ['1:1.0', '2.0'], ['1.0~rc1', '1.0'], ['1.0', '1.0'], ['1.0a', '1.0+'],
  ];
  for (const [a, b] of pairs) assert.equal(Math.sign(compareDebianVersions(a, b)), sign(a, b), `${a} vs ${b}`);
  const part = fc.stringMatching(/^[0-9][0-9a-z.+~]{0,6}$/);
  const version = fc.tuple(part, fc.option(fc.stringMatching(/^[0-9a-z.+~]{1,5}$/), { nil: undefined })).map(([u, r]) => (r ? `${u}-${r}` : u));
  fc.assert(fc.property(version, version, (a, b) => Math.sign(compareDebianVersions(a, b)) === sign(a, b)), { numRuns: 60 });
});

test('a suite serving a newer version than the table is used and said; none at all is an error naming the apt step', () => {
  const src = { suite: 'sid', package: 'containerd', packageVersion: '2.1.9+ds1-5' };
  assert.deepEqual(chooseVersion(src, '2.1.9+ds1-5'), { version: '2.1.9+ds1-5' });
  const newer = chooseVersion(src, '2.1.10+ds1-1');
  assert.equal(newer.version, '2.1.10+ds1-1');
  assert.match(newer.note!, /sid serves containerd 2\.1\.10\+ds1-1, newer than the version table's 2\.1\.9\+ds1-5: using 2\.1\.10\+ds1-1/);
  assert.match(chooseVersion(src, '2.1.8-1').note!, /older than the version table's/);
  assert.throws(() => chooseVersion(src, undefined), (e: { message: string; hint?: string }) => /Debian sid serves no "containerd" package/.test(e.message) && /apt-get update/.test(e.hint ?? ''));
});

test('the mirror comes from the system\'s own apt sources (deb822 or one-line), never a security suite', () => {
  const deb822 = 'Types: deb\n# http://snapshot.debian.org/archive/debian/20250520T000000Z\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\nComponents: main\n\nTypes: deb\nURIs: http://deb.debian.org/debian-security\nSuites: bookworm-security\n';
  assert.equal(systemMirror([deb822]), 'http://deb.debian.org/debian');
  const securityFirst = 'Types: deb\nURIs: http://security.example/debian-security/\nSuites: bookworm-security\n\nTypes: deb\nURIs: http://mirror.example/debian/\nSuites: bookworm\n';
  assert.equal(systemMirror([securityFirst]), 'http://mirror.example/debian');
  assert.equal(systemMirror(['deb [arch=amd64 signed-by=/k.gpg] http://ftp.example/debian/ bookworm main\n']), 'http://ftp.example/debian');
  assert.equal(systemMirror(['deb http://sec.example/x bookworm-security main\n']), undefined);
  for (const junk of ['', '\0\0\0', 'URIs:', 'x'.repeat(100_000), 'Suites: bookworm\n']) assert.equal(systemMirror([junk]), undefined);
  const list = sourcesListText('http://m.example/debian', 'bookworm', { src: true, updates: true });
  assert.match(list, /^deb \[signed-by=\/usr\/share\/keyrings\/debian-archive-keyring\.gpg\] http:\/\/m\.example\/debian bookworm main$/m);
  assert.match(list, /^deb-src \[signed-by=\S+\] http:\/\/m\.example\/debian bookworm-updates main$/m);
  assert.doesNotMatch(sourcesListText('http://m/debian', 'sid'), /deb-src|sid-updates/);
});

test('Build-Depends of one source version, and what an apt-get simulation would install', () => {
  const showsrc = [
    'Package: containerd', 'Version: 1.6.20~ds1-1+deb12u3',
    'Build-Depends: debhelper-compat (= 13), dh-golang, golang-any, golang-github-containerd-btrfs-dev (>= 0.0~git20200117.1539353~), golang-github-x-dev [amd64] | golang-github-y-dev, golang-k8s-klog-dev <!nocheck>',
    '', 'Package: containerd', 'Version: 1.6.20~ds1-1+deb12u2', 'Build-Depends: debhelper-compat (= 13), golang-old-dev', '',
  ].join('\n');
  assert.deepEqual(buildDependsOf(showsrc, '1.6.20~ds1-1+deb12u3'), ['debhelper-compat', 'dh-golang', 'golang-any', 'golang-github-containerd-btrfs-dev', 'golang-github-x-dev', 'golang-k8s-klog-dev']);
  assert.deepEqual(buildDependsOf(showsrc, '1.6.20~ds1-1+deb12u2'), ['debhelper-compat', 'golang-old-dev']);
  assert.deepEqual(buildDependsOf(showsrc, '9.9'), []);
  assert.deepEqual(buildDependsOf('', '1.0'), []);
  assert.equal(newestSource(showsrc), '1.6.20~ds1-1+deb12u3');
  assert.equal(newestSource('garbage\n\n'), undefined);
  const sim = [
    'NOTE: This is only a simulation!',
    'Inst golang-github-docker-spdystream-dev (0.2.0-1 Debian:12.15/oldstable [all])',
    'Inst libsystemd0 [252.36-1~deb12u1] (252.38-1~deb12u1 Debian:12.15/oldstable [amd64])',
    'Conf golang-github-docker-spdystream-dev (0.2.0-1 Debian:12.15/oldstable [all])',
  ].join('\n');
  assert.deepEqual(simulatedInstalls(sim), [{ name: 'golang-github-docker-spdystream-dev', version: '0.2.0-1' }, { name: 'libsystemd0', version: '252.38-1~deb12u1' }]);
  assert.deepEqual(simulatedInstalls('Inst\nInst \n' + 'Inst x'.repeat(1000)), []);
});

test('the seed\'s source files from its .dsc, and the upstream part of a Debian version', () => {
  const dsc = 'Format: 3.0 (quilt)\nSource: containerd\nFiles:\n 1f0c 2100072 containerd_1.6.20~ds1.orig.tar.xz\n 9a2b 24524 containerd_1.6.20~ds1-1+deb12u3.debian.tar.xz\nChecksums-Sha256:\n aa 1 x\n';
  assert.deepEqual(dscFiles(dsc), ['containerd_1.6.20~ds1.orig.tar.xz', 'containerd_1.6.20~ds1-1+deb12u3.debian.tar.xz']);
  assert.deepEqual(dscFiles(''), []);
  assert.deepEqual(dscFiles('Files:\n'), []);
  assert.equal(upstreamOf('1.6.20~ds1-1+deb12u3'), '1.6.20~ds1');
  assert.equal(upstreamOf('2:1.0-1'), '1.0');
  assert.equal(upstreamOf('1.0'), '1.0');
});

test('the cache: a failed fill leaves nothing; a lock of a dead owner is taken over, a live one waited for', async () => {
  const root = mkdtempSync(join(tmpdir(), 'ctrdoc-cache-'));
  try {
    const dir = join(root, 'containerd', '2.1');
    await assert.rejects(fillOnce(dir, async (tmp) => { writeFileSync(join(tmp, 'half'), 'x'); throw new Error('download failed'); }), /download failed/);
    assert.equal(existsSync(dir), false);
    assert.deepEqual(readdirSync(join(root, 'containerd')), [], 'no temp dir left');
    const stamp = await fillOnce(dir, async (tmp) => {
      writeFileSync(join(tmp, 'bin'), 'x');
      return { labVersion: '2.1', packageVersion: 'p', binaryVersion: 'b', origin: 'o', preparedAt: 'now', seconds: 1 };
    });
    assert.equal(readStamp(dir)?.packageVersion, stamp.packageVersion);
    // a lock left by a process that is gone
    mkdirSync(join(root, 'x.lock'));
    writeFileSync(join(root, 'x.lock', 'pid'), '999999999');
    assert.equal(await withCacheLock(root, 'x', 2000, async () => 'ran'), 'ran');
    assert.equal(existsSync(join(root, 'x.lock')), false, 'released');
    // a live owner (this very process's parent) is waited for until the deadline
    mkdirSync(join(root, 'y.lock'));
    writeFileSync(join(root, 'y.lock', 'pid'), String(process.ppid));
    const waited: number[] = [];
    await assert.rejects(withCacheLock(root, 'y', 700, async () => 'never', (o) => waited.push(o)), /is held by pid \d+ for more than/);
    assert.deepEqual(waited, [process.ppid]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('the e2e version helper: the matrix narrowed by $CTRDOC_TEST_CONTAINERD; known differences become todos', () => {
  const saved = process.env.CTRDOC_TEST_CONTAINERD;
  try {
    process.env.CTRDOC_TEST_CONTAINERD = '2.1, seed';
    assert.deepEqual(testVersions('suite'), ['2.1']);
    assert.deepEqual(testVersions('seed'), ['seed']);
    assert.deepEqual(testVersions('version-dependent'), ['2.1']);
    delete process.env.CTRDOC_TEST_CONTAINERD;
    assert.deepEqual(testVersions('version-dependent'), ['1.6', '1.7', '2.1']);
    assert.throws(() => allowedVersions({ CTRDOC_TEST_CONTAINERD: '1.6,3.0' }), /unknown version 3\.0/);
  } finally {
    if (saved === undefined) delete process.env.CTRDOC_TEST_CONTAINERD;
    else process.env.CTRDOC_TEST_CONTAINERD = saved;
  }
  const a = { id: 'one-difference', versions: ['2.1'], what: 'a difference' } as const;
  const b = { id: 'another', versions: ['1.7', '2.1'], what: 'another' } as const;
  assert.deepEqual(knownDifference('1.6', a, b), {});
  assert.match(knownDifference('2.1', a, b).todo!, /^containerd 2\.1: a difference \(testdata\/captures\/VERSIONS\.md#one-difference\); another \(.*VERSIONS\.md#another\)$/);
  // every difference still written down names a heading of VERSIONS.md
  const headings = (readFileSync(join(import.meta.dirname, '../../testdata/captures/VERSIONS.md'), 'utf8').match(/^## (\S+)$/gm) ?? []).map((h) => h.slice(3));
  for (const d of Object.values<KnownDifference>(KNOWN_DIFFERENCES)) assert.ok(headings.includes(d.id), `VERSIONS.md has a heading ${d.id}`);
});

// ---- each version's config, from that binary's own `config default` (when it is on this machine) ----

const p = labPaths('/tmp/ctrdoc-unit-lab');
type Table = Record<string, any>;
const defaultOf = (v: '1.6' | '1.7' | '2.1'): string | undefined => {
  try {
    const b = readyBinaries(v);
    return b ? execFileSync(b.containerd, ['config', 'default'], { encoding: 'utf8', timeout: 10_000 }) : undefined;
  } catch {
    return undefined;
  }
};

for (const v of ['1.6', '1.7'] as const) {
  const def = defaultOf(v);
  test(`containerd ${v}: a version 2 config, the whole CRI plugin under ${PLUGIN_ID.criGrpc}`, { skip: !def && `containerd ${v} is not installed or prepared here (ctrdoc lab prepare --containerd ${v})` }, () => {
    const cfg = parse(labConfigText(p, def!, { systemdCgroup: true, metricsAddress: '127.0.0.1:1', sandboxImage: 'x/pause:9', runtimeBinary: '/w' })) as Table;
    assert.equal(cfg.version, 2);
    const cri = cfg.plugins[PLUGIN_ID.criGrpc];
    assert.equal(cri.sandbox_image, 'x/pause:9');
    assert.equal(cri.restrict_oom_score_adj, true);
    assert.deepEqual([cri.cni.conf_dir, cri.cni.bin_dir], [p.cniConfDir, p.cniBinDir]);
    assert.deepEqual(cri.containerd.runtimes.runc.options.Root, p.runcRootBase);
    assert.equal(cri.containerd.runtimes.runc.options.SystemdCgroup, true);
    assert.equal(cri.containerd.runtimes.runc.options.BinaryName, '/w');
    assert.equal(cfg.metrics.address, '127.0.0.1:1');
    assert.equal(cfg.plugins[PLUGIN_ID.criRuntime], undefined);
    assert.deepEqual([cfg.root, cfg.state, cfg.grpc.address, cfg.debug.address], [p.root, p.state, p.socket, p.debugSocket]);
  });
}

{
  const def = defaultOf('2.1');
  test(`containerd 2.1: a version 3 config, runtimes in ${PLUGIN_ID.criRuntime}, the sandbox image pinned in ${PLUGIN_ID.criImages}`, { skip: !def && 'containerd 2.1 is not prepared here (ctrdoc lab prepare --containerd 2.1)' }, () => {
    const text = labConfigText(p, def!, { systemdCgroup: true, sandboxImage: 'x/pause:9' });
    const cfg = parse(text) as Table;
    assert.equal(cfg.version, 3);
    const runtime = cfg.plugins[PLUGIN_ID.criRuntime];
    assert.equal(runtime.restrict_oom_score_adj, true);
    assert.deepEqual(runtime.cni.bin_dirs, [p.cniBinDir]);
    assert.equal(runtime.cni.conf_dir, p.cniConfDir);
    assert.equal(runtime.containerd.runtimes.runc.options.SystemdCgroup, true);
    assert.equal(runtime.containerd.runtimes.runc.options.Root, p.runcRootBase);
    assert.equal(cfg.plugins[PLUGIN_ID.criImages].pinned_images.sandbox, 'x/pause:9');
    assert.doesNotMatch(text, /sandbox_image/, 'no 1.x key in a version 3 file');
    assert.equal(cfg.plugins[PLUGIN_ID.criGrpc].containerd, undefined, 'the CRI gRPC plugin keeps only the stream server');
    // a plugin socket on a machine-wide path (2.x's NRI) moves into the lab dir
    const sockets = Object.values(cfg.plugins as Table).map((t: Table) => t.socket_path).filter(Boolean);
    assert.ok(sockets.length >= 1 && sockets.every((s: string) => s.startsWith(p.dir + '/')), sockets.join(' '));
  });
}

test('bad default configs: garbage, a format the lab does not write; the broken variant does not parse', () => {
  assert.throws(() => labConfigText(p, 'version = [\n'), /does not parse as TOML/);
  assert.throws(() => labConfigText(p, 'version = 1\n'), /version 1; the lab writes versions 2 and 3/);
  assert.throws(() => labConfigText(p, 'root = "/x"\n'), /version 1/);
  assert.throws(() => parse(brokenConfigText('version = 3\n')));
  assert.match(brokenConfigText('version = 3\n'), /^version = 3$/m);
  assert.match(brokenConfigText('not toml ['), /^version = 2$/m);
});
