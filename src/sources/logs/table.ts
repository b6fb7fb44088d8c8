// Log pattern tables (rules/*-log.json) as data, node-problem-detector style: each entry is one
// message worth knowing, with the layer, severity, explanation, next step and issue links the
// finding will carry. This module checks a table and compiles its regular expressions.
import { CtrdocError } from '../../errors.ts';
import { LAYERS, SEVERITY_ORDER, type Layer, type RuleText, type Severity } from '../../snapshot/types/index.ts';

/** One entry as written in rules/*-log.json; its id is prefixed by its table (CONTAINERD_LOG_, KUBELET_LOG_, KERNEL_). */
export interface LogPatternEntry extends RuleText {
  /** a JavaScript regular expression source; named groups become captures */
  pattern: string;
  /** regular expression flags, e.g. "i" (default none) */
  flags?: string;
  /** the named groups to keep as captures (default: every named group) */
  captures?: string[];
}

/**
 * How a pattern's lines are judged by the lines around them (a shim that disconnects right after
 * its task's exit could not be read died; one that disconnects after a Stop did not). Each line
 * names an id (the capture `by`); a marker is another line naming the same id within `withinMs`
 * before, after or around it, which the table says is `normal` or `abnormal`. An id with an
 * abnormal marker is abnormal, else one with a normal marker is normal, else `otherwise`.
 */
export interface Correlate {
  /** the capture of the pattern (and of every marker) that holds the id */
  by: string;
  withinMs: number;
  markers: CorrelateMarker[];
  /** what an id with no marker is, and why */
  otherwise: MarkerMeaning;
  otherwiseWhy: string;
}

export type MarkerMeaning = 'normal' | 'abnormal';

export interface CorrelateMarker {
  /** camelCase, unique in its entry */
  name: string;
  pattern: string;
  flags?: string;
  means: MarkerMeaning;
  /** where the marker line may sit relative to the pattern's line (default around) */
  when?: 'before' | 'after' | 'around';
  /** what the marker line says happened */
  why: string;
  /** a real line that is this marker (and names an id), and a near-miss that is not */
  samples: { hit: string[]; miss: string[] };
}

export interface CompiledMarker extends CorrelateMarker {
  regex: RegExp;
  when: 'before' | 'after' | 'around';
}

export interface CompiledLogPattern extends LogPatternEntry {
  regex: RegExp;
  /** the named groups recorded for this pattern */
  captureNames: string[];
  correlate?: Omit<Correlate, 'markers'> & { markers: CompiledMarker[] };
}

export interface LogTable {
  /** the file it came from, for messages: "rules/containerd-log.json" */
  name: string;
  patterns: CompiledLogPattern[];
}

const ID = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$/;
// variables, variants and samples are the entry's text half, checked by src/rules/table.ts
const FIELDS = ['id', 'pattern', 'flags', 'layer', 'severity', 'title', 'explanation', 'nextStep', 'references', 'captures', 'variables', 'variants', 'samples', 'correlate'];
const CORRELATE_FIELDS = ['by', 'withinMs', 'markers', 'otherwise', 'otherwiseWhy'];
const MARKER_FIELDS = ['name', 'pattern', 'flags', 'means', 'when', 'why', 'samples'];
const MEANINGS: MarkerMeaning[] = ['normal', 'abnormal'];
const WHEN = ['before', 'after', 'around'];
/** a correlation reaches at most a day around a line */
const MAX_WITHIN_MS = 24 * 3_600_000;

function bad(name: string, message: string): CtrdocError {
  return new CtrdocError('bad-input', `${name}: ${message}`, `fix the entry in ${name}`);
}

const isText = (v: unknown): v is string => typeof v === 'string' && v.trim().length > 0;

function compileRegex(name: string, where: string, source: unknown, flags: unknown): RegExp {
  if (!isText(source)) throw bad(name, `${where}: "pattern" must be non-empty text`);
  if (flags !== undefined && (typeof flags !== 'string' || !/^[imsu]*$/.test(flags))) throw bad(name, `${where}: flags may only hold i, m, s, u`);
  let regex: RegExp;
  try {
    regex = new RegExp(source, (flags as string | undefined) ?? '');
  } catch (err) {
    throw bad(name, `${where}: invalid regular expression: ${(err as Error).message}`);
  }
  if (regex.test('')) throw bad(name, `${where}: the pattern matches the empty line`);
  return regex;
}

/** A marker's samples: {"hit": [lines], "miss": [lines]}, each a non-empty list of text. */
function checkSamples(name: string, mw: string, raw: unknown): void {
  const smp = raw as Record<string, unknown> | undefined;
  if (!smp || typeof smp !== 'object' || Object.keys(smp).some((k) => k !== 'hit' && k !== 'miss')) throw bad(name, `${mw}: "samples" must be {"hit": [...], "miss": [...]}`);
  for (const k of ['hit', 'miss']) {
    if (!Array.isArray(smp[k]) || !(smp[k] as unknown[]).length || (smp[k] as unknown[]).some((x) => !isText(x))) throw bad(name, `${mw}: samples.${k} needs at least one line`);
  }
}

/** One entry of a correlate block's markers, checked and compiled; its name must be new in `seen`. */
function compileMarker(name: string, at: string, m: unknown, i: number, by: string, seen: Set<string>): CompiledMarker {
  if (!m || typeof m !== 'object' || Array.isArray(m)) throw bad(name, `${at}: marker ${i} is not an object`);
  const e = m as Record<string, unknown>;
  const mname = typeof e.name === 'string' && /^[a-z][A-Za-z0-9]*$/.test(e.name) ? e.name : '';
  const mw = `${at}: marker ${mname ? `"${mname}"` : i}`;
  if (!mname) throw bad(name, `${mw}: "name" must be a camelCase name`);
  if (seen.has(mname)) throw bad(name, `${mw}: duplicate name`);
  seen.add(mname);
  for (const k of Object.keys(e)) if (!MARKER_FIELDS.includes(k)) throw bad(name, `${mw}: unknown field "${k}"`);
  const regex = compileRegex(name, mw, e.pattern, e.flags);
  if (!namedGroups(e.pattern as string).includes(by)) throw bad(name, `${mw}: the pattern must capture the id as (?<${by}>...)`);
  if (!MEANINGS.includes(e.means as MarkerMeaning)) throw bad(name, `${mw}: "means" must be normal or abnormal`);
  if (e.when !== undefined && !WHEN.includes(e.when as string)) throw bad(name, `${mw}: "when" must be before, after or around`);
  if (!isText(e.why)) throw bad(name, `${mw}: "why" must say what the marker line shows`);
  checkSamples(name, mw, e.samples);
  return { ...(e as unknown as CorrelateMarker), regex, when: (e.when as CompiledMarker['when'] | undefined) ?? 'around' };
}

/** Checks and compiles an entry's "correlate" block (see Correlate). */
function compileCorrelate(name: string, where: string, raw: unknown, captureNames: string[]): CompiledLogPattern['correlate'] {
  const at = `${where}: correlate`;
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw bad(name, `${at} must be an object {by, withinMs, markers, otherwise, otherwiseWhy}`);
  const c = raw as Record<string, unknown>;
  for (const k of Object.keys(c)) if (!CORRELATE_FIELDS.includes(k)) throw bad(name, `${at}: unknown field "${k}"`);
  if (typeof c.by !== 'string' || !captureNames.includes(c.by)) throw bad(name, `${at}: "by" must name one of the pattern's captures (${captureNames.join(', ') || 'it has none'})`);
  if (typeof c.withinMs !== 'number' || !Number.isFinite(c.withinMs) || c.withinMs <= 0 || c.withinMs > MAX_WITHIN_MS) throw bad(name, `${at}: "withinMs" must be a number of milliseconds, more than 0 and at most a day`);
  if (!MEANINGS.includes(c.otherwise as MarkerMeaning)) throw bad(name, `${at}: "otherwise" must be normal or abnormal`);
  if (!isText(c.otherwiseWhy)) throw bad(name, `${at}: "otherwiseWhy" must say why an id with no marker is ${String(c.otherwise)}`);
  if (!Array.isArray(c.markers) || !c.markers.length) throw bad(name, `${at}: "markers" must be a non-empty list`);
  const seen = new Set<string>();
  const markers = c.markers.map((m: unknown, i: number) => compileMarker(name, at, m, i, c.by as string, seen));
  return { by: c.by, withinMs: c.withinMs, otherwise: c.otherwise as MarkerMeaning, otherwiseWhy: c.otherwiseWhy, markers };
}

function namedGroups(source: string): string[] {
  const names: string[] = [];
  for (const m of source.matchAll(/\(\?<([A-Za-z_][A-Za-z0-9_]*)>/g)) names.push(m[1]);
  return names;
}

/** The entry's fields: known names, text where text is needed, a layer, a severity, https links, regex flags. */
function checkFields(entry: Record<string, unknown>, name: string, where: string): void {
  for (const k of Object.keys(entry)) if (!FIELDS.includes(k)) throw bad(name, `${where}: unknown field "${k}"`);
  for (const k of ['pattern', 'title', 'explanation', 'nextStep'] as const) {
    if (typeof entry[k] !== 'string' || !(entry[k] as string).trim()) throw bad(name, `${where}: "${k}" must be non-empty text`);
  }
  if (!LAYERS.includes(entry.layer as Layer)) throw bad(name, `${where}: layer must be one of ${LAYERS.join(', ')}`);
  if (!SEVERITY_ORDER.includes(entry.severity as Severity)) throw bad(name, `${where}: severity must be one of ${SEVERITY_ORDER.join(', ')}`);
  if (!Array.isArray(entry.references) || entry.references.some((r) => typeof r !== 'string' || !/^https:\/\//.test(r))) {
    throw bad(name, `${where}: references must be a list of https links`);
  }
  if (entry.flags !== undefined && (typeof entry.flags !== 'string' || !/^[imsu]*$/.test(entry.flags))) {
    throw bad(name, `${where}: flags may only hold i, m, s, u`);
  }
}

/** The entry's pattern compiled (never one that matches the empty line) and the groups it captures. */
function compilePattern(entry: Record<string, unknown>, name: string, where: string): { regex: RegExp; captureNames: string[] } {
  const regex = compileRegex(name, where, entry.pattern, entry.flags);
  const groups = namedGroups(entry.pattern as string);
  if (entry.captures === undefined) return { regex, captureNames: groups };
  if (!Array.isArray(entry.captures) || entry.captures.some((c) => typeof c !== 'string')) throw bad(name, `${where}: captures must be a list of group names`);
  const missing = (entry.captures as string[]).filter((c) => !groups.includes(c));
  if (missing.length) throw bad(name, `${where}: captures name groups the pattern lacks: ${missing.join(', ')}`);
  return { regex, captureNames: entry.captures as string[] };
}

/**
 * Checks a parsed table (`{"rules": [entry, ...]}`) and compiles its patterns; every problem
 * names the file and the entry's id.
 */
export function compileLogTable(file: unknown, name: string): LogTable {
  const raw = file && typeof file === 'object' ? (file as { rules?: unknown }).rules : undefined;
  if (!Array.isArray(raw)) throw bad(name, 'a log pattern table must be a JSON object {"rules": [entries]}');
  const seen = new Set<string>();
  const patterns: CompiledLogPattern[] = [];
  raw.forEach((e: unknown, i) => {
    if (!e || typeof e !== 'object' || Array.isArray(e)) throw bad(name, `entry ${i} is not an object`);
    const entry = e as Record<string, unknown>;
    const id = typeof entry.id === 'string' ? entry.id : '';
    const where = id ? `pattern "${id}"` : `entry ${i}`;
    if (!ID.test(id)) throw bad(name, `${where}: id must be UPPER_SNAKE text`);
    if (seen.has(id)) throw bad(name, `${where}: duplicate id`);
    seen.add(id);
    checkFields(entry, name, where);
    const compiled = compilePattern(entry, name, where);
    const correlate = entry.correlate === undefined ? undefined : compileCorrelate(name, where, entry.correlate, compiled.captureNames);
    patterns.push({ ...(entry as unknown as LogPatternEntry), ...compiled, ...(correlate ? { correlate } : {}) });
  });
  return { name, patterns };
}
