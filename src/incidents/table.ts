// The causes table (rules/incidents.json): root causes, the findings that prove them and the
// findings they explain, as data. Checked when it loads, the way node-problem-detector validates
// its configs: every rule id, goroutine signature, join and template variable must exist, so a
// renamed rule cannot silently drop a causal link.
import causesFile from '../../rules/incidents.json' with { type: 'json' };
import { CtrdocError } from '../errors.ts';
import { LAYERS, type Layer } from '../snapshot/types/index.ts';
import { CATALOGUE, placeholdersIn } from '../rules/template.ts';

/** How a linked finding relates to the finding it is linked from. */
export type Join = 'node' | 'anyPod' | 'pod' | 'container' | 'pid' | 'mentions';
export const JOINS: Join[] = ['node', 'anyPod', 'pod', 'container', 'pid', 'mentions'];

export type Certainty = 'proven' | 'likely';

export interface FindingMatcher {
  rule: string;
  /** the goroutine finding id a CONTAINERD_GOROUTINES finding carries (containerd-6772-victim, lock-cycle, ...) */
  signature?: string;
  /** a regular expression over the finding's summary and evidence */
  text?: string;
  /** for links: how the finding relates to the one it is linked from (default node); for match: node or anyPod */
  join?: Join;
}

export interface CauseSpec {
  id: string;
  layer: Layer;
  certainty: Certainty;
  /** what is wrong: the cause, not the symptom */
  title: string;
  /** the cause in at most 60 characters, at most 80 with the id: the NPD line (`ID: short`) and the Prometheus `cause` label */
  short: string;
  /** findings that are this cause */
  match: FindingMatcher[];
  /** findings that support it (taken as evidence, never as a root) */
  evidence?: FindingMatcher[];
  /** findings it explains (consequences) */
  explains?: FindingMatcher[];
  /** the one next step; without it, the first root finding's own */
  nextStep?: string;
  /** the fix, once the node is out of trouble */
  fix?: string;
  references: string[];
}

export interface CompiledMatcher extends FindingMatcher {
  join: Join;
  regex?: RegExp;
}

export interface CompiledCause extends Omit<CauseSpec, 'match' | 'evidence' | 'explains'> {
  match: CompiledMatcher[];
  evidence: CompiledMatcher[];
  explains: CompiledMatcher[];
}

/** A cause's nextStep and fix name variables of rules/variables.json (the rules' one catalogue):
 * the stack's, and those of the incident's first root finding (its pid, container id, ...). */

const ID = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$/;
export const SHORT_MAX = 60;
export const NPD_MAX = 80;
const CAUSE_FIELDS = ['id', 'layer', 'certainty', 'title', 'short', 'match', 'evidence', 'explains', 'nextStep', 'fix', 'references'];
const MATCHER_FIELDS = ['rule', 'signature', 'text', 'join'];

function bad(name: string, message: string): CtrdocError {
  return new CtrdocError('bad-input', `${name}: ${message}`, `fix the entry in ${name}`);
}

export interface TableContext {
  /** every rule id ctrdoc ships */
  ruleIds: ReadonlySet<string>;
  /** every goroutine finding id the analyser can give */
  signatures: ReadonlySet<string>;
}

/** A matcher's text: a regular expression that compiles. */
function textRegex(text: unknown, where: string, name: string): RegExp {
  if (typeof text !== 'string' || !text) throw bad(name, `${where}: text must be a regular expression`);
  try {
    return new RegExp(text);
  } catch (err) {
    throw bad(name, `${where}: text does not compile: ${(err as Error).message}`);
  }
}

function compileMatcher(m: unknown, where: string, name: string, ctx: TableContext, inMatch: boolean): CompiledMatcher {
  if (!m || typeof m !== 'object' || Array.isArray(m)) throw bad(name, `${where}: a matcher must be an object {"rule": ...}`);
  const o = m as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!MATCHER_FIELDS.includes(k)) throw bad(name, `${where}: unknown field "${k}"`);
  if (typeof o.rule !== 'string' || !ctx.ruleIds.has(o.rule)) throw bad(name, `${where}: no rule "${String(o.rule)}"`);
  if (o.signature !== undefined) {
    if (o.rule !== 'CONTAINERD_GOROUTINES') throw bad(name, `${where}: signature is only for CONTAINERD_GOROUTINES`);
    if (typeof o.signature !== 'string' || !ctx.signatures.has(o.signature)) throw bad(name, `${where}: no goroutine signature "${String(o.signature)}"`);
  }
  const join = (o.join ?? 'node') as Join;
  if (!JOINS.includes(join)) throw bad(name, `${where}: join "${String(o.join)}" is not one of ${JOINS.join(', ')}`);
  if (inMatch && join !== 'node' && join !== 'anyPod') throw bad(name, `${where}: a match can only say join node or anyPod`);
  const regex = o.text === undefined ? undefined : textRegex(o.text, where, name);
  return { rule: o.rule, ...(o.signature ? { signature: o.signature as string } : {}), ...(o.text ? { text: o.text as string } : {}), join, regex };
}

function checkTemplate(text: unknown, where: string, name: string): void {
  if (text === undefined) return;
  if (typeof text !== 'string' || !text.trim()) throw bad(name, `${where} must be text`);
  for (const v of placeholdersIn(text)) {
    if (!CATALOGUE[v]) throw bad(name, `${where} names {${v}}, which rules/variables.json does not declare`);
  }
}

/** A cause's fields: known names, a layer, a certainty, its title and short text (the NPD line's length), lists, templates, https links. */
function checkCauseFields(c: Record<string, unknown>, id: string, where: string, name: string): asserts c is Record<string, unknown> & { title: string; short: string; certainty: 'proven' | 'likely' } {
  for (const k of Object.keys(c)) if (!CAUSE_FIELDS.includes(k)) throw bad(name, `${where}: unknown field "${k}"`);
  if (!LAYERS.includes(c.layer as Layer)) throw bad(name, `${where}: layer must be one of ${LAYERS.join(', ')}`);
  if (c.certainty !== 'proven' && c.certainty !== 'likely') throw bad(name, `${where}: certainty must be proven or likely`);
  if (typeof c.title !== 'string' || !c.title.trim()) throw bad(name, `${where}: title must be text`);
  if (typeof c.short !== 'string' || !c.short.trim() || c.short.length > SHORT_MAX) throw bad(name, `${where}: short must be text of at most ${SHORT_MAX} characters`);
  // the NPD line says "ID: short" in node-problem-detector's 80 characters
  if (id.length + 2 + c.short.length > NPD_MAX) throw bad(name, `${where}: "${id}: ${c.short}" is over ${NPD_MAX} characters (the NPD line)`);
  if (!Array.isArray(c.match) || !c.match.length) throw bad(name, `${where}: match must name at least one rule`);
  for (const k of ['evidence', 'explains'] as const) if (c[k] !== undefined && !Array.isArray(c[k])) throw bad(name, `${where}: ${k} must be a list`);
  checkTemplate(c.nextStep, `${where}: nextStep`, name);
  checkTemplate(c.fix, `${where}: fix`, name);
  if (!Array.isArray(c.references) || c.references.some((r) => typeof r !== 'string' || !/^https:\/\//.test(r))) throw bad(name, `${where}: references must be a list of https links`);
}

/** Checks a parsed causes file and compiles its matchers; every problem names the cause. */
export function compileCauseTable(file: unknown, name: string, ctx: TableContext): CompiledCause[] {
  const raw = file && typeof file === 'object' ? (file as { causes?: unknown }).causes : undefined;
  if (!Array.isArray(raw)) throw bad(name, 'a causes table must be a JSON object {"causes": [entries]}');
  const seen = new Set<string>();
  return raw.map((e: unknown, i): CompiledCause => {
    if (!e || typeof e !== 'object' || Array.isArray(e)) throw bad(name, `entry ${i} is not an object`);
    const c = e as Record<string, unknown>;
    const id = typeof c.id === 'string' ? c.id : '';
    const where = id ? `cause "${id}"` : `entry ${i}`;
    if (!ID.test(id)) throw bad(name, `${where}: id must be UPPER_SNAKE text`);
    if (seen.has(id) || ctx.ruleIds.has(id)) throw bad(name, `${where}: duplicate id (or the id of a rule)`);
    seen.add(id);
    checkCauseFields(c, id, where, name);
    const list = (k: 'match' | 'evidence' | 'explains') => ((c[k] as unknown[] | undefined) ?? []).map((m, j) => compileMatcher(m, `${where} ${k}[${j}]`, name, ctx, k === 'match'));
    return {
      id,
      layer: c.layer as Layer,
      certainty: c.certainty,
      title: c.title,
      short: c.short,
      match: list('match'),
      evidence: list('evidence'),
      explains: list('explains'),
      ...(typeof c.nextStep === 'string' ? { nextStep: c.nextStep } : {}),
      ...(typeof c.fix === 'string' ? { fix: c.fix } : {}),
      references: c.references as string[],
    };
  });
}

/** The shipped table, as written (checked against the rules by loadCauses). */
export const shippedCauses: unknown = causesFile;
export const CAUSES_FILE = 'rules/incidents.json';
