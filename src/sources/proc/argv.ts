// The command lines of the stack's own binaries, read the way their flag parsers read them: Go's
// `flag` package (containerd-shim, runc's urfave/cli globals, containerd's urfave/cli) takes
// `-name value`, `--name value`, `-name=value` and `--name=value`; a flag that takes no value
// stands alone; the first word that is not a flag or a flag's value starts the positionals.
// One parser for containerd, shims and runc (the tree, discovery and the reports all use it).

export interface ParsedArgv {
  /** flag name (no dashes) → its value, "true" for a flag that takes none; the last one wins */
  flags: Record<string, string>;
  /** the words after the flags (subcommand and its arguments) */
  positionals: string[];
}

/**
 * Parses argv[1..] given the flags that take a value (by every name they go by). A flag not in
 * `withValue` is a boolean; `--` ends the flags.
 */
export function parseArgv(argv: readonly string[], withValue: ReadonlySet<string>): ParsedArgv {
  const flags: Record<string, string> = {};
  const positionals: string[] = [];
  let i = 1;
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') { i++; break; }
    if (a.length < 2 || a[0] !== '-') break;
    const body = a.slice(a[1] === '-' ? 2 : 1);
    const eq = body.indexOf('=');
    const name = eq < 0 ? body : body.slice(0, eq);
    if (eq >= 0) flags[name] = body.slice(eq + 1);
    else if (withValue.has(name) && i + 1 < argv.length) flags[name] = argv[++i];
    else flags[name] = 'true';
  }
  for (; i < argv.length; i++) positionals.push(argv[i]);
  return { flags, positionals };
}

const CONTAINERD_VALUE_FLAGS = new Set(['config', 'c', 'address', 'a', 'root', 'state', 'log-level', 'l', 'log-file']);

export interface ContainerdArgs {
  /** --config / -c */
  config?: string;
  /** --address / -a: its gRPC socket */
  address?: string;
  root?: string;
  state?: string;
  /** a subcommand (`config dump`, `publish`, `oci-hook` ...): not the daemon */
  subcommand?: string;
}

/** `containerd [--config F] [--address A] [--root R] [--state S] [--log-level L] [SUBCOMMAND]` */
export function parseContainerdArgs(argv: readonly string[]): ContainerdArgs {
  const { flags, positionals } = parseArgv(argv, CONTAINERD_VALUE_FLAGS);
  return drop({
    config: flags.config ?? flags.c,
    address: flags.address ?? flags.a,
    root: flags.root,
    state: flags.state,
    subcommand: positionals[0],
  });
}

const SHIM_VALUE_FLAGS = new Set(['namespace', 'id', 'address', 'publish-binary', 'bundle', 'socket']);

export interface ShimArgs {
  namespace?: string;
  id?: string;
  address?: string;
  /** start / delete: a transient shim invocation, not the long-lived server */
  action?: string;
}

/** `containerd-shim-runc-v2 -namespace NS -id ID -address ADDR [-publish-binary B] [-debug] [start|delete]` */
export function parseShimArgs(argv: readonly string[]): ShimArgs {
  const { flags, positionals } = parseArgv(argv, SHIM_VALUE_FLAGS);
  const action = positionals.find((p) => p === 'start' || p === 'delete');
  return drop({ namespace: flags.namespace, id: flags.id, address: flags.address, action });
}

const RUNC_VALUE_FLAGS = new Set(['root', 'log', 'log-format', 'criu', 'rootless']);

/** runc's subcommand (create, start, delete, init ...): the first word after its global flags. */
export function runcAction(argv: readonly string[]): string | undefined {
  return parseArgv(argv, RUNC_VALUE_FLAGS).positionals[0];
}

/** runc's --root, when given. */
export function runcRoot(argv: readonly string[]): string | undefined {
  return parseArgv(argv, RUNC_VALUE_FLAGS).flags.root;
}

function drop<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}
