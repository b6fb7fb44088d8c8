// The rule tables' schema, checked when a table loads (as node-problem-detector's Validate()
// does): every entry's id, layer, severity, text, declared variables, links, samples and
// conditions. A bad table is an error naming the file, the rule id and the field.
//
// Every entry (rules/*.json, under "rules"):
//   id, layer, severity, title, explanation, nextStep, references  what a finding says
//   variables   the {name}s its explanation and next step use (rules/variables.json)
//   variants    other texts for some hits: { "stopped": { "nextStep": "kill -CONT {pid}" } }
//   samples     { "hit": [...], "miss": [...] }: log lines, config values, versions, or the
//               names of cases the tests build (test/unit/rule-cases.ts)
//   params      thresholds and patterns its predicate reads (code rules)
// and, by table kind: fact (tree facts, config), when (config: a condition), affected and
// requires (version windows), pattern/flags/captures/correlate (log tables, compiled and checked by
// sources/logs/table.ts).
import { CtrdocError } from '../errors.ts';
import { LAYERS, SEVERITY_ORDER, type Layer, type RuleText, type Severity } from '../snapshot/types/index.ts';
import { conditionProblem, versionRangeProblem, type Condition, type VersionRange } from './conditions.ts';
import { CATALOGUE, placeholdersIn, type VariableCatalogue } from './template.ts';

export type TableKind = 'code' | 'tree-fact' | 'config' | 'version' | 'log';

export interface VariantText {
  nextStep?: string;
  explanation?: string;
}

export interface RuleSamples {
  hit: unknown[];
  miss: unknown[];
}

export interface RuleEntry extends RuleText {
  /** the file it came from: "rules/cri.json" */
  table: string;
  variables: string[];
  variants: Record<string, VariantText>;
  samples: RuleSamples;
  params: Record<string, unknown>;
}

export interface TreeFactEntry extends RuleEntry {
  fact: string;
}

export interface ConfigEntry extends RuleEntry {
  /** the ConfigFacts key it judges */
  fact: string;
  when: Condition;
}

export interface VersionEntry extends RuleEntry {
  affected: VersionRange[];
  /** the config fact that must also hold (the bug needs it) */
  requires?: { fact: string; when: Condition };
}

const COMMON = ['id', 'layer', 'severity', 'title', 'explanation', 'nextStep', 'references', 'variables', 'variants', 'samples'];
const FIELDS: Record<TableKind, string[]> = {
  code: [...COMMON, 'params'],
  'tree-fact': [...COMMON, 'fact'],
  config: [...COMMON, 'fact', 'when'],
  version: [...COMMON, 'affected', 'requires'],
  log: [...COMMON, 'pattern', 'flags', 'captures', 'correlate'],
};
const ID = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$/;

export class TableProblem extends CtrdocError {
  constructor(file: string, where: string, message: string) {
    super('bad-input', `${file}: ${where}: ${message}`, `fix ${file} (the rule tables ship with ctrdoc: this is a bug in the build)`);
  }
}

interface Ctx {
  file: string;
  where: string;
  catalogue: VariableCatalogue;
  /** names a log entry may use besides the catalogue's: its pattern's captures */
  extraNames: string[];
}

const fail = (c: Ctx, field: string, message: string): never => {
  throw new TableProblem(c.file, c.where, `field "${field}": ${message}`);
};

function isText(v: unknown): v is string {
  return typeof v === 'string' && v.trim().length > 0;
}

function isUrl(v: unknown): boolean {
  if (typeof v !== 'string' || !v.startsWith('https://')) return false;
  try {
    return !!new URL(v).host;
  } catch {
    return false;
  }
}

function checkTexts(c: Ctx, e: Record<string, unknown>): void {
  for (const k of ['title', 'explanation', 'nextStep'] as const) if (!isText(e[k])) fail(c, k, 'must be non-empty text');
  if (placeholdersIn(e.title as string).length) fail(c, 'title', 'a title says what the rule is: no {variables}');
  if (!LAYERS.includes(e.layer as Layer)) fail(c, 'layer', `must be one of ${LAYERS.join(', ')}`);
  if (!SEVERITY_ORDER.includes(e.severity as Severity)) fail(c, 'severity', `must be one of ${SEVERITY_ORDER.join(', ')}`);
  if (!Array.isArray(e.references)) fail(c, 'references', 'must be a list of https links');
  for (const r of e.references as unknown[]) if (!isUrl(r)) fail(c, 'references', `${JSON.stringify(r)} is not an https link`);
}

function checkVariants(c: Ctx, raw: unknown): Record<string, VariantText> {
  if (raw === undefined) return {};
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return fail(c, 'variants', 'must be {name: {"nextStep": ..., "explanation": ...}}');
  for (const [name, v] of Object.entries(raw)) {
    if (!/^[a-z][A-Za-z0-9]*$/.test(name)) fail(c, 'variants', `"${name}" is not a camelCase name`);
    if (!v || typeof v !== 'object' || Array.isArray(v) || !Object.keys(v).length) fail(c, `variants.${name}`, 'must hold a nextStep or an explanation');
    for (const [k, t] of Object.entries(v as object)) {
      if (k !== 'nextStep' && k !== 'explanation') fail(c, `variants.${name}`, `unknown field "${k}"`);
      if (!isText(t)) fail(c, `variants.${name}.${k}`, 'must be non-empty text');
    }
  }
  return raw as Record<string, VariantText>;
}

/** Every {name} in the texts is declared, every declared name is known and used. */
function checkVariables(c: Ctx, e: Record<string, unknown>, variants: Record<string, VariantText>): string[] {
  const declared = e.variables ?? [];
  if (!Array.isArray(declared) || declared.some((v) => typeof v !== 'string')) return fail(c, 'variables', 'must be a list of variable names');
  const names = declared as string[];
  for (const n of names) {
    if (!c.catalogue[n] && !c.extraNames.includes(n)) {
      fail(c, 'variables', `{${n}} is not in rules/variables.json${c.extraNames.length ? ` nor among the pattern's captures (${c.extraNames.join(', ')})` : ''}`);
    }
  }
  const texts: [string, string][] = [['explanation', e.explanation as string], ['nextStep', e.nextStep as string]];
  for (const [name, v] of Object.entries(variants)) for (const [k, t] of Object.entries(v)) texts.push([`variants.${name}.${k}`, t as string]);
  const used = new Set<string>();
  for (const [field, text] of texts) {
    for (const p of placeholdersIn(text)) {
      if (!names.includes(p)) fail(c, field, `uses {${p}}, which is not declared in "variables"`);
      used.add(p);
    }
  }
  for (const n of names) if (!used.has(n)) fail(c, 'variables', `declares {${n}} but no text uses it`);
  return names;
}

function checkSamples(c: Ctx, raw: unknown, kind: TableKind): RuleSamples {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return fail(c, 'samples', 'must be {"hit": [...], "miss": [...]}');
  const s = raw as Record<string, unknown>;
  for (const k of Object.keys(s)) if (k !== 'hit' && k !== 'miss') fail(c, 'samples', `unknown key "${k}"`);
  for (const k of ['hit', 'miss'] as const) {
    if (!Array.isArray(s[k]) || !(s[k] as unknown[]).length) fail(c, `samples.${k}`, 'needs at least one sample');
    // config samples are values of the fact; every other kind names a line, a version or a case
    if (kind !== 'config' && (s[k] as unknown[]).some((x) => !isText(x))) fail(c, `samples.${k}`, 'samples are non-empty text');
  }
  return s as unknown as RuleSamples;
}

function checkKindFields(c: Ctx, e: Record<string, unknown>, kind: TableKind, factKinds: readonly string[]): void {
  if (kind === 'tree-fact' && !factKinds.includes(e.fact as string)) fail(c, 'fact', `must be one of ${factKinds.join(', ')}`);
  if (kind === 'config') {
    if (!isText(e.fact)) fail(c, 'fact', 'must name a config fact');
    const p = conditionProblem(e.when);
    if (p) fail(c, 'when', p);
  }
  if (kind === 'version') {
    if (!Array.isArray(e.affected) || !e.affected.length) fail(c, 'affected', 'must be a list of version ranges');
    (e.affected as unknown[]).forEach((r, i) => {
      const p = versionRangeProblem(r);
      if (p) fail(c, `affected[${i}]`, p);
    });
    if (e.requires !== undefined) {
      const r = e.requires as Record<string, unknown>;
      if (!r || typeof r !== 'object' || !isText(r.fact)) fail(c, 'requires', 'must be {"fact": ..., "when": {"op": ...}}');
      const p = conditionProblem(r.when);
      if (p) fail(c, 'requires.when', p);
    }
  }
  if (kind === 'code' && e.params !== undefined && (!e.params || typeof e.params !== 'object' || Array.isArray(e.params))) fail(c, 'params', 'must be an object');
}

function checkEntry(c: Ctx, e: Record<string, unknown>, kind: TableKind, factKinds: readonly string[]): RuleEntry {
  for (const k of Object.keys(e)) if (!FIELDS[kind].includes(k)) fail(c, k, `unknown field (a ${kind} entry has ${FIELDS[kind].join(', ')})`);
  checkTexts(c, e);
  const variants = checkVariants(c, e.variants);
  const variables = checkVariables(c, e, variants);
  const samples = checkSamples(c, e.samples, kind);
  checkKindFields(c, e, kind, factKinds);
  return { ...(e as unknown as RuleText), table: c.file, variables, variants, samples, params: (e.params as Record<string, unknown>) ?? {} } as RuleEntry;
}

export interface TableOptions {
  /** tree-fact tables: the fact kinds the tree makes */
  factKinds?: readonly string[];
  /** log tables: each entry's capture names, by id */
  capturesOf?: (id: string) => string[];
  /** top-level keys besides "rules" and "comment" the file may hold (e.g. config's "drift") */
  otherKeys?: string[];
  catalogue?: VariableCatalogue;
}

/** Checks one table file (`{"rules": [entry, ...]}`) and returns its entries, typed by kind. */
export function readRuleTable<E extends RuleEntry = RuleEntry>(file: string, raw: unknown, kind: TableKind, opts: TableOptions = {}): E[] {
  const doc = raw && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : undefined;
  if (!doc || !Array.isArray(doc.rules)) throw new TableProblem(file, 'the file', 'a rule table is {"rules": [entries]}');
  for (const k of Object.keys(doc)) if (!['rules', 'comment', ...(opts.otherKeys ?? [])].includes(k)) throw new TableProblem(file, 'the file', `unknown top-level key "${k}"`);
  const seen = new Set<string>();
  return doc.rules.map((raw: unknown, i: number) => {
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new TableProblem(file, `entry ${i}`, 'not an object');
    const e = raw as Record<string, unknown>;
    const id = typeof e.id === 'string' ? e.id : '';
    const where = ID.test(id) ? `rule ${id}` : `entry ${i}`;
    if (!ID.test(id)) throw new TableProblem(file, where, 'field "id": must be UPPER_SNAKE text');
    if (seen.has(id)) throw new TableProblem(file, where, 'field "id": duplicate id');
    seen.add(id);
    const ctx: Ctx = { file, where, catalogue: opts.catalogue ?? CATALOGUE, extraNames: opts.capturesOf?.(id) ?? [] };
    return checkEntry(ctx, e, kind, opts.factKinds ?? []) as E;
  });
}
