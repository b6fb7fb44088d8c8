// Every rule ctrdoc ships, in one list (explicit registration, like containerd's plugin list).
// A rule is an entry in a table (rules/*.json: its text, conditions, samples) and, for the
// tables that need one, a predicate in the src/rules module of the same name.
import type { Rule } from './rule.ts';
import { TableProblem } from './table.ts';
import { containerdRules } from './containerd.ts';
import { criRules } from './cri.ts';
import { treeRules } from './tree.ts';
import { goroutineRules } from './goroutines.ts';
import { containerdLogRules } from './logs.ts';
import { kubeletRules } from './kubelet.ts';
import { nodeRules } from './node.ts';
import { processRules } from './processes.ts';

/** Ids are unique across every table: a finding's rule id names one rule. */
function unique(rules: Rule[]): Rule[] {
  const seen = new Map<string, Rule>();
  for (const r of rules) {
    const other = seen.get(r.id);
    if (other) throw new TableProblem(r.table ?? 'a rule table', `rule ${r.id}`, `field "id": also in ${other.table ?? 'another table'}`);
    seen.set(r.id, r);
  }
  return rules;
}

export const allRules: Rule[] = unique([
  ...kubeletRules,
  ...containerdRules,
  ...criRules,
  ...goroutineRules,
  ...containerdLogRules,
  ...treeRules,
  ...processRules,
  ...nodeRules,
]);

export { evaluate } from './rule.ts';
export type { Rule } from './rule.ts';
