// Which binaries a lab version runs, and getting them ready: Debian 12's installed ones for 1.6,
// the cache's for the others (fetched or built on first use, under a lock). The lab records the
// answer in lab.json, so every later command works on what the lab dir really runs.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CtrdocError } from '../../errors.ts';
import { configVersionOf, type ContainerdFamily } from '../../sources/containerd/layout.ts';
import { VERSION_TABLE, type LabVersion } from './versions.ts';
import { cacheDir, readStamp, fillOnce, withCacheLock, type CacheStamp } from './cache.ts';
import { fetchSuiteContainerd } from './fetch.ts';
import { buildSeedContainerd } from './seed.ts';

export interface LabBinaries {
  labVersion: LabVersion;
  family: ContainerdFamily;
  /** the config format written for it: 2 (1.x) or 3 (2.x) */
  configVersion: 2 | 3;
  containerd: string;
  ctr: string;
  /** containerd-shim-runc-v2 this version runs */
  shim: string;
  /** first on containerd's PATH, so it finds this version's shim before any other */
  binDir: string;
  packageVersion: string;
  /** `containerd --version` */
  binaryVersion: string;
  origin: string;
  note?: string;
}

const INSTALL_HINT = 'bash scripts/setup.sh (or apt-get install -y containerd runc)';

function which(bin: string): string {
  try {
    return execFileSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8', timeout: 5000 }).trim();
  } catch {
    throw new CtrdocError('not-found', `${bin} is not installed`, INSTALL_HINT);
  }
}

function installedPackageVersion(pkg: string): string {
  try {
    return execFileSync('dpkg-query', ['-W', '-f', '${Version}', pkg], { encoding: 'utf8', timeout: 5000 }).trim();
  } catch {
    return 'unknown (not a Debian package)';
  }
}

function versionOf(containerd: string): string {
  try {
    return execFileSync(containerd, ['--version'], { encoding: 'utf8', timeout: 10_000 }).trim();
  } catch (err) {
    throw new CtrdocError('failed-precondition', `${containerd} --version failed: ${(err as Error).message}`, INSTALL_HINT);
  }
}

/** The cache dir of a lab version (not for 1.6, which runs the system's binaries). */
export function versionCacheDir(v: LabVersion, root = cacheDir()): string {
  return join(root, 'containerd', v);
}

function fromStamp(v: LabVersion, dir: string, stamp: CacheStamp): LabBinaries {
  const src = VERSION_TABLE[v];
  const bin = join(dir, 'usr', 'bin');
  const own = (b: string) => (existsSync(join(bin, b)) ? join(bin, b) : which(b));
  return {
    labVersion: v,
    family: src.family,
    configVersion: configVersionOf(src.family),
    containerd: join(bin, 'containerd'),
    // the seed is built from Debian 12's source: it runs Debian 12's ctr and shim
    ctr: own('ctr'),
    shim: own('containerd-shim-runc-v2'),
    binDir: bin,
    packageVersion: stamp.packageVersion,
    binaryVersion: stamp.binaryVersion,
    origin: stamp.origin,
    note: stamp.note,
  };
}

/** The binaries of a version if they are ready (installed or cached); undefined otherwise. */
export function readyBinaries(v: LabVersion, root = cacheDir()): LabBinaries | undefined {
  const src = VERSION_TABLE[v];
  if (src.kind === 'system') {
    const containerd = which('containerd');
    return {
      labVersion: v,
      family: src.family,
      configVersion: configVersionOf(src.family),
      containerd,
      ctr: which('ctr'),
      shim: which('containerd-shim-runc-v2'),
      binDir: join(containerd, '..'),
      packageVersion: installedPackageVersion(src.package),
      binaryVersion: versionOf(containerd),
      origin: "Debian 12's installed containerd package",
    };
  }
  const dir = versionCacheDir(v, root);
  const stamp = readStamp(dir);
  return stamp && existsSync(join(dir, 'usr', 'bin', 'containerd')) ? fromStamp(v, dir, stamp) : undefined;
}

/**
 * The binaries of a version, fetched (1.7, 2.1) or built (seed) into the cache first when they
 * are not there yet. Only 1.6 needs anything installed; the rest never changes the system.
 */
export async function prepareBinaries(v: LabVersion, log: (l: string) => void = () => {}, root = cacheDir()): Promise<LabBinaries> {
  const ready = readyBinaries(v, root);
  if (ready) return ready;
  const src = VERSION_TABLE[v];
  if (src.kind === 'system') throw new CtrdocError('internal', 'unreachable: the system version is always ready or throws');
  if (process.getuid?.() !== 0) throw new CtrdocError('permission-denied', `containerd ${v} is not in ${versionCacheDir(v, root)} yet and preparing it needs root (apt-get download into the cache)`, 'run as root: ctrdoc lab prepare --containerd ' + v);
  const dir = versionCacheDir(v, root);
  const t0 = Date.now();
  // each step with the seconds since the start: a fetch takes seconds, the seed's build minutes
  const step = (l: string) => log(`[${Math.round((Date.now() - t0) / 1000)} s] ${l}`);
  return withCacheLock(root, `containerd-${v}`, 45 * 60_000, async () => {
    const again = readyBinaries(v, root);
    if (again) return again;
    step(`preparing containerd ${v}: ${src.title}`);
    const stamp = await fillOnce(dir, (tmp) => (src.kind === 'suite' ? fetchSuiteContainerd(v, src, root, tmp, step) : buildSeedContainerd(v, src, root, tmp, step)));
    step(`containerd ${v} ready in ${dir} (${stamp.binaryVersion})`);
    return fromStamp(v, dir, stamp);
  }, (owner) => log(`waiting for pid ${owner}, which is preparing containerd ${v}`));
}
