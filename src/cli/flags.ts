// Flags shared by every command that reads the stack, parsed with node's own parseArgs.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CtrdocError } from '../errors.ts';
import { parseDuration } from '../deadline.ts';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Where the stack lives: flags first, then discovery fills what is missing. */
export const stackFlags = {
  'runtime-endpoint': { type: 'string', short: 'r' },
  address: { type: 'string' },
  namespace: { type: 'string', short: 'n' },
  'runc-root': { type: 'string' },
  'debug-address': { type: 'string' },
  'containerd-config': { type: 'string' },
  'containerd-log': { type: 'string' },
  'kubelet-log': { type: 'string' },
  timeout: { type: 'string', short: 't' },
} as const satisfies Options;

export const stackFlagsUsage = `Where the stack lives (discovered from the running containerd when not given):
  -r, --runtime-endpoint URL   CRI endpoint (env CONTAINER_RUNTIME_ENDPOINT, then /etc/crictl.yaml,
                               then unix:///run/containerd/containerd.sock)
      --address PATH           containerd gRPC socket (default /run/containerd/containerd.sock)
  -n, --namespace NS           containerd namespace (default k8s.io)
      --runc-root DIR          runc state root (default /run/containerd/runc/<namespace>)
      --debug-address PATH     containerd debug socket ([debug] address)
      --containerd-config FILE containerd's config.toml
      --containerd-log FILE    containerd's log file (default: journald, or its stderr's file)
      --kubelet-log FILE       kubelet's log file (default: journald)
  -t, --timeout DURATION       deadline for each call (default 2s)`;

export const outputFlags = {
  output: { type: 'string', short: 'o' },
  'no-headers': { type: 'boolean' },
  'no-trunc': { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
} as const satisfies Options;

export function parseFlags<O extends Options>(args: string[], options: O, allowPositionals = true) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (err) {
    throw new CtrdocError('invalid-argument', (err as Error).message, 'see --help');
  }
}

export function timeoutMs(value: string | undefined, fallback = 2000): number {
  return value === undefined ? fallback : parseDuration(value, '--timeout');
}

export type OutputFormat = 'table' | 'wide' | 'json' | 'yaml';

const tableJsonYaml: ('table' | 'json' | 'yaml')[] = ['table', 'json', 'yaml'];

export function outputFormat(value: string | undefined): 'table' | 'json' | 'yaml';
export function outputFormat<F extends string>(value: string | undefined, allowed: F[]): F;
export function outputFormat(value: string | undefined, allowed: string[] = tableJsonYaml): string {
  const v = value ?? allowed[0];
  if (!allowed.includes(v)) {
    throw new CtrdocError('invalid-argument', `unsupported output format "${value}"`, `use one of: ${allowed.join(', ')}`);
  }
  return v;
}
