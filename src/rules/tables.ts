// The shipped rule tables (rules/*.json at the repository's top), typed and checked once.
// Patterns and explanations are data; src/rules/*.ts hold only the small predicates.
import treeFacts from '../../rules/tree-facts.json' with { type: 'json' };
import configTable from '../../rules/containerd-config.json' with { type: 'json' };
import versionTable from '../../rules/containerd-versions.json' with { type: 'json' };
import type { RuleText, Severity } from '../snapshot/types/index.ts';
import type { TreeFactKind } from '../snapshot/types/tree.ts';

export interface TreeFactRuleSpec extends RuleText {
  fact: TreeFactKind;
}

export interface ConfigRuleSpec extends RuleText {
  fact: string;
  /** "nonempty" | "oneOf:a,b" | "contains:a,b" */
  when: string;
}

export interface VersionWindowSpec {
  id: string;
  from: string;
  to: string;
  requires?: string;
  severity: Severity;
  title: string;
  explanation: string;
  nextStep: string;
  references: string[];
}

export const treeFactRules = treeFacts.rules as TreeFactRuleSpec[];
export const configRules = configTable.rules as ConfigRuleSpec[];
export const explainedDrift = configTable.drift.explained as { key: string; why: string }[];
export const versionWindows = versionTable.windows as VersionWindowSpec[];

/** "1.6.20~ds1" or "v1.7.3" → [1, 6, 20]; undefined when it does not start with a version. */
export function parseVersion(text: string): [number, number, number] | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(text.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

export function compareVersions(a: [number, number, number], b: [number, number, number]): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}
