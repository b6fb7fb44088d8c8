// Which containerd versions an e2e file runs on. One `npm test` runs the matrix:
//  - 'suite': the whole suite, on 1.6 (Debian 12's) and 2.1 (sid's);
//  - 'version-dependent': the parts that differ by version (lab and faults, discovery, config,
//    log rules, dead-shim, orphan, shims), on 1.6, 1.7 and 2.1;
//  - the seed build only for the real containerd#6772 deadlock.
// CTRDOC_TEST_CONTAINERD=1.6,2.1 narrows any of them for a local run (CTRDOC_TEST_CONTAINERD=1.6
// runs the suite the way it ran before the matrix).
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

/** A lab dir per version: `/tmp/ctrdoc-e2e-doc` → `/tmp/ctrdoc-e2e-doc-2.1` (1.6 keeps the bare name). */
export function versionDir(base: string, v: LabVersion): string {
  return v === '1.6' ? base : `${base}-${v.replace(/\./g, '')}`;
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
} satisfies Record<string, KnownDifference>;

/** `{ todo: reason }` when v has the difference, `{}` otherwise: spread into a test's options. */
export function knownDifference(d: KnownDifference, v: LabVersion): { todo?: string } {
  return d.versions.includes(v) ? { todo: `containerd ${v}: ${d.what} (testdata/captures/VERSIONS.md#${d.id})` } : {};
}

/** Runs fn (which declares a describe) once per version of the part: the e2e files' one-line wrapper. */
export function forVersions(part: keyof typeof MATRIX | readonly LabVersion[], fn: (v: LabVersion) => void): void {
  for (const v of testVersions(part)) fn(v);
}
