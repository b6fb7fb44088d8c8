// `ctrdoc cri inspect ID...`: a container's verbose status (with its pid), like `crictl inspect`.
import { inspectCommand } from './inspect-command.ts';

export default inspectCommand({
  name: 'inspect',
  noun: 'container',
  idColumn: 'CONTAINER',
  listHint: 'ctrdoc cri ps -a',
  about: 'Each container\'s status as the runtime reports it, verbose (its pid, runtime, spec), like\ncrictl inspect.',
  status: (c, id, verbose) => c.rawContainerStatus(id, verbose),
});
