// gRPC over HTTP/2 on a unix socket, on node:http2 alone: unary and server-streaming calls, each
// under a deadline, every failure a CtrdocError of a fixed kind. ctrdoc needs no channel, load
// balancing, retries or TLS, and grpc-js brought all of that to every start (bench/cri.ts has the
// figures); the messages are the generated static codecs (codecs.ts).
import http2 from 'node:http2';
import { connect as netConnect } from 'node:net';
import { CtrdocError } from '../../errors.ts';
import { deadlineTimer, formatMs } from '../../deadline.ts';
import { decode, encode, methodTypes, type MessageType } from './codecs.ts';
import { checkSocket, socketPathOf } from './endpoint.ts';
import { decodeGrpcMessage, FramingError, frameMessage, GrpcStatus, grpcTimeout, kindOfStatus, MessageReader, statusName } from './grpc-frames.ts';

/** containerd's own limit on a received message is 16 MiB; ctrdoc accepts up to 64 MiB (a node with thousands of containers). */
export const MAX_MESSAGE_BYTES = 64 << 20;
/** HTTP/2 flow-control window ctrdoc offers: a 200-container listing arrives without waiting for WINDOW_UPDATEs. */
const WINDOW_BYTES = 8 << 20;

const {
  NGHTTP2_CANCEL, NGHTTP2_REFUSED_STREAM, NGHTTP2_ENHANCE_YOUR_CALM, NGHTTP2_INADEQUATE_SECURITY,
  HTTP2_HEADER_STATUS, HTTP2_HEADER_CONTENT_TYPE,
} = http2.constants;

export interface GrpcOptions {
  /** who we are talking to, for messages: "containerd CRI" */
  what: string;
  timeoutMs: number;
  /** metadata sent with every call, e.g. containerd-namespace */
  metadata?: Record<string, string>;
}

/** How a call ended, before it becomes a CtrdocError: a gRPC status and its message. */
interface CallStatus {
  code: number;
  details: string;
  /** set when ctrdoc's own deadline ended the call */
  deadline?: boolean;
  cause?: unknown;
}

/** The gRPC code for a non-200 HTTP status (the gRPC spec's mapping). */
function codeOfHttpStatus(status: number): number {
  if (status === 400) return GrpcStatus.INTERNAL;
  if (status === 401) return GrpcStatus.UNAUTHENTICATED;
  if (status === 403) return GrpcStatus.PERMISSION_DENIED;
  if (status === 404) return GrpcStatus.UNIMPLEMENTED;
  if (status === 429 || status === 502 || status === 503 || status === 504) return GrpcStatus.UNAVAILABLE;
  return GrpcStatus.UNKNOWN;
}

/** The gRPC code for a stream the peer reset without a status. */
/** An answer that is not gRPC: an HTTP status other than 200, or another content type. */
function responseProblem(httpStatus: number, type: string): CallStatus | undefined {
  if (httpStatus !== 200) return { code: codeOfHttpStatus(httpStatus), details: `HTTP status ${httpStatus} (not a gRPC answer)` };
  if (!type.startsWith('application/grpc')) return { code: GrpcStatus.UNKNOWN, details: `content-type "${type}" is not gRPC: is this a gRPC server?` };
  return undefined;
}

function codeOfReset(rstCode: number): number {
  if (rstCode === NGHTTP2_REFUSED_STREAM) return GrpcStatus.UNAVAILABLE;
  if (rstCode === NGHTTP2_CANCEL) return GrpcStatus.CANCELLED;
  if (rstCode === NGHTTP2_ENHANCE_YOUR_CALM) return GrpcStatus.RESOURCE_EXHAUSTED;
  if (rstCode === NGHTTP2_INADEQUATE_SECURITY) return GrpcStatus.PERMISSION_DENIED;
  return GrpcStatus.INTERNAL;
}

/** A server stream being read: cancel() ends it early; `done` settles when it ends. */
export interface ServerStream {
  cancel(): void;
  done: Promise<void>;
}

export class GrpcConnection {
  readonly endpoint: string;
  readonly socketPath: string;
  private readonly opts: GrpcOptions;
  private session?: http2.ClientHttp2Session;
  /** why the current session failed (a socket error), for the calls it takes down */
  private sessionError?: Error;
  private active = 0;
  private closed = false;

  constructor(endpoint: string, opts: GrpcOptions) {
    this.endpoint = endpoint;
    this.opts = opts;
    this.socketPath = socketPathOf(endpoint);
    checkSocket(this.socketPath, opts.what);
  }

  /** The HTTP/2 session, opened on first use and again after the server sent GOAWAY or the socket failed. */
  private connect(): http2.ClientHttp2Session {
    const s0 = this.session;
    if (s0 && !s0.closed && !s0.destroyed) return s0;
    this.sessionError = undefined;
    const s = http2.connect('http://localhost', {
      createConnection: () => netConnect(this.socketPath),
      settings: { enablePush: false, initialWindowSize: WINDOW_BYTES },
    });
    s.on('connect', () => s.setLocalWindowSize(WINDOW_BYTES));
    // a socket error ends every stream on it; each call reports it with its own name
    s.on('error', (err) => {
      this.sessionError = err;
    });
    // GOAWAY: streams the server took finish; new calls go to a new session
    s.on('goaway', () => {
      if (this.session === s) this.session = undefined;
    });
    s.on('close', () => {
      if (this.session === s) this.session = undefined;
    });
    this.session = s;
    return s;
  }

  private fail(service: string, method: string, st: CallStatus, timeoutMs: number): CtrdocError {
    const short = service.split('.').pop();
    const what = `${this.opts.what} ${short}/${method} on ${this.endpoint}`;
    const kind = kindOfStatus(st.code);
    const cause = st.cause ?? Object.assign(new Error(`${statusName(st.code)}: ${st.details}`), { code: st.code });
    if (kind === 'deadline-exceeded') {
      const who = st.deadline ? 'the daemon did not answer' : 'the daemon said its deadline passed';
      return new CtrdocError(kind, `${what}: no answer within ${formatMs(timeoutMs)} (${who})`,
        'the daemon may be hung or stopped: check its process state (ps -o stat= -p PID) and its log; raise --timeout to wait longer', { cause });
    }
    if (kind === 'unimplemented') {
      return new CtrdocError(kind, `${what}: ${st.details || 'unimplemented'}`,
        'the endpoint answers gRPC but does not serve this API: is it the right socket, and is the CRI plugin enabled (disabled_plugins)?', { cause });
    }
    if (kind === 'unavailable') {
      return new CtrdocError(kind, `${what}: ${st.details || 'unavailable'}`,
        'is the endpoint a gRPC server (containerd\'s socket)? is the daemon running?', { cause });
    }
    return new CtrdocError(kind, `${what}: ${st.details || statusName(st.code)}`, undefined, { cause });
  }

  /** Why a call's stream closed with no grpc-status: the connection failed or went down, the server reset it, or the answer just ended. */
  private closedWithoutStatus(session: http2.ClientHttp2Session, rst: number, httpStatus: number, endStream: boolean): CallStatus {
    if (this.sessionError) {
      const e = this.sessionError as NodeJS.ErrnoException;
      return { code: GrpcStatus.UNAVAILABLE, details: `connection failed: ${e.code ? `${e.code} ` : ''}${e.message}`, cause: e };
    }
    if (session.destroyed || session.closed) {
      // the connection went down under the call (its streams are reset with INTERNAL_ERROR
      // locally): a daemon that stopped, or a peer that is not HTTP/2
      return { code: GrpcStatus.UNAVAILABLE, details: httpStatus ? 'the connection closed before the call ended (did the daemon stop?)' : 'the connection closed before an answer (is this a gRPC server?)' };
    }
    if (rst !== http2.constants.NGHTTP2_NO_ERROR && rst !== NGHTTP2_CANCEL) return { code: codeOfReset(rst), details: `the server reset the stream (HTTP/2 error ${rst})` };
    return { code: endStream ? GrpcStatus.INTERNAL : GrpcStatus.UNAVAILABLE, details: endStream ? 'the answer ended without a grpc-status' : 'the stream closed before an answer' };
  }

  /**
   * Starts one call: sends the request, hands each response message to `onMessage`, and calls
   * `onEnd` once with the final status (OK, the server's, or ctrdoc's own: deadline, a reset,
   * a socket error, bad framing). Returns a function that cancels the call.
   */
  private call(path: string, body: Uint8Array, deadlineMs: number, onMessage: (b: Buffer) => void, onEnd: (st: CallStatus) => void): () => void {
    let ended = false;
    let req: http2.ClientHttp2Stream | undefined;
    const session = this.connect();
    this.active++;
    session.ref();
    const end = (st: CallStatus): void => {
      if (ended) return;
      ended = true;
      clearTimeout(timer);
      if (--this.active === 0 && !session.destroyed) session.unref();
      if (req && !req.closed) req.close(NGHTTP2_CANCEL);
      onEnd(st);
    };
    // end() is a no-op once the call has ended: an answer read in the timer's extra turn wins
    const timer = deadlineTimer(deadlineMs, () => end({ code: GrpcStatus.DEADLINE_EXCEEDED, details: 'deadline exceeded', deadline: true }));
    const headers: http2.OutgoingHttpHeaders = {
      ':method': 'POST',
      ':path': path,
      'content-type': 'application/grpc',
      te: 'trailers',
      'grpc-timeout': grpcTimeout(deadlineMs),
      'user-agent': 'ctrdoc',
      ...this.opts.metadata,
    };
    try {
      req = session.request(headers);
    } catch (err) {
      end({ code: GrpcStatus.UNAVAILABLE, details: (err as Error).message, cause: err });
      return () => {};
    }
    const reader = new MessageReader(MAX_MESSAGE_BYTES);
    let status: CallStatus | undefined;
    let httpStatus = 0;
    const readStatus = (h: http2.IncomingHttpHeaders): void => {
      const raw = h['grpc-status'];
      if (raw === undefined || status) return;
      const code = Number(raw);
      status = { code: Number.isInteger(code) ? code : GrpcStatus.UNKNOWN, details: decodeGrpcMessage(h['grpc-message']) };
    };
    req.on('response', (h) => {
      httpStatus = Number(h[HTTP2_HEADER_STATUS]);
      const problem = responseProblem(httpStatus, String(h[HTTP2_HEADER_CONTENT_TYPE] ?? ''));
      if (problem) end(problem);
      else readStatus(h); // a trailers-only answer carries its status in the headers
    });
    req.on('trailers', readStatus);
    let endStream = false;
    req.on('end', () => {
      endStream = true;
    });
    req.on('data', (chunk: Buffer) => {
      if (ended) return;
      try {
        for (const m of reader.push(chunk)) onMessage(m);
      } catch (err) {
        const code = err instanceof FramingError ? err.code : GrpcStatus.INTERNAL;
        end({ code, details: err instanceof FramingError ? err.message : `undecodable answer: ${(err as Error).message}`, cause: err });
      }
    });
    // 'close' comes last, after 'end', 'trailers' or 'error': judge the call there
    req.on('error', () => {});
    req.on('close', () => {
      if (status) {
        if (status.code === GrpcStatus.OK && reader.pending) end({ code: GrpcStatus.INTERNAL, details: `the answer ended inside a message (${reader.pending} bytes left over)` });
        else end(status);
        return;
      }
      // No status: the stream was reset or the connection went down. The session's own error
      // (ECONNREFUSED, a peer that is not HTTP/2) arrives a tick after its streams close.
      setImmediate(() => end(this.closedWithoutStatus(session, req!.rstCode ?? 0, httpStatus, endStream)));
    });
    req.end(frameMessage(body));
    return () => end({ code: GrpcStatus.CANCELLED, details: 'cancelled by ctrdoc' });
  }

  /** One unary call; `timeoutMs` overrides the connection's default deadline. */
  async unary<T>(service: string, method: string, request: object, timeoutMs = this.opts.timeoutMs): Promise<T> {
    const { request: reqType, response: resType } = methodTypes(service, method);
    const body = this.encodeRequest(reqType, service, method, request);
    return new Promise<T>((resolve, reject) => {
      if (this.closed) return reject(new CtrdocError('failed-precondition', `${this.opts.what} ${method}: the connection is closed`));
      const got: Buffer[] = [];
      this.call(`/${service}/${method}`, body, timeoutMs, (m) => got.push(m), (st) => {
        if (st.code !== GrpcStatus.OK) return reject(this.fail(service, method, st, timeoutMs));
        if (got.length !== 1) {
          return reject(this.fail(service, method, { code: GrpcStatus.INTERNAL, details: `a unary answer had ${got.length} messages, not 1` }, timeoutMs));
        }
        try {
          resolve(decode<T>(resType, got[0]));
        } catch (e) {
          reject(new CtrdocError('bad-input', `${this.opts.what} ${method}: undecodable answer: ${(e as Error).message}`));
        }
      });
    });
  }

  /**
   * A server stream: each message, decoded, to `onMessage` until the server ends it, `cancel()`
   * is called, or `deadlineMs` passes (a deadline that ends it is an error; a cancel is not).
   */
  serverStream<T>(service: string, method: string, request: object, onMessage: (m: T) => void, deadlineMs: number): ServerStream {
    const { request: reqType, response: resType } = methodTypes(service, method);
    const body = this.encodeRequest(reqType, service, method, request);
    let cancel = (): void => {};
    let cancelled = false;
    const done = new Promise<void>((resolve, reject) => {
      if (this.closed) return reject(new CtrdocError('failed-precondition', `${this.opts.what} ${method}: the connection is closed`));
      cancel = this.call(`/${service}/${method}`, body, deadlineMs, (m) => {
        let v: T;
        try {
          v = decode<T>(resType, m);
        } catch (e) {
          // said first: the cancel that follows settles the call too, as "cancelled"
          reject(new CtrdocError('bad-input', `${this.opts.what} ${method}: undecodable message: ${(e as Error).message}`));
          cancel();
          return;
        }
        onMessage(v);
      }, (st) => {
        if (st.code === GrpcStatus.OK || (st.code === GrpcStatus.CANCELLED && cancelled)) resolve();
        else reject(this.fail(service, method, st, deadlineMs));
      });
    });
    return {
      cancel: () => {
        cancelled = true;
        cancel();
      },
      done,
    };
  }

  /**
   * A server stream, read for at most `durationMs` (or until `max` messages): events are
   * sampled, never followed forever.
   */
  async stream<T>(service: string, method: string, request: object, durationMs: number, max = 10_000): Promise<T[]> {
    const items: T[] = [];
    const s = this.serverStream<T>(service, method, request, (m) => {
      items.push(m);
      if (items.length >= max) s.cancel();
    }, durationMs + this.opts.timeoutMs);
    const timer = setTimeout(() => s.cancel(), durationMs);
    try {
      await s.done;
    } finally {
      clearTimeout(timer);
    }
    return items;
  }

  private encodeRequest(type: MessageType, service: string, method: string, request: object): Uint8Array {
    try {
      return encode(type, request);
    } catch (err) {
      throw new CtrdocError('invalid-argument', `${this.opts.what} ${service.split('.').pop()}/${method}: bad request: ${(err as Error).message}`);
    }
  }

  close(): void {
    this.closed = true;
    this.session?.destroy();
    this.session = undefined;
  }
}
