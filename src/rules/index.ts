// Every rule ctrdoc ships, in one list (explicit registration, like containerd's plugin list).
import type { Rule } from './rule.ts';
import { containerdRules } from './containerd.ts';
import { criRules } from './cri.ts';
import { treeRules } from './tree.ts';
import { goroutineRules } from './goroutines.ts';
import { containerdLogRules } from './logs.ts';
import { kubeletRules } from './kubelet.ts';
import { nodeRules } from './node.ts';

export const allRules: Rule[] = [
  ...kubeletRules,
  ...containerdRules,
  ...criRules,
  ...goroutineRules,
  ...containerdLogRules,
  ...treeRules,
  ...nodeRules,
];

export { evaluate } from './rule.ts';
export type { Rule } from './rule.ts';
