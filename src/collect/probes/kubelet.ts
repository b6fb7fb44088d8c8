// kubelet from outside: its process, flags, config and version, and whether its runtime
// endpoint answers CRI.
import type { KubeletView } from '../../snapshot/types/index.ts';
import type { Probe } from '../probe.ts';

const KUBELET_MS = 3000;

export const kubelet: Probe<'kubelet', KubeletView> = {
  name: 'kubelet',
  needs: ['proc'],
  budget: KUBELET_MS,
  async run(ctx, got) {
    const { collectKubelet } = await import('../../sources/kubelet/source.ts');
    const files = ctx.opts.kubeletFiles ?? {};
    return collectKubelet({
      deadlineMs: KUBELET_MS - 200,
      configPath: files.config,
      kubeadmFlagsPath: files.kubeadmFlags,
      logFile: ctx.stack.kubeletLog,
      pid: ctx.opts.kubeletPid,
      // among several kubelets, the one whose runtime endpoint names this containerd
      containerdSockets: [ctx.stack.address, ctx.stack.runtimeEndpoint],
      // the scan's processes, when it read every argv (kubelet's is not a stack binary's)
      processes: ctx.opts.cmdlines === 'stack' ? undefined : got.data('proc')?.processes,
    });
  },
};
