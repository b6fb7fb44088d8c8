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

export interface CompiledLogPattern extends LogPatternEntry {
  regex: RegExp;
  /** the named groups recorded for this pattern */
  captureNames: string[];
}

export interface LogTable {
  /** the file it came from, for messages: "rules/containerd-log.json" */
  name: string;
  patterns: CompiledLogPattern[];
}

const ID = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$/;
// variables, variants and samples are the entry's text half, checked by src/rules/table.ts
const FIELDS = ['id', 'pattern', 'flags', 'layer', 'severity', 'title', 'explanation', 'nextStep', 'references', 'captures', 'variables', 'variants', 'samples'];

function bad(name: string, message: string): CtrdocError {
  return new CtrdocError('bad-input', `${name}: ${message}`, `fix the entry in ${name}`);
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
  let regex: RegExp;
  try {
    regex = new RegExp(entry.pattern as string, (entry.flags as string | undefined) ?? '');
  } catch (err) {
    throw bad(name, `${where}: invalid regular expression: ${(err as Error).message}`);
  }
  if (regex.test('')) throw bad(name, `${where}: the pattern matches the empty line`);
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
    patterns.push({ ...(entry as unknown as LogPatternEntry), ...compilePattern(entry, name, where) });
  });
  return { name, patterns };
}
