// The values of the stack variables of rules/variables.json ("from": "stack"): where the stack
// lives on this node, the same for every finding of one Snapshot.
import type { Snapshot } from '../snapshot/types/index.ts';
import type { VariableValues } from './template.ts';

/** Each stack variable's value, undefined when this node does not say (its fallback is used). */
export const STACK_VARIABLES: Record<string, (s: Snapshot) => string | number | undefined> = {
  address: (s) => s.stack.address,
  namespace: (s) => s.stack.namespace,
  runcRoot: (s) => s.stack.runcRoot,
  stateDir: (s) => s.stack.stateDir,
  runtimeEndpoint: (s) => s.stack.runtimeEndpoint,
  containerdConfig: (s) => s.stack.containerdConfig,
  containerdPid: (s) => (s.containerd.process.status === 'ok' ? s.containerd.process.data?.pid : undefined) ?? s.stack.containerdPid,
  debugAddress: (s) => s.stack.debugAddress,
};

export function stackVariables(s: Snapshot): VariableValues {
  return Object.fromEntries(Object.entries(STACK_VARIABLES).map(([k, get]) => [k, get(s)]));
}
