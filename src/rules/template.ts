// The one template filler for rule text. A rule's explanation and next step may use {name}
// placeholders; the names come from rules/variables.json, each rule declares the ones it uses,
// and a placeholder without a value is an error, never text shown to a user.
import catalogueFile from '../../rules/variables.json' with { type: 'json' };
import { CtrdocError } from '../errors.ts';

export interface VariableSpec {
  /** stack: filled from where the stack lives (stack-variables.ts); hit: given by the finding */
  from: 'stack' | 'hit';
  about: string;
  /** the text used when the value is not known (may itself use variables) */
  whenUnknown?: string;
  /** the first of these texts whose variables are all known */
  firstKnown?: string[];
}

export type VariableCatalogue = Record<string, VariableSpec>;
export type VariableValues = Record<string, string | number | undefined>;

// {name}; a shell ${NAME} is not one
const PLACEHOLDER = /(?<!\$)\{([A-Za-z][A-Za-z0-9]*)\}/g;
const CATALOGUE_FILE = 'rules/variables.json';

/** The names a text uses, in order of first use. */
export function placeholdersIn(text: string): string[] {
  return [...new Set([...text.matchAll(PLACEHOLDER)].map((m) => m[1]))];
}

/** A value that is missing: the rule's text cannot be said for this hit. */
export class UnfilledVariable extends Error {
  constructor(readonly variable: string) {
    super(`{${variable}} has no value`);
  }
}

function badCatalogue(message: string): CtrdocError {
  return new CtrdocError('bad-input', `${CATALOGUE_FILE}: ${message}`, `fix ${CATALOGUE_FILE}`);
}

function checkCatalogueEntry(name: string, raw: unknown, names: Set<string>): VariableSpec {
  const where = `variable "${name}"`;
  if (!/^[A-Za-z][A-Za-z0-9]*$/.test(name)) throw badCatalogue(`${where}: a name is letters and digits`);
  if (!raw || typeof raw !== 'object') throw badCatalogue(`${where}: not an object`);
  const v = raw as Record<string, unknown>;
  for (const k of Object.keys(v)) if (!['from', 'about', 'whenUnknown', 'firstKnown'].includes(k)) throw badCatalogue(`${where}: unknown field "${k}"`);
  if (v.from !== 'stack' && v.from !== 'hit') throw badCatalogue(`${where}: field "from" must be "stack" or "hit"`);
  if (typeof v.about !== 'string' || !v.about.trim()) throw badCatalogue(`${where}: field "about" must say what it holds`);
  if (v.firstKnown !== undefined && (!Array.isArray(v.firstKnown) || !v.firstKnown.length)) throw badCatalogue(`${where}: firstKnown is a list of texts`);
  const texts = [...(v.whenUnknown !== undefined ? [v.whenUnknown] : []), ...((v.firstKnown as unknown[] | undefined) ?? [])];
  for (const t of texts) {
    if (typeof t !== 'string') throw badCatalogue(`${where}: whenUnknown and firstKnown hold text`);
    const unknown = placeholdersIn(t).filter((p) => !names.has(p) || p === name);
    if (unknown.length) throw badCatalogue(`${where}: its fallback uses ${unknown.map((p) => `{${p}}`).join(', ')}, not another known variable`);
  }
  return v as unknown as VariableSpec;
}

/** The variable catalogue, checked once: names, sources, fallbacks that use known variables. */
export function loadCatalogue(file: unknown = catalogueFile): VariableCatalogue {
  const vars = (file as { variables?: unknown })?.variables;
  if (!vars || typeof vars !== 'object' || Array.isArray(vars)) throw badCatalogue('expected {"variables": {name: {...}}}');
  const names = new Set(Object.keys(vars));
  const out: VariableCatalogue = {};
  for (const [name, raw] of Object.entries(vars)) out[name] = checkCatalogueEntry(name, raw, names);
  return out;
}

export const CATALOGUE: VariableCatalogue = loadCatalogue();

const known = (v: string | number | undefined): v is string | number => v !== undefined && v !== '';

function resolve(name: string, values: VariableValues, catalogue: VariableCatalogue, depth: number): string {
  if (depth > 4) throw new UnfilledVariable(name);
  const v = values[name];
  if (known(v)) return String(v);
  const spec = catalogue[name];
  for (const alternative of spec?.firstKnown ?? []) {
    try {
      return fillWith(alternative, values, catalogue, depth + 1);
    } catch (err) {
      if (!(err instanceof UnfilledVariable)) throw err;
    }
  }
  if (spec?.whenUnknown !== undefined) return fillWith(spec.whenUnknown, values, catalogue, depth + 1);
  throw new UnfilledVariable(name);
}

function fillWith(text: string, values: VariableValues, catalogue: VariableCatalogue, depth: number): string {
  return text.replace(PLACEHOLDER, (_, name: string) => resolve(name, values, catalogue, depth));
}

/** Fills every {name} in text; throws UnfilledVariable for a name with no value and no fallback. */
export function fillTemplate(text: string, values: VariableValues, catalogue: VariableCatalogue = CATALOGUE): string {
  return fillWith(text, values, catalogue, 0);
}
