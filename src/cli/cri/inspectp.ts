// `ctrdoc cri inspectp ID...`: a pod sandbox's verbose status, like `crictl inspectp`.
import { inspectCommand } from './inspect-command.ts';

export default inspectCommand({
  name: 'inspectp',
  noun: 'pod sandbox',
  idColumn: 'POD ID',
  listHint: 'ctrdoc cri pods',
  about: 'Each pod sandbox\'s status as the runtime reports it, verbose (its pid, network, spec), like\ncrictl inspectp. Verbose status reaches the pod\'s shim, so it hangs when the shim does.',
  status: (c, id, verbose) => c.rawPodSandboxStatus(id, verbose),
});
