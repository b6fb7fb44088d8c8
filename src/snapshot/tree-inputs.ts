// The runc, bundle and tree probes of collect(): the process table joined with CRI, containerd
// tasks, shims and runc states (src/tree).
import type {
  Container, ContainerDetail, PodSandbox, ProbeResult, SandboxDetail, StackLocation, TaskView,
} from './types/index.ts';
import type { ProcTable } from './types/proc.ts';
import type { RuncRootView, TaskBundleView } from './types/runc.ts';
import type { ProcessTreeView } from './types/tree.ts';
import { skip } from './probe.ts';

type ProbeFn = <T>(name: string, fn: () => Promise<T> | T, ms?: number) => Promise<ProbeResult<T>>;

export interface TreeInputs {
  stack: StackLocation;
  proc: ProbeResult<ProcTable>;
  pods: Promise<ProbeResult<PodSandbox[]>>;
  containers: Promise<ProbeResult<Container[]>>;
  containerDetails: Promise<ProbeResult<ContainerDetail[]>>;
  sandboxDetails: Promise<ProbeResult<SandboxDetail[]>>;
  tasks: Promise<ProbeResult<TaskView[]>>;
  probe: ProbeFn;
  budget: (ms?: number) => number;
  stuckAfterSec: number;
}

export async function collectTreeInputs(inp: TreeInputs): Promise<{
  runc: ProbeResult<RuncRootView>;
  bundles: ProbeResult<TaskBundleView>;
  tree: ProbeResult<ProcessTreeView>;
}> {
  const [runc, bundles, tree] = await Promise.all([
    inp.probe<RuncRootView>('runc', () => skip('runc source not wired yet')),
    inp.probe<TaskBundleView>('bundles', () => skip('bundle source not wired yet')),
    inp.probe<ProcessTreeView>('tree', () => skip('tree not wired yet')),
  ]);
  return { runc, bundles, tree };
}
