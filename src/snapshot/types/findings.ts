// What the rules say: findings with their subject, evidence, explanation and next step.

export type Layer = 'kubelet' | 'cri' | 'containerd' | 'shim' | 'runc' | 'node';
export const LAYERS: Layer[] = ['kubelet', 'cri', 'containerd', 'shim', 'runc', 'node'];

/** critical: the node cannot run pods as asked; warning: it will, or something is wrong but
 * contained; info: worth knowing while debugging. */
export type Severity = 'critical' | 'warning' | 'info';
export const SEVERITY_ORDER: Severity[] = ['critical', 'warning', 'info'];

/** fail: the rule found its problem; pass: it checked and found none; skipped: it did not
 * apply (with why); error: it could not check because a probe failed (never shown as healthy). */
export type FindingStatus = 'fail' | 'pass' | 'skipped' | 'error';

/** What a rule says of itself, the same for every finding it makes: in code or in rules/*.json. */
export interface RuleText {
  /** stable, UPPER_SNAKE: RUNC_STUCK_INIT */
  id: string;
  layer: Layer;
  severity: Severity;
  title: string;
  explanation: string;
  /** a command to run where there is one */
  nextStep: string;
  /** issue links that explain it */
  references: string[];
}

export interface FindingSubject {
  pod?: string; // namespace/name
  podSandboxId?: string;
  container?: string;
  containerId?: string;
  pid?: number;
  shimPid?: number;
  path?: string;
}

export interface Finding {
  rule: string;
  layer: Layer;
  severity: Severity;
  status: FindingStatus;
  title: string;
  /** one sentence on this hit: who and what */
  summary: string;
  subject?: FindingSubject;
  /** the lines, files and values it rests on: a person can check it in ten seconds */
  evidence: string[];
  explanation?: string;
  /** what to do next: a command to run where there is one */
  nextStep?: string;
  references?: string[];
}

export interface FindingList {
  apiVersion: 'ctrdoc/v1alpha1';
  kind: 'FindingList';
  items: Finding[];
}
