// Which containerd versions an e2e file runs on. One `npm test` runs the matrix:
//  - 'suite': the whole suite, on 1.6 (Debian 12's) and 2.1 (sid's);
//  - 'version-dependent': the parts that differ by version (lab and faults, discovery, config,
//    log rules, dead-shim, orphan, shims), on 1.6, 1.7 and 2.1;
//  - the seed build only for the real containerd#6772 deadlock.
// CTRDOC_TEST_CONTAINERD=1.6,2.1 narrows any of them for a local run (CTRDOC_TEST_CONTAINERD=1.6
// runs the suite the way it ran before the matrix).
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { LAB_VERSIONS, type LabVersion } from '../../src/lab/containerd/versions.ts';

export type { LabVersion };
export const TEST_VERSIONS_ENV = 'CTRDOC_TEST_CONTAINERD';

export const MATRIX = {
  suite: ['1.6', '2.1'],
  'version-dependent': ['1.6', '1.7', '2.1'],
  seed: ['seed'],
} as const satisfies Record<string, readonly LabVersion[]>;

/** The versions $CTRDOC_TEST_CONTAINERD allows (all when unset); a name it does not know is an error. */
export function allowedVersions(env: NodeJS.ProcessEnv = process.env): readonly LabVersion[] {
  const text = env[TEST_VERSIONS_ENV]?.trim();
  if (!text) return LAB_VERSIONS;
  const asked = text.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = asked.filter((v) => !(LAB_VERSIONS as readonly string[]).includes(v));
  if (bad.length) throw new Error(`${TEST_VERSIONS_ENV}=${text}: unknown version ${bad.join(', ')} (use ${LAB_VERSIONS.join(', ')})`);
  return asked as LabVersion[];
}

/** The versions a test file (or one describe) runs on: its part of the matrix, narrowed by the env. */
export function testVersions(part: keyof typeof MATRIX | readonly LabVersion[]): LabVersion[] {
  const wanted: readonly LabVersion[] = typeof part === 'string' ? MATRIX[part] : part;
  const allowed = allowedVersions();
  return wanted.filter((v) => allowed.includes(v));
}

/**
 * This checkout's tag: two checkouts running their suites at once on one machine (a shared CI
 * host, several worktrees) must not share a lab dir, or one's `lab up` takes down the other's lab.
 */
const CHECKOUT = createHash('sha256').update(join(import.meta.dirname, '..', '..')).digest('hex').slice(0, 6);

/** A lab dir per version and checkout: `/tmp/ctrdoc-e2e-doc` → `/tmp/ctrdoc-e2e-doc-21-3f9a0c`. */
export function versionDir(base: string, v: LabVersion): string {
  return `${base}-${v.replace(/\./g, '')}-${CHECKOUT}`;
}

/**
 * A difference between versions that ctrdoc's own rules or probes do not handle yet, written
 * down in testdata/captures/VERSIONS.md: the test runs and reports as `todo` on those versions
 * (node:test prints the reason), and as a plain test elsewhere.
 */
export interface KnownDifference {
  /** the heading in testdata/captures/VERSIONS.md */
  id: string;
  versions: readonly LabVersion[];
  what: string;
}

export const KNOWN_DIFFERENCES = {
  // none now: VERSIONS.md#shimstats-timeout-1.6-only is judged right (the test expects it on 1.6
  // and the seed only)
} satisfies Record<string, KnownDifference>;

/**
 * `{ todo: reasons }` when v has any of the differences, `{}` otherwise: a test's options. The
 * test still runs and prints its result; node:test reports it as todo with the reasons.
 */
export function knownDifference(v: LabVersion, ...ds: KnownDifference[]): { todo?: string } {
  const hit = ds.filter((d) => d.versions.includes(v));
  if (hit.length === 0) return {};
  return { todo: `containerd ${v}: ${hit.map((d) => `${d.what} (testdata/captures/VERSIONS.md#${d.id})`).join('; ')}` };
}

/** Runs fn (which declares a describe) once per version of the part: the e2e files' one-line wrapper. */
export function forVersions(part: keyof typeof MATRIX | readonly LabVersion[], fn: (v: LabVersion) => void): void {
  for (const v of testVersions(part)) fn(v);
}
