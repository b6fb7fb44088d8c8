// Running one command and mapping every failure to an exit code, in this one place (0 ok,
// 1 findings, 2 the tool failed): shared by the whole bundle (main.ts) and the bundles that hold a
// few commands (main-cri.ts, main-tree.ts), which the launcher runs for those commands alone.
import type { CliIO, Command } from './command.ts';
import { CtrdocError, EXIT_FAILED } from '../errors.ts';

/** Loads a command and runs it with its arguments: `--help` prints its usage. */
export async function runCommand(load: () => Promise<{ default: Command }>, args: string[], io: CliIO): Promise<number> {
  const cmd = (await load()).default;
  if (args[0] === '--help' || args[0] === '-h') {
    io.stdout.write(cmd.usage.trimEnd() + '\n');
    return 0;
  }
  try {
    return await cmd.run(args, io);
  } catch (err) {
    const e = CtrdocError.from(err);
    io.stderr.write(`error: ${e.describe()}\n`);
    if (process.env.CTRDOC_DEBUG && e.stack) io.stderr.write(e.stack + '\n');
    return EXIT_FAILED;
  }
}

/** Loaders of the commands one bundle holds, by name. */
export type CommandLoaders = Record<string, () => Promise<{ default: Command }>>;

/**
 * `main` of a bundle that holds only `loaders`: the launcher sends it only those commands, so
 * anything else is a launcher bug, said plainly.
 */
export function partialMain(bundle: string, loaders: CommandLoaders): (argv: string[], io: CliIO) => Promise<number> {
  return async (argv, io) => {
    const [name, ...rest] = argv;
    const load = name !== undefined && Object.hasOwn(loaders, name) ? loaders[name] : undefined;
    if (!load) {
      io.stderr.write(`error: the ${bundle} bundle runs only ${Object.keys(loaders).map((n) => `\`ctrdoc ${n}\``).join(', ')}, not "${name ?? ''}"\n  hint: run dist/ctrdoc.cjs, which picks the bundle\n`);
      return EXIT_FAILED;
    }
    return runCommand(load, rest, io);
  };
}

/** Runs `main` as this process: its exit code becomes the process's. */
export function startWith(main: (argv: string[], io: CliIO) => Promise<number>, argv: string[]): void {
  // `ctrdoc ... | head` closes the pipe early: that is the reader's choice, not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  const io: CliIO = { stdout: process.stdout, stderr: process.stderr, isTTY: !!process.stderr.isTTY };
  main(argv, io).then(
    (code) => {
      process.exitCode = code;
      // Open gRPC channels or stray timers must not keep a finished command alive.
      setTimeout(() => process.exit(code), 50).unref();
    },
    (err) => {
      process.stderr.write(`error: ${String(err)}\n`);
      process.exit(EXIT_FAILED);
    },
  );
}
