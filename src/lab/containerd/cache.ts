// The lab's cache of containerd binaries: /var/cache/ctrdoc (or $CTRDOC_CACHE_DIR), one
// directory per version, filled once and moved into place whole, so a half-made one is never
// used. Preparing takes a lock (a directory holding the owner's pid), so two labs started at
// once on the same version wait for one fetch or build instead of racing.
import { mkdirSync, readFileSync, writeFileSync, rmSync, renameSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { CtrdocError } from '../../errors.ts';

export const DEFAULT_CACHE_DIR = '/var/cache/ctrdoc';
export const CACHE_ENV = 'CTRDOC_CACHE_DIR';

export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env[CACHE_ENV] || DEFAULT_CACHE_DIR;
}

/** What a prepared version directory holds; written last, so its presence means "complete". */
export interface CacheStamp {
  labVersion: string;
  /** the Debian package version it came from */
  packageVersion: string;
  /** `containerd --version` of the binary */
  binaryVersion: string;
  /** where it came from, in words (suite, source + patch) */
  origin: string;
  preparedAt: string;
  /** seconds the fetch or build took */
  seconds: number;
  /** a newer package than the version table's was used */
  note?: string;
}

export const STAMP = 'ctrdoc-cache.json';

export function readStamp(dir: string): CacheStamp | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, STAMP), 'utf8')) as CacheStamp;
  } catch {
    return undefined;
  }
}

/** Fills `final` by calling fill(tmp) and renaming tmp into place; a failed fill leaves nothing. */
export async function fillOnce(final: string, fill: (tmp: string) => Promise<CacheStamp>): Promise<CacheStamp> {
  const tmp = `${final}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    const stamp = await fill(tmp);
    writeFileSync(join(tmp, STAMP), JSON.stringify(stamp, null, 2) + '\n');
    rmSync(final, { recursive: true, force: true });
    renameSync(tmp, final);
    return stamp;
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Runs fn holding the lock `name` under the cache dir. A lock whose owner is dead is taken over;
 * a live owner is waited for (it is fetching or building the same thing) up to waitMs.
 */
export async function withCacheLock<T>(root: string, name: string, waitMs: number, fn: () => Promise<T>, onWait?: (owner: number) => void): Promise<T> {
  mkdirSync(root, { recursive: true });
  const lock = join(root, `${name}.lock`);
  const deadline = Date.now() + waitMs;
  let told = false;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let owner = 0;
      try { owner = Number(readFileSync(join(lock, 'pid'), 'utf8')); } catch { /* being written */ }
      if (owner && !pidAlive(owner)) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (!told && owner) { onWait?.(owner); told = true; }
      if (Date.now() > deadline) throw new CtrdocError('deadline-exceeded', `${lock} is held by pid ${owner} for more than ${Math.round(waitMs / 1000)} s`, `wait for it, or remove ${lock} if pid ${owner} is not ctrdoc`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return await fn();
  } finally {
    if (existsSync(lock)) rmSync(lock, { recursive: true, force: true });
  }
}
