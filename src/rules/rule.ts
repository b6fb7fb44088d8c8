// A rule: its text and conditions from a table (rules/*.json, see table.ts) and a pure
// predicate over the Snapshot. Rules never do I/O, so they are tested on captured snapshots.
// The predicate says who and what (summary, subject, evidence) and gives the values of the
// variables the rule's text declares; the engine fills the text.
import type { Finding, FindingSubject, ProbeResult, RuleText, Severity, Snapshot } from '../snapshot/types/index.ts';
import { TableProblem, type RuleEntry, type RuleSamples, type VariantText } from './table.ts';
import { fillTemplate, UnfilledVariable, type VariableValues } from './template.ts';
import { stackVariables } from './stack-variables.ts';

export interface Hit {
  summary: string;
  subject?: FindingSubject;
  evidence: string[];
  /** overrides the rule's severity for this hit (e.g. worse when it lasts longer) */
  severity?: Severity;
  /** values of the variables the rule's text declares ({pid}, {containerId}, ...) */
  vars?: VariableValues;
  /** one of the rule's text variants: its own next step (and explanation) for this kind of hit */
  variant?: string;
  /** more references for this hit (e.g. a known signature's issue) */
  references?: string[];
}

export type Outcome =
  | { hits: Hit[] }
  /** the rule does not apply here (e.g. no kubelet on this machine) */
  | { skipped: string }
  /** the rule could not check: a probe it needs failed */
  | { error: string };

/** What a predicate reads besides the Snapshot: its table entry (params, id). */
export interface Rule extends RuleText {
  check(s: Snapshot, rule: Rule): Outcome;
  /** set for rules from a table (all shipped rules) */
  table?: string;
  variables?: string[];
  variants?: Record<string, VariantText>;
  samples?: RuleSamples;
  params?: Record<string, unknown>;
}

export type ParamKind = 'number' | 'pattern' | 'patterns';

/** The code half of a table rule: its predicate, and the params its entry must give. */
export interface RuleCode {
  id: string;
  params?: Record<string, ParamKind>;
  check(s: Snapshot, rule: Rule): Outcome;
}

/** Thrown by `need` inside a predicate: turned into an error or skipped finding by the engine. */
export class ProbeMissing extends Error {
  readonly status: 'error' | 'skipped';
  constructor(status: 'error' | 'skipped', message: string) {
    super(message);
    this.status = status;
  }
}

/**
 * The data of a probe a rule needs. A probe that failed makes the rule "could not check"
 * (error), one that was skipped makes it skipped: never a silent pass.
 */
export function need<T>(p: ProbeResult<T> | undefined, what: string): T {
  if (!p) throw new ProbeMissing('skipped', `${what} was not collected`);
  if (p.status === 'ok' && p.data !== undefined) return p.data;
  if (p.status === 'skipped') throw new ProbeMissing('skipped', `${what}: ${p.message ?? 'skipped'}`);
  throw new ProbeMissing('error', `could not check: ${what} ${p.status === 'timeout' ? 'timed out' : 'failed'}${p.message ? `: ${p.message}` : ''}`);
}

/** The data when the probe succeeded, else undefined (for evidence that is nice to have). */
export function maybe<T>(p: ProbeResult<T> | undefined): T | undefined {
  return p?.status === 'ok' ? p.data : undefined;
}

// --- params: thresholds and patterns from the table, checked when the rules are defined ---

const compiled = new Map<string, RegExp | RegExp[]>();
const paramKey = (rule: Pick<Rule, 'id'>, name: string) => `${rule.id}\u0000${name}`;

function compileParam(entry: RuleEntry, name: string, kind: ParamKind, value: unknown): void {
  const where = `rule ${entry.id}`;
  const problem = (m: string) => new TableProblem(entry.table, where, `field "params.${name}": ${m}`);
  if (kind === 'number') {
    if (typeof value !== 'number' || !Number.isFinite(value)) throw problem('must be a number');
    return;
  }
  const sources = kind === 'pattern' ? [value] : value;
  if (!Array.isArray(sources) || sources.some((x) => typeof x !== 'string' || !x)) throw problem(kind === 'pattern' ? 'must be a regular expression' : 'must be a list of regular expressions');
  try {
    const res = (sources as string[]).map((x) => new RegExp(x));
    compiled.set(paramKey(entry, name), kind === 'pattern' ? res[0] : res);
  } catch (err) {
    throw problem(`invalid regular expression: ${(err as Error).message}`);
  }
}

export function numberParam(rule: Rule, name: string): number {
  return rule.params?.[name] as number;
}

export function patternParam(rule: Rule, name: string): RegExp {
  return compiled.get(paramKey(rule, name)) as RegExp;
}

export function patternsParam(rule: Rule, name: string): RegExp[] {
  return compiled.get(paramKey(rule, name)) as RegExp[];
}

/**
 * Joins a table's entries with their predicates: every entry needs one and every predicate an
 * entry, and each entry gives exactly the params its predicate reads.
 */
export function defineRules(entries: RuleEntry[], codes: RuleCode[]): Rule[] {
  const byId = new Map(codes.map((c) => [c.id, c]));
  const file = entries[0]?.table ?? 'a rule table';
  for (const c of codes) if (!entries.some((e) => e.id === c.id)) throw new TableProblem(file, `rule ${c.id}`, 'has a predicate in src/rules but no entry in this table');
  return entries.map((e) => {
    const code = byId.get(e.id);
    if (!code) throw new TableProblem(e.table, `rule ${e.id}`, 'has no predicate in src/rules');
    const declared = code.params ?? {};
    for (const k of Object.keys(e.params)) if (!declared[k]) throw new TableProblem(e.table, `rule ${e.id}`, `field "params.${k}": its predicate reads no such param`);
    for (const [k, kind] of Object.entries(declared)) compileParam(e, k, kind, e.params[k]);
    return { ...e, check: code.check };
  });
}

// --- evaluation ---

/**
 * The rule's text for one hit: its variant's, else the rule's own, with the variables filled. A
 * text that cannot be filled is left out and said in the evidence: the finding itself stays
 * (the sample tests make sure no shipped rule gets here).
 */
function textOf(r: Rule, h: Hit, stack: VariableValues): { explanation?: string; nextStep?: string; problems: string[] } {
  const variant = h.variant === undefined ? {} : r.variants?.[h.variant];
  if (!variant) throw new Error(`the hit asks for text variant "${h.variant}", which ${r.table ?? 'the table'} does not give`);
  const values = { ...stack, ...h.vars };
  const problems: string[] = [];
  const fill = (field: string, text: string): string | undefined => {
    try {
      return fillTemplate(text, values);
    } catch (err) {
      if (!(err instanceof UnfilledVariable)) throw err;
      problems.push(`ctrdoc could not write the ${field}${h.variant ? ` (${h.variant})` : ''} of ${r.id}: ${err.message} for this finding (a ctrdoc bug)`);
      return undefined;
    }
  };
  return { explanation: fill('explanation', variant.explanation ?? r.explanation), nextStep: fill('next step', variant.nextStep ?? r.nextStep), problems };
}

/** What the predicate says, with a throw turned into skipped or error (the tests read hits here). */
export function outcomeOf(r: Rule, s: Snapshot): Outcome {
  try {
    return r.check(s, r);
  } catch (err) {
    if (err instanceof ProbeMissing) return err.status === 'error' ? { error: err.message } : { skipped: err.message };
    return { error: `rule failed: ${(err as Error).message}` };
  }
}

/** One rule's findings: fail per hit, or one pass, skipped or error. */
export function findingsOf(r: Rule, s: Snapshot, stack: VariableValues = stackVariables(s)): Finding[] {
  const base = { rule: r.id, layer: r.layer, title: r.title };
  const outcome = outcomeOf(r, s);
  if ('skipped' in outcome) return [{ ...base, severity: 'info', status: 'skipped', summary: outcome.skipped, evidence: [] }];
  if ('error' in outcome) return [{ ...base, severity: r.severity, status: 'error', summary: outcome.error, evidence: [] }];
  if (!outcome.hits.length) return [{ ...base, severity: 'info', status: 'pass', summary: 'no problem found', evidence: [] }];
  try {
    return outcome.hits.map((h) => {
      const { explanation, nextStep, problems } = textOf(r, h, stack);
      return {
        ...base,
        severity: h.severity ?? r.severity,
        status: 'fail',
        summary: h.summary,
        subject: h.subject,
        evidence: [...h.evidence, ...problems],
        explanation,
        nextStep,
        references: [...r.references, ...(h.references ?? []).filter((x) => !r.references.includes(x))],
      };
    });
  } catch (err) {
    return [{ ...base, severity: r.severity, status: 'error', summary: `rule failed: ${(err as Error).message}`, evidence: [] }];
  }
}

export function evaluate(rules: Rule[], s: Snapshot): Finding[] {
  const stack = stackVariables(s);
  return rules.flatMap((r) => findingsOf(r, s, stack));
}
