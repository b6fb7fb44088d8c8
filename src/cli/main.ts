// ctrdoc's command table: finds the command and runs it (run-command.ts maps its failures to exit codes).
import type { CliIO, Command } from './command.ts';
import { EXIT_FAILED } from '../errors.ts';
import { runCommand, startWith } from './run-command.ts';
import { CTRDOC_VERSION as VERSION } from '../version.ts';

// Commands are loaded on demand; keep this table sorted by name.
const commands: Record<string, { summary: string; load: () => Promise<{ default: Command }> }> = {
  analyze: { summary: 'run the doctor\'s rules on a support bundle (offline), same outputs as doctor', load: () => import('./analyze.ts') },
  bundle: { summary: 'pack the Snapshot and raw evidence into a redacted .tar.gz for offline analysis', load: () => import('./bundle.ts') },
  core: { summary: 'a gzipped core dump of one process with gdb, with its build-id (stops it while writing; asks first)', load: () => import('./core.ts') },
  cri: { summary: 'talk CRI to the runtime like kubelet and crictl do', load: () => import('./cri.ts') },
  doctor: { summary: 'find what is wrong in the stack, with evidence and next steps', load: () => import('./doctor.ts') },
  goroutines: { summary: 'read and explain a goroutine dump of containerd or a shim (file, debug socket, SIGUSR1)', load: () => import('./goroutines.ts') },
  lab: { summary: 'a private containerd on this machine, with faults on demand (changes the node)', load: () => import('./lab.ts') },
  report: { summary: 'one self-contained HTML report of the stack (live or from a bundle)', load: () => import('./report.ts') },
  runc: { summary: 'runc\'s state root: status, exec.fifo, init pid alive, whether containerd knows each container', load: () => import('./runc.ts') },
  serve: { summary: 'the doctor on a loop, served as Prometheus metrics and JSON', load: () => import('./serve.ts') },
  shims: { summary: 'every shim: pod, socket, ttrpc liveness and latency, children, CPU/RSS/threads/fds, subreaper', load: () => import('./shims.ts') },
  tree: { summary: 'the stack as a process forest (like ps aux --forest): roles, pods, containers, facts', load: () => import('./tree.ts') },
  watch: { summary: 'follow the stack live: events, parked inits, shims, process states, containerd answering, incidents', load: () => import('./watch.ts') },
};


function help(): string {
  const names = Object.keys(commands).sort();
  const width = Math.max(...names.map((n) => n.length));
  return [
    'ctrdoc: a doctor for the containerd stack (kubelet -> CRI -> containerd -> shim -> runc)',
    '',
    'Usage: ctrdoc COMMAND [flags]',
    '',
    'Commands:',
    ...names.map((n) => `  ${n.padEnd(width)}   ${commands[n].summary}`),
    '',
    'Run `ctrdoc COMMAND --help` for a command\'s flags.',
  ].join('\n');
}

export async function main(argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '-h' || name === '--help' || name === 'help') {
    io.stdout.write(help() + '\n');
    return 0;
  }
  if (name === '--version' || name === 'version') {
    io.stdout.write(`ctrdoc ${VERSION}\n`);
    return 0;
  }
  const entry = commands[name];
  if (!entry) {
    io.stderr.write(`error: unknown command "${name}"\n\n${help()}\n`);
    return EXIT_FAILED;
  }
  return runCommand(entry.load, rest, io);
}

/** Runs ctrdoc as this process: the exit code becomes the process's. */
export function start(argv: string[]): void {
  startWith(main, argv);
}
