// Flags every `cri` subcommand shares, and the client they open.
import { outputFlags, timeoutMs } from '../flags.ts';
import { openCri, type CriClient } from '../../sources/cri/client.ts';
import { daemonChoiceNote, resolveStack } from '../../collect/stack.ts';
import { CtrdocError } from '../../errors.ts';

export const criFlags = {
  'runtime-endpoint': { type: 'string', short: 'r' },
  timeout: { type: 'string', short: 't' },
  ...outputFlags,
} as const;

export const criFlagsUsage = `  -r, --runtime-endpoint URL  CRI endpoint (then env CONTAINER_RUNTIME_ENDPOINT, /etc/crictl.yaml,
                              the running containerd's socket, unix:///run/containerd/containerd.sock)
  -t, --timeout DURATION      deadline for each call (default 2s)`;

/**
 * A client on the endpoint the stack's one resolution names (src/collect/stack.ts), the same
 * containerd `doctor` finds. With several daemons running, which one was taken goes to stderr.
 */
export async function openFromFlags(values: { 'runtime-endpoint'?: string; timeout?: string }): Promise<CriClient> {
  const ms = timeoutMs(values.timeout);
  const stack = await resolveStack(values, { timeoutMs: ms, need: 'endpoint' });
  const note = daemonChoiceNote(stack);
  if (note) process.stderr.write(`note: ${note}\n`);
  return openCri(stack.runtimeEndpoint, { timeoutMs: ms });
}

/** Runs fn with a client and always closes it. */
export async function withCri<T>(values: { 'runtime-endpoint'?: string; timeout?: string }, fn: (c: CriClient) => Promise<T>): Promise<T> {
  const client = await openFromFlags(values);
  try {
    return await fn(client);
  } finally {
    client.close();
  }
}

/** --label k=v (repeatable) into a selector. */
export function labelSelector(labels: string[] | undefined): Record<string, string> | undefined {
  if (!labels?.length) return undefined;
  const sel: Record<string, string> = {};
  for (const l of labels) {
    const i = l.indexOf('=');
    if (i <= 0) throw new CtrdocError('invalid-argument', `--label wants key=value, got "${l}"`);
    sel[l.slice(0, i)] = l.slice(i + 1);
  }
  return sel;
}

/** A user-given regexp, with a clear message when it does not compile. */
export function userRegExp(flag: string, text: string | undefined): RegExp | undefined {
  if (text === undefined) return undefined;
  try {
    return new RegExp(text);
  } catch (err) {
    throw new CtrdocError('invalid-argument', `--${flag}: not a valid regular expression: ${(err as Error).message}`);
  }
}
