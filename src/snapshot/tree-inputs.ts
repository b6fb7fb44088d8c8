// The runc, bundle and tree probes of collect(): the process table joined with CRI, containerd
// tasks, shims and runc states (src/tree).
import type {
  Container, ContainerDetail, PodSandbox, ProbeResult, SandboxDetail, StackLocation, TaskView,
} from './types/index.ts';
import type { ProcTable } from './types/proc.ts';
import type { RuncRootView, TaskBundleView } from './types/runc.ts';
import type { ProcessTreeView, ShimProbe } from './types/tree.ts';
import { skip } from './probe.ts';
import { readRuncRoot } from '../sources/runc/state.ts';
import { readTaskBundles } from '../sources/runc/bundles.ts';
import { probeShimSockets } from '../sources/shim/probe.ts';
import { isShimProcess, sampleRecentCpu } from '../sources/proc/scan.ts';
import { buildProcessTree } from '../tree/build.ts';

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

/** A short second look at the shims' CPU, so a busy shim shows as busy now, not on its lifetime average. */
const CPU_SAMPLE_MS = 300;

const dataOf = <T>(p: ProbeResult<T>): T | undefined => (p.status === 'ok' ? p.data : undefined);

export async function collectTreeInputs(inp: TreeInputs): Promise<{
  runc: ProbeResult<RuncRootView>;
  bundles: ProbeResult<TaskBundleView>;
  tree: ProbeResult<ProcessTreeView>;
}> {
  const { stack, probe } = inp;
  const procTable = dataOf(inp.proc);
  const [runc, bundles] = await Promise.all([
    probe<RuncRootView>('runc', () => {
      const v = readRuncRoot(stack.runcRoot);
      if (v.error && !v.containers.length) {
        if (/ENOENT|no such file/i.test(v.error)) skip(`no runc root at ${stack.runcRoot}`);
        throw new Error(v.error);
      }
      return v;
    }),
    probe<TaskBundleView>('bundles', () => readTaskBundles(stack.stateDir, stack.namespace)),
  ]);
  const shimProbes = bundles.data
    ? await probe<ShimProbe[]>('shims', () => probeShimSockets(bundles.data!, Math.max(50, inp.budget() - 100)))
    : undefined;
  // The shims' recent CPU is sampled while the CRI calls are in flight, and after our own ttrpc
  // probes, whose handling would otherwise count as the shims' work.
  const shimPids = procTable?.processes.filter((p) => isShimProcess(p)).map((p) => p.pid) ?? [];
  const cpuSample = procTable ? sampleRecentCpu(procTable, shimPids, Math.min(CPU_SAMPLE_MS, Math.max(0, inp.budget() - 200))) : Promise.resolve();
  const [pods, containers, containerDetails, sandboxDetails, tasks] = await Promise.all([
    inp.pods, inp.containers, inp.containerDetails, inp.sandboxDetails, inp.tasks, cpuSample,
  ]);
  const tree = await probe<ProcessTreeView>('tree', async () => {
    const proc = procTable;
    if (!proc) skip(`no process table: ${inp.proc.message ?? inp.proc.status}`);
    const podList = dataOf(pods);
    const containerList = dataOf(containers);
    return buildProcessTree({
      proc,
      runc: dataOf(runc),
      bundles: dataOf(bundles),
      cri: podList && containerList
        ? { pods: podList, containers: containerList, containerDetails: dataOf(containerDetails), sandboxDetails: dataOf(sandboxDetails) }
        : undefined,
      tasks: dataOf(tasks),
      shimProbes: shimProbes ? dataOf(shimProbes) : undefined,
      containerdPid: stack.containerdPid,
      containerdAddress: stack.address,
      stuckInitSec: inp.stuckAfterSec,
      now: Date.now(),
    });
  });
  return { runc, bundles, tree };
}
