// The tree's facts: one detector per fact kind, each judged by the rule of the same kind in
// rules/tree-facts.json (a test checks the two lists match). Pure.
import type { TreeFact, TreeFactKind } from '../../snapshot/types/tree.ts';
import type { FactContext } from '../inputs.ts';
import type { FactDetector } from './common.ts';
import { repeatedRuncInit, stuckRuncInit } from './runc-init.ts';
import { podWithoutShim, shimOutlier, shimUnresponsive, shimWithoutPause } from './shims.ts';
import { deadShimLeftover, staleShimSocket } from './bundles.ts';
import { orphanProcess, zombie } from './processes.ts';
import { leakedRuncContainer, runcPidReused, runcStateUnreadable, taskWithoutRuncState } from './runc-state.ts';
import { criPidMismatch } from './cri-pid.ts';

export const DETECTORS: readonly FactDetector[] = [
  stuckRuncInit,
  repeatedRuncInit,
  shimWithoutPause,
  shimUnresponsive,
  podWithoutShim,
  shimOutlier,
  deadShimLeftover,
  staleShimSocket,
  orphanProcess,
  zombie,
  runcStateUnreadable,
  runcPidReused,
  leakedRuncContainer,
  taskWithoutRuncState,
  criPidMismatch,
];

export const FACT_KINDS: readonly TreeFactKind[] = DETECTORS.map((d) => d.kind);

export function treeFacts(ctx: FactContext): TreeFact[] {
  return DETECTORS.flatMap((d) => d.detect(ctx));
}

export { waitingInFifoOpen } from './common.ts';
export { knownToContainerd } from '../identities.ts';
