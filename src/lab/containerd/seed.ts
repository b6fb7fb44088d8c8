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

/** Builds the seed containerd into tmp/usr/bin/containerd (the cache's fillOnce dir). */
export async function buildSeedContainerd(labVersion: string, src: SeedSource, cacheRoot: string, tmp: string, log: (l: string) => void): Promise<CacheStamp> {
  const t0 = Date.now();
  const patch = seedPatchPath(src);
  if (!existsSync(patch)) throw new CtrdocError('not-found', `the seed patch ${patch} is missing`, 'restore it from the repository (git checkout src/lab/seed)');
  const work = join(cacheRoot, 'build', `seed-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  const root = join(work, 'root');
  mkdirSync(root, { recursive: true });
  try {
    const apt = privateApt(join(cacheRoot, 'apt', `${src.suite}-src`), src.suite, { src: true });
    log(`apt-get update of Debian ${src.suite} with deb-src lines (private configuration in ${apt.dir})`);
    await updateLists(apt);

    // the source: the table's version, or a newer one the suite serves (said so)
    const showsrc = await apt.run('apt-cache', ['showsrc', src.sourcePackage], { timeoutMs: 60_000 }).catch(() => '');
    const served = newestSource(showsrc);
    if (!served) throw new CtrdocError('not-found', `Debian ${src.suite} serves no source package "${src.sourcePackage}"`, `the seed needs deb-src: check that apt-get update of the private sources list ${join(apt.dir, 'etc/sources.list')} reaches the mirror`);
    const version = compareDebianVersions(served, src.packageVersion) >= 0 ? served : src.packageVersion;
    const note = version !== src.packageVersion ? `${src.suite} serves source ${src.sourcePackage} ${version}, newer than the version table's ${src.packageVersion}: using it` : undefined;
    if (note) log(note);
    const dl = join(work, 'source');
    mkdirSync(dl, { recursive: true });
    log(`apt-get source --download-only ${src.sourcePackage}=${version}`);
    await apt.run('apt-get', ['-q', 'source', '--download-only', `${src.sourcePackage}=${version}`], { cwd: dl, timeoutMs: 600_000 });
    const dsc = readdirSync(dl).find((f) => f.endsWith('.dsc'));
    if (!dsc) throw new CtrdocError('internal', `apt-get source left no .dsc in ${dl}`);
    const files = dscFiles(readFileSync(join(dl, dsc), 'utf8'));
    const orig = files.find((f) => /\.orig\.tar\./.test(f));
    const debian = files.find((f) => /\.debian\.tar\./.test(f));
    if (!orig || !debian) throw new CtrdocError('internal', `${dsc} names no .orig and .debian tarballs (${files.join(', ')})`);

    // dh-golang's layout: the source at _build/src/github.com/containerd/containerd
    const tree = join(work, '_build', 'src', ...IMPORT_PATH.split('/'));
    mkdirSync(dirname(tree), { recursive: true });
    const unpack = join(work, 'unpack');
    mkdirSync(unpack, { recursive: true });
    await run('tar', ['-xf', join(dl, orig), '-C', unpack]);
    const top = readdirSync(unpack);
    if (top.length !== 1) throw new CtrdocError('internal', `${orig} does not unpack to one directory (${top.join(', ')})`);
    renameSync(join(unpack, top[0]), tree);
    await run('tar', ['-xf', join(dl, debian), '-C', tree]);
    const patchBin = await tool('patch', apt, root, 'patch', log);
    const series = join(tree, 'debian', 'patches', 'series');
    const debianPatches = existsSync(series) ? readFileSync(series, 'utf8').split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean) : [];
    log(`applying Debian's ${debianPatches.length} patches, then ${patch}`);
    for (const p of debianPatches) await run(patchBin, ['-p1', '-s', '--no-backup-if-mismatch', '-i', join(tree, 'debian', 'patches', p.split(/\s+/)[0])], { cwd: tree });
    await run(patchBin, ['-p1', '--no-backup-if-mismatch', '-i', patch], { cwd: tree }).catch((err) => {
      throw new CtrdocError('failed-precondition', `the seed patch does not apply to ${src.sourcePackage} ${version}: ${(err as Error).message}`, `write the patch again for this source (see its header in ${patch})`);
    });

    // the Go sources of the Build-Depends (and their dependencies), as apt resolves them from nothing
    const bd = buildDependsOf(showsrc, version).filter((d) => /^golang-.*-dev$/.test(d));
    if (bd.length === 0) throw new CtrdocError('internal', `no golang-*-dev Build-Depends found for ${src.sourcePackage} ${version}`);
    const sim = await apt.run('apt-get', ['-s', '-q', 'install', '--no-install-recommends', ...bd], { timeoutMs: 120_000 });
    const goDev = simulatedInstalls(sim).map((x) => x.name).filter((n) => /^golang-.*-dev$/.test(n));
    const useSystemGo = !privateTools() && existsSync(join(SYSTEM_GOROOT, 'bin', 'go'));
    const wanted = [...goDev, ...(useSystemGo ? [] : GO_PACKAGES)];
    const debs = join(work, 'debs');
    mkdirSync(debs, { recursive: true });
    log(`apt-get download of ${goDev.length} golang-*-dev packages${useSystemGo ? '' : ' and Debian 12\'s Go 1.19'} (not installed: unpacked into ${root})`);
    await apt.run('apt-get', ['-q', 'download', ...wanted], { cwd: debs, timeoutMs: 900_000 });
    for (const f of readdirSync(debs).filter((x) => x.endsWith('.deb'))) await run('dpkg-deb', ['-x', join(debs, f), root]);
    rmSync(debs, { recursive: true, force: true });
    const goroot = useSystemGo ? SYSTEM_GOROOT : join(root, SYSTEM_GOROOT);
    if (!existsSync(join(goroot, 'bin', 'go'))) throw new CtrdocError('not-found', `no Go toolchain at ${goroot}`, `apt-get download ${GO_PACKAGES.join(' ')} failed; check the mirror`);

    const upstream = upstreamOf(version);
    const binVersion = `${upstream}${src.versionSuffix}`;
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
    log(`go build ${IMPORT_PATH}/cmd/containerd (GOPATH mode, tags ${TAGS.join(',')}, version ${binVersion}); a few minutes on 2 cores`);
    const ldflags = `-X ${IMPORT_PATH}/version.Version=${binVersion} -X ${IMPORT_PATH}/version.Revision=${version}${src.versionSuffix}`;
    // -trimpath: stack traces name github.com/containerd/containerd/..., not this build dir
    await run(join(goroot, 'bin', 'go'), ['build', '-trimpath', '-o', out, '-tags', TAGS.join(' '), '-ldflags', ldflags, `${IMPORT_PATH}/cmd/containerd`], { cwd: tree, env, timeoutMs: 30 * 60_000 });
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
      origin: `Debian ${src.suite} source ${src.sourcePackage} ${version} + ${src.patch}, cmd/containerd built with Go from Debian 12 (${useSystemGo ? 'installed' : 'unpacked privately'}; GOPATH mode, CGO_ENABLED=0, -trimpath, tags ${TAGS.join(',')})`,
      preparedAt: new Date().toISOString(),
      seconds: Math.round((Date.now() - t0) / 100) / 10,
      note,
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
