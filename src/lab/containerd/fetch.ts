// containerd from a newer Debian suite (1.7 from trixie, 2.1 from sid): `apt-get download` of
// the `containerd` .deb through a private apt configuration, `dpkg-deb -x` into the cache. The
// binaries run on Debian 12 (they need glibc 2.34); the suite's runc (glibc 2.38) is not taken:
// the lab keeps Debian 12's runc.
import { execFile } from 'node:child_process';
import { readdirSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CtrdocError } from '../../errors.ts';
import { privateApt, updateLists, candidateVersion } from './apt.ts';
import { compareDebianVersions, type SuiteSource } from './versions.ts';
import type { CacheStamp } from './cache.ts';

export function run(cmd: string, args: string[], o: { cwd?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  const timeoutMs = o.timeoutMs ?? 120_000;
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd: o.cwd, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, env: o.env ?? { ...process.env, LC_ALL: 'C' } }, (err, stdout, stderr) => {
      if (err) {
        const why = (err as { killed?: boolean }).killed ? `no end within ${timeoutMs / 1000} s` : (stderr.trim().split('\n').slice(-8).join('\n') || err.message);
        reject(new CtrdocError('internal', `${cmd} ${args.join(' ').slice(0, 200)}: ${why}`));
      } else resolve(stdout + stderr);
    });
  });
}

/** `containerd --version` of a binary, or a clear error when it does not run here. */
export async function binaryVersion(containerd: string): Promise<string> {
  try {
    return (await run(containerd, ['--version'], { timeoutMs: 10_000 })).trim();
  } catch (err) {
    throw new CtrdocError('failed-precondition', `${containerd} does not run on this machine: ${(err as Error).message}`, 'remove it from the cache and prepare again (ctrdoc lab prepare)');
  }
}

/**
 * The version to fetch: the suite's candidate. Newer than the table's is used, with a note;
 * a suite that no longer has the package is an error naming the apt step.
 */
export function chooseVersion(src: { suite: string; package: string; packageVersion: string }, candidate: string | undefined): { version: string; note?: string } {
  if (!candidate) {
    throw new CtrdocError('not-found', `Debian ${src.suite} serves no "${src.package}" package through the private apt configuration`, `check that the machine reaches its Debian mirror (apt-get update with the lab's private sources list for ${src.suite})`);
  }
  const cmp = compareDebianVersions(candidate, src.packageVersion);
  if (cmp > 0) return { version: candidate, note: `${src.suite} serves ${src.package} ${candidate}, newer than the version table's ${src.packageVersion}: using ${candidate}` };
  if (cmp < 0) return { version: candidate, note: `${src.suite} serves ${src.package} ${candidate}, older than the version table's ${src.packageVersion}: using ${candidate}` };
  return { version: candidate };
}

/** Fetches and unpacks a suite's containerd into tmp (the cache's fillOnce dir). */
export async function fetchSuiteContainerd(labVersion: string, src: SuiteSource, cacheRoot: string, tmp: string, log: (l: string) => void): Promise<CacheStamp> {
  const t0 = Date.now();
  const apt = privateApt(join(cacheRoot, 'apt', src.suite), src.suite);
  log(`apt-get update of Debian ${src.suite} (private configuration in ${apt.dir})`);
  await updateLists(apt);
  const { version, note } = chooseVersion(src, await candidateVersion(apt, src.package));
  if (note) log(note);
  const dl = join(tmp, 'download');
  mkdirSync(dl, { recursive: true });
  log(`apt-get download ${src.package}=${version}`);
  await apt.run('apt-get', ['-q', 'download', `${src.package}=${version}`], { cwd: dl, timeoutMs: 600_000 });
  const deb = readdirSync(dl).find((f) => f.endsWith('.deb'));
  if (!deb) throw new CtrdocError('internal', `apt-get download ${src.package}=${version} left no .deb in ${dl}`);
  await run('dpkg-deb', ['-x', join(dl, deb), tmp]);
  rmSync(dl, { recursive: true, force: true });
  const bin = join(tmp, 'usr', 'bin');
  for (const b of ['containerd', 'ctr', 'containerd-shim-runc-v2']) {
    if (!existsSync(join(bin, b))) throw new CtrdocError('internal', `${deb} has no usr/bin/${b}`);
  }
  return {
    labVersion,
    packageVersion: version,
    binaryVersion: await binaryVersion(join(bin, 'containerd')),
    origin: `Debian ${src.suite} package ${src.package} ${version} (apt-get download, dpkg-deb -x)`,
    preparedAt: new Date().toISOString(),
    seconds: Math.round((Date.now() - t0) / 100) / 10,
    note,
  };
}
