// Every probe ctrdoc has, one line each. A command names the probes it wants (collectProbes in
// run.ts adds what they need) and reads the results by name. To add a probe: write its file
// under probes/ (a Probe<'its.name', ItsData>) and add one line here.
import { proc } from './probes/proc.ts';
import { criContainers, criImages, criPods, criSandboxImage, criSecondAsk, criStatus, criVersion } from './probes/cri.ts';
import { criContainerDetails, criSandboxDetails } from './probes/cri-details.ts';
import { containerdContainers, containerdPlugins, containerdTasks, containerdVersion } from './probes/containerd.ts';
import { containerdProcess } from './probes/containerd-process.ts';
import { containerdConfig } from './probes/containerd-config.ts';
import { containerdLog, kubeletLog } from './probes/logs.ts';
import { kubelet } from './probes/kubelet.ts';
import { node } from './probes/node.ts';
import { stack } from './probes/stack.ts';
import { bundles, runc } from './probes/runc.ts';
import { shims, shimsCpu } from './probes/shims.ts';
import { tree } from './probes/tree.ts';
import { treeSecondLook } from './probes/second-look.ts';
import { containerdGoroutines } from './probes/containerd-goroutines.ts';
import { canary } from './probes/canary.ts';
import type { Probe } from './probe.ts';

export const PROBES = [
  proc,
  criVersion,
  criStatus,
  criPods,
  criContainers,
  criImages,
  criSandboxImage,
  criSecondAsk,
  containerdVersion,
  containerdTasks,
  containerdContainers,
  containerdPlugins,
  containerdConfig,
  containerdProcess,
  containerdLog,
  kubelet,
  kubeletLog,
  node,
  stack,
  runc,
  bundles,
  shims,
  shimsCpu,
  criContainerDetails,
  criSandboxDetails,
  tree,
  treeSecondLook,
  containerdGoroutines,
  canary,
] as const;

type AnyProbe = (typeof PROBES)[number];
export type ProbeName = AnyProbe['name'];
/** What each probe returns, by name. */
export type ProbeData = { [P in AnyProbe as P['name']]: P extends Probe<string, infer T> ? T : never };
