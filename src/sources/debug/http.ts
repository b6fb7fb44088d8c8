// containerd's debug socket ([debug] address): HTTP over a unix socket serving Go's pprof and
// expvar handlers. `/debug/pprof/goroutine?debug=2` is the full goroutine dump with wait
// minutes; `/debug/vars` is expvar JSON. Every request has a deadline and a size cap, and the
// body streams, so a 500k-goroutine dump is never held whole.

import { request, type IncomingMessage } from 'node:http';
import { CtrdocError } from '../../errors.ts';
import { formatMs } from '../../deadline.ts';

export const GOROUTINE_DUMP_PATH = '/debug/pprof/goroutine?debug=2';
export const EXPVAR_PATH = '/debug/vars';
/** Default cap on a response body: a dump of ~1M goroutines. */
export const DEFAULT_MAX_BYTES = 2 * 1024 * 1024 * 1024;

export interface DebugRequestOptions {
  /** deadline for the whole exchange, headers and body */
  timeoutMs: number;
  /** the body is cut (with an error) beyond this */
  maxBytes?: number;
}

/**
 * GET path on the debug socket; resolves once the headers are in, with the body as a stream of
 * chunks that throws a CtrdocError when the deadline passes or the cap is reached.
 */
export function openDebugStream(socket: string, path: string, opts: DebugRequestOptions): Promise<AsyncIterable<Buffer>> {
  const what = `debug socket ${socket} GET ${path}`;
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  return new Promise((resolve, reject) => {
    let settled = false;
    let failure: CtrdocError | undefined;
    const timer = setTimeout(() => {
      failure = new CtrdocError('deadline-exceeded', `${what}: no complete answer within ${formatMs(opts.timeoutMs)}`,
        'the process may be hung: try SIGUSR1 (--pid PID --signal), or a longer --timeout');
      req.destroy(failure);
      if (!settled) {
        settled = true;
        reject(failure);
      }
    }, opts.timeoutMs);
    timer.unref();
    const req = request({ socketPath: socket, path, method: 'GET', headers: { host: 'localhost' } }, (res: IncomingMessage) => {
      if (res.statusCode !== 200) {
        clearTimeout(timer);
        res.resume();
        settled = true;
        reject(new CtrdocError('unavailable', `${what}: HTTP ${res.statusCode} ${res.statusMessage ?? ''}`.trim(), 'is this containerd\'s [debug] address?'));
        return;
      }
      settled = true;
      resolve(
        (async function* body() {
          let total = 0;
          try {
            for await (const chunk of res as AsyncIterable<Buffer>) {
              total += chunk.length;
              if (total > maxBytes) {
                req.destroy();
                throw new CtrdocError('bad-input', `${what}: the answer is larger than ${maxBytes} bytes`, 'raise the size cap, or read a SIGUSR1 dump file');
              }
              yield chunk;
            }
            if (failure) throw failure;
            if (!res.complete) throw new CtrdocError('unavailable', `${what}: the connection closed before the answer was complete`);
          } catch (err) {
            throw failure ?? CtrdocError.from(err, what);
          } finally {
            clearTimeout(timer);
          }
        })(),
      );
    });
    req.on('error', (err) => {
      clearTimeout(timer);
      if (settled) return;
      settled = true;
      reject(failure ?? CtrdocError.from(err, what));
    });
    req.end();
  });
}

/** GET path and collect the whole body (for small answers like /debug/vars). */
export async function fetchDebug(socket: string, path: string, opts: DebugRequestOptions): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of await openDebugStream(socket, path, { maxBytes: 64 * 1024 * 1024, ...opts })) parts.push(c);
  return Buffer.concat(parts);
}

/** expvar's JSON (cmdline, memstats, and whatever containerd publishes). */
export async function fetchExpvar(socket: string, opts: DebugRequestOptions): Promise<Record<string, unknown>> {
  const body = await fetchDebug(socket, EXPVAR_PATH, opts);
  try {
    return JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new CtrdocError('bad-input', `debug socket ${socket} ${EXPVAR_PATH}: not JSON: ${(err as Error).message}`);
  }
}
