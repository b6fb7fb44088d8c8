// The containerd versions the lab can run, as data: where each one comes from (Debian 12's
// installed packages, a newer Debian suite's package, or Debian 12's source with a patch), the
// package version this table was written against, and the config format it speaks. A suite
// that serves a newer version is used, and the lab says so.
import { CtrdocError } from '../../errors.ts';
import { configVersionOf, type ContainerdFamily } from '../../sources/containerd/layout.ts';

export const LAB_VERSIONS = ['1.6', '1.7', '2.1', 'seed'] as const;
export type LabVersion = (typeof LAB_VERSIONS)[number];
export const DEFAULT_LAB_VERSION: LabVersion = '1.6';
/** Picks the default of `lab up --containerd` (a CI matrix sets it). */
export const LAB_VERSION_ENV = 'CTRDOC_LAB_CONTAINERD';

interface Common {
  family: ContainerdFamily;
  /** what a person reads in `ctrdoc lab versions` */
  title: string;
}

/** Debian 12's own containerd, installed by setup.sh with apt-get. */
export interface SystemSource extends Common {
  kind: 'system';
  package: 'containerd';
}

/** A newer suite's `containerd` .deb, fetched through a private apt configuration, unpacked. */
export interface SuiteSource extends Common {
  kind: 'suite';
  suite: string;
  package: 'containerd';
  /** the version this table was written against; a newer one served by the suite is used */
  packageVersion: string;
}

/** Debian 12's containerd source, patched (src/lab/seed/), only cmd/containerd built. */
export interface SeedSource extends Common {
  kind: 'seed';
  suite: string;
  sourcePackage: 'containerd';
  packageVersion: string;
  /** the patch file under src/lab/seed/ */
  patch: string;
  /** appended to the upstream version in `containerd --version` */
  versionSuffix: string;
}

export type VersionSource = SystemSource | SuiteSource | SeedSource;

export const VERSION_TABLE: Record<LabVersion, VersionSource> = {
  '1.6': { kind: 'system', family: '1.6', package: 'containerd', title: "Debian 12's installed containerd (1.6.20)" },
  '1.7': { kind: 'suite', family: '1.7', suite: 'trixie', package: 'containerd', packageVersion: '1.7.24~ds1-6+deb13u1', title: "Debian 13 (trixie)'s containerd package, unpacked" },
  '2.1': { kind: 'suite', family: '2.x', suite: 'sid', package: 'containerd', packageVersion: '2.1.9+ds1-5', title: "Debian unstable (sid)'s containerd package, unpacked" },
  seed: {
    kind: 'seed', family: '1.6', suite: 'bookworm', sourcePackage: 'containerd', packageVersion: '1.6.20~ds1-1+deb12u3',
    patch: 'containerd-6772-lock-order.patch', versionSuffix: '+seed6772',
    title: "Debian 12's containerd source with the containerd#6772 fix reverted (1.6.0-1.6.2's lock order), built here",
  },
};

/** The config format each lab version gets: `version = 2` for 1.x, `version = 3` for 2.x. */
export function labConfigVersion(v: LabVersion): 2 | 3 {
  return configVersionOf(VERSION_TABLE[v].family);
}

export function parseLabVersion(text: string, where = '--containerd'): LabVersion {
  const v = text.trim();
  if ((LAB_VERSIONS as readonly string[]).includes(v)) return v as LabVersion;
  throw new CtrdocError('invalid-argument', `${where}: unknown containerd version "${text}"`, `use one of ${LAB_VERSIONS.join(', ')}`);
}

/** The version asked for: the flag, else $CTRDOC_LAB_CONTAINERD, else 1.6. */
export function requestedLabVersion(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): { version: LabVersion; from: 'flag' | 'env' | 'default' } {
  if (flag !== undefined) return { version: parseLabVersion(flag), from: 'flag' };
  const e = env[LAB_VERSION_ENV];
  if (e) return { version: parseLabVersion(e, `$${LAB_VERSION_ENV}`), from: 'env' };
  return { version: DEFAULT_LAB_VERSION, from: 'default' };
}

/** Debian version order, enough for the versions in this table (epoch, upstream, revision; ~ sorts first). */
export function compareDebianVersions(a: string, b: string): number {
  const split = (v: string) => {
    const epochM = /^(\d+):/.exec(v);
    const rest = epochM ? v.slice(epochM[0].length) : v;
    const dash = rest.lastIndexOf('-');
    return { epoch: epochM ? Number(epochM[1]) : 0, upstream: dash < 0 ? rest : rest.slice(0, dash), revision: dash < 0 ? '0' : rest.slice(dash + 1) };
  };
  const order = (c: string | undefined) => (c === undefined ? 0 : c === '~' ? -1 : /[A-Za-z]/.test(c) ? c.charCodeAt(0) : c.charCodeAt(0) + 256);
  // dpkg's comparison: alternate runs of non-digits (by `order`) and digits (as numbers)
  const nonDigit = (x: string, i: number): string | undefined => (i < x.length && !/\d/.test(x[i]) ? x[i] : undefined);
  const digits = (x: string, i: number): string => /^\d*/.exec(x.slice(i))![0];
  const part = (x: string, y: string): number => {
    let i = 0;
    let j = 0;
    while (i < x.length || j < y.length) {
      for (let cx = nonDigit(x, i), cy = nonDigit(y, j); cx !== undefined || cy !== undefined; cx = nonDigit(x, i), cy = nonDigit(y, j)) {
        const d = order(cx) - order(cy);
        if (d !== 0) return d;
        if (cx !== undefined) i++;
        if (cy !== undefined) j++;
      }
      const nx = digits(x, i);
      const ny = digits(y, j);
      i += nx.length;
      j += ny.length;
      const d = Number(nx || '0') - Number(ny || '0');
      if (d !== 0) return d;
    }
    return 0;
  };
  const A = split(a);
  const B = split(b);
  return A.epoch - B.epoch || part(A.upstream, B.upstream) || part(A.revision, B.revision);
}
