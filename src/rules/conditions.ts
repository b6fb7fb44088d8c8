// Structured conditions for rule tables: a value test ({ op, value }) and a version range
// ({ introduced, fixed } or { introduced, lastAffected }, as OSV writes them). Tables hold them
// as data; this module checks their shape and says whether they hold.

export type Scalar = string | number | boolean;

export type Condition =
  /** a non-empty string, a non-empty list, true or a non-zero number */
  | { op: 'nonEmpty' }
  /** the value is one of these */
  | { op: 'oneOf'; value: Scalar[] }
  /** the value is a list holding at least one of these */
  | { op: 'contains'; value: Scalar[] };

export const CONDITION_OPS = ['nonEmpty', 'oneOf', 'contains'] as const;

/** Versions from `introduced` on, up to `fixed` (not included) or to `lastAffected` (included). */
export interface VersionRange {
  introduced: string;
  fixed?: string;
  lastAffected?: string;
}

export type Version = [number, number, number];

/** What is wrong with a condition's shape, or undefined when it is a condition. */
export function conditionProblem(c: unknown): string | undefined {
  if (!c || typeof c !== 'object' || Array.isArray(c)) return 'must be {"op": ..., "value": ...}';
  const o = c as Record<string, unknown>;
  for (const k of Object.keys(o)) if (k !== 'op' && k !== 'value') return `unknown key "${k}" (a condition has op and value)`;
  if (!CONDITION_OPS.includes(o.op as (typeof CONDITION_OPS)[number])) return `op must be one of ${CONDITION_OPS.join(', ')}`;
  if (o.op === 'nonEmpty') return o.value === undefined ? undefined : 'nonEmpty takes no value';
  if (!Array.isArray(o.value) || !o.value.length || o.value.some((x) => !['string', 'number', 'boolean'].includes(typeof x))) {
    return `${o.op as string} needs a non-empty list of strings, numbers or booleans as value`;
  }
  return undefined;
}

export function conditionHolds(c: Condition, value: unknown): boolean {
  switch (c.op) {
    case 'nonEmpty':
      return Array.isArray(value) ? value.length > 0 : typeof value === 'string' ? value.length > 0 : !!value;
    case 'oneOf':
      return c.value.some((x) => x === value);
    case 'contains':
      return Array.isArray(value) && value.some((v) => c.value.includes(v as Scalar));
  }
}

/** How a condition reads in evidence: `oneOf ["debug","trace"]`. */
export function conditionText(c: Condition): string {
  return c.op === 'nonEmpty' ? 'set' : `${c.op} ${JSON.stringify(c.value)}`;
}

/** "1.6.20~ds1" or "v1.7.3" → [1, 6, 20]; undefined when it does not start with a version. */
export function parseVersion(text: string): Version | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(text.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

export function compareVersions(a: Version, b: Version): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/** What is wrong with a version range's shape, or undefined when it is one. */
export function versionRangeProblem(r: unknown): string | undefined {
  if (!r || typeof r !== 'object' || Array.isArray(r)) return 'a range is {"introduced": "1.6.0", "fixed": "1.6.3"}';
  const o = r as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!['introduced', 'fixed', 'lastAffected'].includes(k)) return `unknown key "${k}" (a range has introduced and fixed or lastAffected)`;
  const versions = ['introduced', 'fixed', 'lastAffected'].filter((k) => o[k] !== undefined);
  for (const k of versions) if (typeof o[k] !== 'string' || !parseVersion(o[k] as string)) return `${k} must be a version such as "1.6.3"`;
  if (o.introduced === undefined) return 'introduced is missing';
  if (o.fixed !== undefined && o.lastAffected !== undefined) return 'give fixed or lastAffected, not both';
  const from = parseVersion(o.introduced as string)!;
  if (o.fixed !== undefined && compareVersions(parseVersion(o.fixed as string)!, from) <= 0) return 'fixed must come after introduced';
  if (o.lastAffected !== undefined && compareVersions(parseVersion(o.lastAffected as string)!, from) < 0) return 'lastAffected must not come before introduced';
  return undefined;
}

export function inRange(version: Version, r: VersionRange): boolean {
  if (compareVersions(version, parseVersion(r.introduced)!) < 0) return false;
  if (r.fixed) return compareVersions(version, parseVersion(r.fixed)!) < 0;
  if (r.lastAffected) return compareVersions(version, parseVersion(r.lastAffected)!) <= 0;
  return true;
}

/** The last affected version as a person reads it: fixed 1.6.3 → 1.6.2; fixed 1.7.0 → 1.6.x; fixed 2.0.0 → 1.x. */
function lastBefore(fixed: string): string {
  const [major, minor, patch] = parseVersion(fixed)!;
  if (patch > 0) return `${major}.${minor}.${patch - 1}`;
  if (minor > 0) return `${major}.${minor - 1}.x`;
  return `${major - 1}.x`;
}

/** "1.6.0-1.6.2" for a range a person reads. */
export function rangeText(r: VersionRange): string {
  if (r.fixed) return `${r.introduced}-${lastBefore(r.fixed)}`;
  if (r.lastAffected) return `${r.introduced}-${r.lastAffected}`;
  return `${r.introduced} and later`;
}
