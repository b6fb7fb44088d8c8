// The shipped rule tables (rules/*.json at the repository's top), bundled into the binary and
// checked when this module loads (table.ts): a bad table stops ctrdoc with the file, the rule
// and the field named, before any finding is made from it. The text lives in the tables;
// src/rules/*.ts hold only the predicates.
import containerdJson from '../../rules/containerd.json' with { type: 'json' };
import criJson from '../../rules/cri.json' with { type: 'json' };
import kubeletJson from '../../rules/kubelet.json' with { type: 'json' };
import nodeJson from '../../rules/node.json' with { type: 'json' };
import goroutinesJson from '../../rules/goroutines.json' with { type: 'json' };
import processesJson from '../../rules/processes.json' with { type: 'json' };
import treeFactsJson from '../../rules/tree-facts.json' with { type: 'json' };
import configJson from '../../rules/containerd-config.json' with { type: 'json' };
import versionsJson from '../../rules/containerd-versions.json' with { type: 'json' };
import containerdLogJson from '../../rules/containerd-log.json' with { type: 'json' };
import kubeletLogJson from '../../rules/kubelet-log.json' with { type: 'json' };
import kernelLogJson from '../../rules/kernel-log.json' with { type: 'json' };
import type { TreeFactKind } from '../snapshot/types/tree.ts';
import { containerdLogTable, kernelLogTable, kubeletLogTable } from '../sources/logs/tables.ts';
import type { LogTable } from '../sources/logs/table.ts';
import { readRuleTable, TableProblem, type ConfigEntry, type RuleEntry, type TreeFactEntry, type VersionEntry } from './table.ts';

/** Every fact kind the tree makes (src/tree/facts.ts): a tree-fact entry names one of them. */
export const TREE_FACT_KINDS = [
  'stuck-runc-init', 'repeated-runc-init', 'shim-without-pause', 'pod-without-shim', 'dead-shim-leftover', 'stale-shim-socket',
  'orphan-process', 'zombie', 'shim-outlier', 'shim-unresponsive', 'leaked-runc-container', 'task-without-runc-state',
  'runc-pid-reused', 'cri-pid-mismatch', 'runc-state-unreadable',
] as const satisfies readonly TreeFactKind[];
// a kind the tree gains must be listed here (this line stops compiling otherwise)
const everyKindListed: [Exclude<TreeFactKind, (typeof TREE_FACT_KINDS)[number]>] extends [never] ? true : never = true;
void everyKindListed;

export const containerdTable = readRuleTable('rules/containerd.json', containerdJson, 'code');
export const criTable = readRuleTable('rules/cri.json', criJson, 'code');
export const kubeletTable = readRuleTable('rules/kubelet.json', kubeletJson, 'code');
export const nodeTable = readRuleTable('rules/node.json', nodeJson, 'code');
export const goroutinesTable = readRuleTable('rules/goroutines.json', goroutinesJson, 'code');
export const processesTable = readRuleTable('rules/processes.json', processesJson, 'code');
export const treeFactTable = readRuleTable<TreeFactEntry>('rules/tree-facts.json', treeFactsJson, 'tree-fact', { factKinds: TREE_FACT_KINDS });
export const configTable = readRuleTable<ConfigEntry>('rules/containerd-config.json', configJson, 'config', { otherKeys: ['drift'] });
export const versionTable = readRuleTable<VersionEntry>('rules/containerd-versions.json', versionsJson, 'version');

/** Config keys whose difference from `containerd config default` is shown with why it matters. */
export const explainedDrift: { key: string; why: string }[] = (() => {
  const list = (configJson as { drift?: { explained?: unknown } }).drift?.explained;
  if (!Array.isArray(list)) throw new TableProblem('rules/containerd-config.json', 'drift', 'field "explained": must be a list of {key, why}');
  list.forEach((d: { key?: unknown; why?: unknown }, i) => {
    if (typeof d?.key !== 'string' || typeof d.why !== 'string' || !d.key || !d.why) throw new TableProblem('rules/containerd-config.json', `drift.explained[${i}]`, 'needs a config shape key (layout.ts) and why it matters');
  });
  return list as { key: string; why: string }[];
})();

/** A log table's text half (checked here) beside its patterns (compiled by sources/logs). */
export interface LogRuleTable {
  patterns: LogTable;
  entries: RuleEntry[];
}

function logTable(file: string, raw: unknown, compiled: LogTable): LogRuleTable {
  const capturesOf = (id: string) => compiled.patterns.find((p) => p.id === id)?.captureNames ?? [];
  return { patterns: compiled, entries: readRuleTable(file, raw, 'log', { capturesOf }) };
}

export const containerdLogRuleTable = logTable('rules/containerd-log.json', containerdLogJson, containerdLogTable());
export const kubeletLogRuleTable = logTable('rules/kubelet-log.json', kubeletLogJson, kubeletLogTable());
export const kernelLogRuleTable = logTable('rules/kernel-log.json', kernelLogJson, kernelLogTable());

/** Every shipped table's entries by file, for the tests that run every sample. */
export const SHIPPED_RULE_TABLES: Record<string, RuleEntry[]> = {
  'rules/containerd.json': containerdTable,
  'rules/cri.json': criTable,
  'rules/kubelet.json': kubeletTable,
  'rules/node.json': nodeTable,
  'rules/goroutines.json': goroutinesTable,
  'rules/processes.json': processesTable,
  'rules/tree-facts.json': treeFactTable,
  'rules/containerd-config.json': configTable,
  'rules/containerd-versions.json': versionTable,
  'rules/containerd-log.json': containerdLogRuleTable.entries,
  'rules/kubelet-log.json': kubeletLogRuleTable.entries,
  'rules/kernel-log.json': kernelLogRuleTable.entries,
};
