// A rule: what it is (id, layer, severity, title, explanation, next step, references) and a
// pure predicate over the Snapshot. Rules never do I/O, so they are tested on captured snapshots.
import type { Finding, FindingSubject, ProbeResult, RuleText, Severity, Snapshot } from '../snapshot/types/index.ts';

export interface Hit {
  summary: string;
  subject?: FindingSubject;
  evidence: string[];
  /** overrides the rule's severity for this hit (e.g. worse when it lasts longer) */
  severity?: Severity;
  /** a next step naming this hit's subject (a command with its id) */
  nextStep?: string;
  /** more references for this hit (e.g. a known signature's issue) */
  references?: string[];
}

export type Outcome =
  | { hits: Hit[] }
  /** the rule does not apply here (e.g. no kubelet on this machine) */
  | { skipped: string }
  /** the rule could not check: a probe it needs failed */
  | { error: string };

export interface Rule extends RuleText {
  check(s: Snapshot): Outcome;
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

export function evaluate(rules: Rule[], s: Snapshot): Finding[] {
  const findings: Finding[] = [];
  for (const r of rules) {
    const base = { rule: r.id, layer: r.layer, title: r.title };
    let outcome: Outcome;
    try {
      outcome = r.check(s);
    } catch (err) {
      if (err instanceof ProbeMissing) outcome = err.status === 'error' ? { error: err.message } : { skipped: err.message };
      else outcome = { error: `rule failed: ${(err as Error).message}` };
    }
    if ('skipped' in outcome) {
      findings.push({ ...base, severity: 'info', status: 'skipped', summary: outcome.skipped, evidence: [] });
    } else if ('error' in outcome) {
      findings.push({ ...base, severity: r.severity, status: 'error', summary: outcome.error, evidence: [] });
    } else if (!outcome.hits.length) {
      findings.push({ ...base, severity: 'info', status: 'pass', summary: 'no problem found', evidence: [] });
    } else {
      for (const h of outcome.hits) {
        findings.push({
          ...base,
          severity: h.severity ?? r.severity,
          status: 'fail',
          summary: h.summary,
          subject: h.subject,
          evidence: h.evidence,
          explanation: r.explanation,
          nextStep: h.nextStep ?? r.nextStep,
          references: [...r.references, ...(h.references ?? []).filter((x) => !r.references.includes(x))],
        });
      }
    }
  }
  return findings;
}
