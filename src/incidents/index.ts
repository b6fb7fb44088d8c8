// Incidents: the doctor's findings grouped by root cause (rules/incidents.json), each with the
// pods it affects, the evidence that proves it, the one next step and the fix. A floor between
// the rules and the renderers: pure functions of a Snapshot and its findings.
import type { Finding, Snapshot } from '../snapshot/types/index.ts';
import { allRules } from '../rules/index.ts';
import { GOROUTINE_SIGNATURES } from '../goroutines/signatures.ts';
import { CAUSES_FILE, compileCauseTable, shippedCauses, type CompiledCause } from './table.ts';
import { groupIncidents, type Incident } from './group.ts';
import { findingKeys } from './keys.ts';

/** Goroutine findings the analyser makes on its own, beside the signature table's. */
const ANALYSER_FINDING_IDS = ['lock-cycle', 'lock-contention', 'pile'];

let compiled: CompiledCause[] | undefined;

/** The shipped causes, checked against the shipped rules once, when first asked for. */
export function shippedCauseTable(): CompiledCause[] {
  compiled ??= compileCauseTable(shippedCauses, CAUSES_FILE, {
    ruleIds: new Set(allRules.map((r) => r.id)),
    signatures: new Set([...GOROUTINE_SIGNATURES.map((g) => g.id), ...ANALYSER_FINDING_IDS]),
  });
  return compiled;
}

export interface Diagnosis {
  /** one stable key per finding, in the findings' order */
  keys: string[];
  /** worst first; every failing finding is in exactly one */
  incidents: Incident[];
}

/**
 * Keys the findings and groups the failing ones into incidents. Pass `keys` to keep the keys a
 * larger report gave these findings (a --pod focus keeps the full report's keys).
 */
export function diagnose(s: Snapshot, findings: Finding[], keys?: string[], causes: CompiledCause[] = shippedCauseTable()): Diagnosis {
  const k = keys ?? findingKeys(findings, s);
  return { keys: k, incidents: groupIncidents(s, findings, k, { causes }) };
}

export type { Incident, IncidentCertainty } from './group.ts';
export type { CauseSpec, CompiledCause, FindingMatcher, Join } from './table.ts';
export { compileCauseTable } from './table.ts';
export { findingKeys, goroutineSignatureOf, signatureOfKey } from './keys.ts';
