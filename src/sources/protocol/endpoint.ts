// Endpoints as users write them (crictl's forms): unix:///path, or a bare absolute path. The one
// place `unix://` is taken off or put on.
import { accessSync, statSync, constants } from 'node:fs';
import { CtrdocError } from '../../errors.ts';

const UNIX = 'unix://';

/** The socket path behind an endpoint (unix:///path or /path), or undefined when it is not one. */
export function unixPathOf(endpoint: string): string | undefined {
  const e = endpoint.trim();
  const path = e.startsWith(UNIX) ? e.slice(UNIX.length) : e;
  return path.startsWith('/') ? path : undefined;
}

/** A socket path (or an endpoint) as an endpoint URL: /run/x.sock → unix:///run/x.sock. */
export function toEndpoint(pathOrEndpoint: string): string {
  return pathOrEndpoint.startsWith('/') ? `${UNIX}${pathOrEndpoint}` : pathOrEndpoint;
}

/** The socket path behind an endpoint, or an invalid-argument error naming the endpoint. */
export function socketPathOf(endpoint: string): string {
  const path = unixPathOf(endpoint);
  if (path) return path;
  throw new CtrdocError(
    'invalid-argument',
    `endpoint "${endpoint}" is not a unix socket URL`,
    'use unix:///run/containerd/containerd.sock (only unix sockets are supported)',
  );
}

/**
 * Checks the socket before any RPC so the common mistakes get a clear message instead of a
 * gRPC status: the path does not exist, is not a socket, or we may not open it.
 */
export function checkSocket(path: string, what: string): void {
  let st;
  try {
    st = statSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new CtrdocError('unavailable', `${what}: socket ${path} does not exist`, `is the daemon running, and is the endpoint right?`);
    }
    throw CtrdocError.from(err, `${what}: ${path}`);
  }
  if (!st.isSocket()) {
    throw new CtrdocError('invalid-argument', `${what}: ${path} is not a unix socket`, 'point the endpoint at the daemon\'s socket');
  }
  try {
    accessSync(path, constants.R_OK | constants.W_OK);
  } catch {
    throw new CtrdocError('permission-denied', `${what}: no permission to open ${path}`, 'run as root (sudo)');
  }
}
