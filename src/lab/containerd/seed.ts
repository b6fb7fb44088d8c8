// The "seed" containerd: Debian 12's containerd source with the containerd#6772 fix reverted
// (src/lab/seed/containerd-6772-lock-order.patch), only cmd/containerd built. Debian strips
// most of vendor/ and builds against its golang-*-dev packages; `apt-get build-dep` would
// upgrade system packages (libsystemd-dev pulls a newer libsystemd0), so instead the Go
// sources those packages hold (the golang-*-dev closure apt resolves for the Build-Depends)
// and, when Debian 12's Go is not installed, its toolchain are downloaded with a private apt
// configuration and unpacked into a private root. The system is never changed. The build runs
// in GOPATH mode, laid out the way dh-golang does (_build/src/<import path>).
import { readdirSync, readFileSync, existsSync, mkdirSync, rmSync, renameSync, copyFileSync, chmodSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CtrdocError } from '../../errors.ts';
import { privateApt, updateLists, buildDependsOf, simulatedInstalls, type PrivateApt } from './apt.ts';
import { run, binaryVersion } from './fetch.ts';
import { compareDebianVersions, type SeedSource } from './versions.ts';
import type { CacheStamp } from './cache.ts';

const IMPORT_PATH = 'github.com/containerd/containerd';
/** Debian 12's Go (what golang-any means there) and where its package installs it. */
const GO_PACKAGES = ['golang-1.19-go', 'golang-1.19-src'];
const SYSTEM_GOROOT = '/usr/lib/go-1.19';
/** Build tags that leave out what needs cgo or is not used here (the lab runs overlayfs). */
const TAGS = ['no_btrfs', 'no_zfs', 'no_devmapper', 'no_aufs'];

/** The repository's top directory (where package.json is), from source or from dist/. */
export function repoRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  let d = from;
  for (;;) {
    if (existsSync(join(d, 'package.json')) && existsSync(join(d, 'src', 'lab'))) return d;
    const up = dirname(d);
    if (up === d) throw new CtrdocError('not-found', `cannot find ctrdoc's repository above ${from}`, 'run ctrdoc from its repository (the seed patch lives in src/lab/seed/)');
    d = up;
  }
}

export function seedPatchPath(src: SeedSource): string {
  return join(repoRoot(), 'src', 'lab', 'seed', src.patch);
}

/** The upstream part of a Debian version: 1.6.20~ds1-1+deb12u3 → 1.6.20~ds1. */
export function upstreamOf(debVersion: string): string {
  const noEpoch = debVersion.replace(/^\d+:/, '');
  const dash = noEpoch.lastIndexOf('-');
  return dash < 0 ? noEpoch : noEpoch.slice(0, dash);
}

/** The newest version of a source package among the stanzas of `apt-cache showsrc`. */
export function newestSource(showsrc: string): string | undefined {
  const versions = [...showsrc.matchAll(/^Version:\s*(\S+)/gm)].map((m) => m[1]);
  return versions.sort(compareDebianVersions).pop();
}

/** Files of a .dsc's Files/Checksums-Sha256 section. */
export function dscFiles(dsc: string): string[] {
  const m = /^Files:\s*\n((?:[ \t].*\n?)*)/m.exec(dsc);
  return (m?.[1] ?? '').split('\n').map((l) => l.trim().split(/\s+/)[2]).filter(Boolean);
}

/**
 * $CTRDOC_SEED_PRIVATE_TOOLS=1 takes Go and patch from Debian 12's packages unpacked in the
 * private root even when the system has them: how a fresh machine builds, tried on this one.
 */
const privateTools = () => process.env.CTRDOC_SEED_PRIVATE_TOOLS === '1';

async function tool(name: string, apt: PrivateApt, root: string, pkg: string, log: (l: string) => void): Promise<string> {
  if (!privateTools()) for (const d of ['/usr/bin', '/bin']) if (existsSync(join(d, name))) return join(d, name);
  const own = join(root, 'usr', 'bin', name);
  if (existsSync(own)) return own;
  log(`${privateTools() ? 'CTRDOC_SEED_PRIVATE_TOOLS=1' : `${name} is not installed`}: using Debian 12's ${pkg} unpacked in ${root}`);
  const dl = join(root, '..', 'debs');
  mkdirSync(dl, { recursive: true });
  await apt.run('apt-get', ['-q', 'download', pkg], { cwd: dl });
  for (const f of readdirSync(dl).filter((x) => x.startsWith(`${pkg}_`))) await run('dpkg-deb', ['-x', join(dl, f), root]);
  if (!existsSync(own)) throw new CtrdocError('internal', `${pkg} has no usr/bin/${name}`);
  return own;
}

/** What one build works in: the private apt configuration, the work dir and its private root. */
interface SeedBuild {
  src: SeedSource;
  apt: PrivateApt;
  work: string;
  /** where the downloaded .debs are unpacked (the golang-*-dev sources, maybe Go and patch) */
  root: string;
  log: (l: string) => void;
}

/** The source to build: the table's version, or a newer one the suite serves (said so). */
async function chooseSource(b: SeedBuild): Promise<{ version: string; showsrc: string; note?: string }> {
  const { src, apt } = b;
  const showsrc = await apt.run('apt-cache', ['showsrc', src.sourcePackage], { timeoutMs: 60_000 }).catch(() => '');
  const served = newestSource(showsrc);
  if (!served) throw new CtrdocError('not-found', `Debian ${src.suite} serves no source package "${src.sourcePackage}"`, `the seed needs deb-src: check that apt-get update of the private sources list ${join(apt.dir, 'etc/sources.list')} reaches the mirror`);
  const version = compareDebianVersions(served, src.packageVersion) >= 0 ? served : src.packageVersion;
  const note = version !== src.packageVersion ? `${src.suite} serves source ${src.sourcePackage} ${version}, newer than the version table's ${src.packageVersion}: using it` : undefined;
  if (note) b.log(note);
  return { version, showsrc, note };
}

/**
 * `apt-get source --download-only`, the .orig and .debian tarballs unpacked where dh-golang puts
 * them (_build/src/github.com/containerd/containerd), Debian's patches applied, then ours.
 */
async function unpackPatchedSource(b: SeedBuild, version: string, patch: string): Promise<string> {
  const { src, apt, work } = b;
  const dl = join(work, 'source');
  mkdirSync(dl, { recursive: true });
  b.log(`apt-get source --download-only ${src.sourcePackage}=${version}`);
  await apt.run('apt-get', ['-q', 'source', '--download-only', `${src.sourcePackage}=${version}`], { cwd: dl, timeoutMs: 600_000 });
  const dsc = readdirSync(dl).find((f) => f.endsWith('.dsc'));
  if (!dsc) throw new CtrdocError('internal', `apt-get source left no .dsc in ${dl}`);
  const files = dscFiles(readFileSync(join(dl, dsc), 'utf8'));
  const orig = files.find((f) => /\.orig\.tar\./.test(f));
  const debian = files.find((f) => /\.debian\.tar\./.test(f));
  if (!orig || !debian) throw new CtrdocError('internal', `${dsc} names no .orig and .debian tarballs (${files.join(', ')})`);
  const tree = join(work, '_build', 'src', ...IMPORT_PATH.split('/'));
  mkdirSync(dirname(tree), { recursive: true });
  const unpack = join(work, 'unpack');
  mkdirSync(unpack, { recursive: true });
  await run('tar', ['-xf', join(dl, orig), '-C', unpack]);
  const top = readdirSync(unpack);
  if (top.length !== 1) throw new CtrdocError('internal', `${orig} does not unpack to one directory (${top.join(', ')})`);
  renameSync(join(unpack, top[0]), tree);
  await run('tar', ['-xf', join(dl, debian), '-C', tree]);
  const patchBin = await tool('patch', apt, b.root, 'patch', b.log);
  const series = join(tree, 'debian', 'patches', 'series');
  const debianPatches = existsSync(series) ? readFileSync(series, 'utf8').split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean) : [];
  b.log(`applying Debian's ${debianPatches.length} patches, then ${patch}`);
  for (const p of debianPatches) await run(patchBin, ['-p1', '-s', '--no-backup-if-mismatch', '-i', join(tree, 'debian', 'patches', p.split(/\s+/)[0])], { cwd: tree });
  await run(patchBin, ['-p1', '--no-backup-if-mismatch', '-i', patch], { cwd: tree }).catch((err) => {
    throw new CtrdocError('failed-precondition', `the seed patch does not apply to ${src.sourcePackage} ${version}: ${(err as Error).message}`, `write the patch again for this source (see its header in ${patch})`);
  });
  return tree;
}

/**
 * The Go sources of the golang-*-dev Build-Depends and their dependencies, as apt resolves them
 * from nothing (an empty dpkg status), downloaded and unpacked into the private root, with
 * Debian 12's Go when it is not installed. Returns the GOROOT to build with.
 */
async function unpackGoSources(b: SeedBuild, showsrc: string, version: string): Promise<{ goroot: string; systemGo: boolean }> {
  const { src, apt, work, root } = b;
  const bd = buildDependsOf(showsrc, version).filter((d) => /^golang-.*-dev$/.test(d));
  if (bd.length === 0) throw new CtrdocError('internal', `no golang-*-dev Build-Depends found for ${src.sourcePackage} ${version}`);
  const sim = await apt.run('apt-get', ['-s', '-q', 'install', '--no-install-recommends', ...bd], { timeoutMs: 120_000 });
  const goDev = simulatedInstalls(sim).map((x) => x.name).filter((n) => /^golang-.*-dev$/.test(n));
  const systemGo = !privateTools() && existsSync(join(SYSTEM_GOROOT, 'bin', 'go'));
  const debs = join(work, 'debs');
  mkdirSync(debs, { recursive: true });
  b.log(`apt-get download of ${goDev.length} golang-*-dev packages${systemGo ? '' : ' and Debian 12\'s Go 1.19'} (not installed: unpacked into ${root})`);
  await apt.run('apt-get', ['-q', 'download', ...goDev, ...(systemGo ? [] : GO_PACKAGES)], { cwd: debs, timeoutMs: 900_000 });
  // four unpacks at a time: each package writes its own files
  const queue = readdirSync(debs).filter((x) => x.endsWith('.deb'));
  const unpackNext = async (): Promise<void> => {
    for (let f = queue.shift(); f; f = queue.shift()) await run('dpkg-deb', ['-x', join(debs, f), root]);
  };
  await Promise.all([unpackNext(), unpackNext(), unpackNext(), unpackNext()]);
  rmSync(debs, { recursive: true, force: true });
  const goroot = systemGo ? SYSTEM_GOROOT : join(root, SYSTEM_GOROOT);
  if (!existsSync(join(goroot, 'bin', 'go'))) throw new CtrdocError('not-found', `no Go toolchain at ${goroot}`, `apt-get download ${GO_PACKAGES.join(' ')} failed; check the mirror`);
  return { goroot, systemGo };
}

/** `go build` of cmd/containerd in GOPATH mode, with an honest version string; returns the binary. */
async function goBuild(b: SeedBuild, tree: string, goroot: string, version: string, binVersion: string): Promise<string> {
  const { work, root } = b;
  const out = join(work, 'containerd');
  const env: NodeJS.ProcessEnv = {
    PATH: `${join(goroot, 'bin')}:/usr/bin:/bin`,
    HOME: work,
    GOROOT: goroot,
    GOPATH: `${join(work, '_build')}:${join(root, 'usr', 'share', 'gocode')}`,
    GO111MODULE: 'off',
    GOCACHE: join(work, 'gocache'),
    GOENV: 'off',
    GOFLAGS: '',
    CGO_ENABLED: '0',
    LC_ALL: 'C',
  };
  b.log(`go build ${IMPORT_PATH}/cmd/containerd (GOPATH mode, tags ${TAGS.join(',')}, version ${binVersion}); a few minutes on 2 cores`);
  const ldflags = `-X ${IMPORT_PATH}/version.Version=${binVersion} -X ${IMPORT_PATH}/version.Revision=${version}${b.src.versionSuffix}`;
  // -trimpath: stack traces name github.com/containerd/containerd/..., not this build dir
  await run(join(goroot, 'bin', 'go'), ['build', '-trimpath', '-o', out, '-tags', TAGS.join(' '), '-ldflags', ldflags, `${IMPORT_PATH}/cmd/containerd`], { cwd: tree, env, timeoutMs: 30 * 60_000 });
  return out;
}

/** Builds the seed containerd into tmp/usr/bin/containerd (the cache's fillOnce dir). */
export async function buildSeedContainerd(labVersion: string, src: SeedSource, cacheRoot: string, tmp: string, log: (l: string) => void): Promise<CacheStamp> {
  const t0 = Date.now();
  const patch = seedPatchPath(src);
  if (!existsSync(patch)) throw new CtrdocError('not-found', `the seed patch ${patch} is missing`, 'restore it from the repository (git checkout src/lab/seed)');
  const work = join(cacheRoot, 'build', `seed-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  const b: SeedBuild = { src, apt: privateApt(join(cacheRoot, 'apt', `${src.suite}-src`), src.suite, { src: true }), work, root: join(work, 'root'), log };
  mkdirSync(b.root, { recursive: true });
  try {
    log(`apt-get update of Debian ${src.suite} with deb-src lines (private configuration in ${b.apt.dir})`);
    await updateLists(b.apt);
    const { version, showsrc, note } = await chooseSource(b);
    const tree = await unpackPatchedSource(b, version, patch);
    const { goroot, systemGo } = await unpackGoSources(b, showsrc, version);
    const binVersion = `${upstreamOf(version)}${src.versionSuffix}`;
    const out = await goBuild(b, tree, goroot, version, binVersion);
    const bin = join(tmp, 'usr', 'bin');
    mkdirSync(bin, { recursive: true });
    copyFileSync(out, join(bin, 'containerd'));
    chmodSync(join(bin, 'containerd'), 0o755);
    copyFileSync(patch, join(tmp, src.patch));
    const said = await binaryVersion(join(bin, 'containerd'));
    if (!said.includes(binVersion)) throw new CtrdocError('internal', `the seed build says "${said}", not ${binVersion}`);
    return {
      labVersion,
      packageVersion: version,
      binaryVersion: said,
      origin: `Debian ${src.suite} source ${src.sourcePackage} ${version} + ${src.patch}, cmd/containerd built with Go from Debian 12 (${systemGo ? 'installed' : 'unpacked privately'}; GOPATH mode, CGO_ENABLED=0, -trimpath, tags ${TAGS.join(',')})`,
      preparedAt: new Date().toISOString(),
      seconds: Math.round((Date.now() - t0) / 100) / 10,
      note,
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
