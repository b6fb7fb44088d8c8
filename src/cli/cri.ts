// `ctrdoc cri SUBCOMMAND`: the runtime seen exactly as kubelet sees it, shaped like crictl.
import type { CliIO, Command } from './command.ts';
import { CtrdocError } from '../errors.ts';

const subcommands: Record<string, { summary: string; load: () => Promise<{ default: Command }> }> = {
  images: { summary: 'list images', load: () => import('./cri/images.ts') },
  info: { summary: 'runtime conditions (RuntimeReady, NetworkReady) and config', load: () => import('./cri/info.ts') },
  inspect: { summary: 'status of one or more containers (verbose, with pid)', load: () => import('./cri/inspect.ts') },
  inspectp: { summary: 'status of one or more pod sandboxes (verbose)', load: () => import('./cri/inspectp.ts') },
  pods: { summary: 'list pod sandboxes', load: () => import('./cri/pods.ts') },
  ps: { summary: 'list containers', load: () => import('./cri/ps.ts') },
  stats: { summary: 'container resource usage', load: () => import('./cri/stats.ts') },
  version: { summary: 'runtime name and versions', load: () => import('./cri/version.ts') },
};

const usage = `Usage: ctrdoc cri SUBCOMMAND [flags]

Talks CRI (runtime.v1) to the runtime exactly as kubelet does, like crictl.

Subcommands:
${Object.keys(subcommands).sort().map((n) => `  ${n.padEnd(10)} ${subcommands[n].summary}`).join('\n')}

Run \`ctrdoc cri SUBCOMMAND --help\` for its flags.`;

const cri: Command = {
  summary: 'talk CRI to the runtime like kubelet and crictl do',
  usage,
  async run(args: string[], io: CliIO): Promise<number> {
    const [name, ...rest] = args;
    if (!name) {
      io.stdout.write(usage + '\n');
      return 0;
    }
    const sub = subcommands[name];
    if (!sub) throw new CtrdocError('invalid-argument', `unknown cri subcommand "${name}"`, 'see ctrdoc cri --help');
    const cmd = (await sub.load()).default;
    if (rest.includes('--help') || rest.includes('-h')) {
      io.stdout.write(cmd.usage.trimEnd() + '\n');
      return 0;
    }
    return cmd.run(rest, io);
  },
};

export default cri;
