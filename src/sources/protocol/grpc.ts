// A thin gRPC layer over @grpc/grpc-js with protobufjs messages: unary and server-streaming
// calls on a unix socket, each under a deadline, every failure a CtrdocError.
import * as grpc from '@grpc/grpc-js';
import { CtrdocError, type ErrorKind } from '../../errors.ts';
import { decode, encode, methodTypes } from './descriptor.ts';
import { checkSocket, socketPathOf } from './endpoint.ts';
import { formatMs } from '../../deadline.ts';

const kindOfStatus: Partial<Record<grpc.status, ErrorKind>> = {
  [grpc.status.DEADLINE_EXCEEDED]: 'deadline-exceeded',
  [grpc.status.UNAVAILABLE]: 'unavailable',
  [grpc.status.UNIMPLEMENTED]: 'unimplemented',
  [grpc.status.PERMISSION_DENIED]: 'permission-denied',
  [grpc.status.NOT_FOUND]: 'not-found',
  [grpc.status.INVALID_ARGUMENT]: 'invalid-argument',
  [grpc.status.FAILED_PRECONDITION]: 'failed-precondition',
};

export interface GrpcOptions {
  /** who we are talking to, for messages: "containerd CRI" */
  what: string;
  timeoutMs: number;
  /** metadata sent with every call, e.g. containerd-namespace */
  metadata?: Record<string, string>;
}

export class GrpcConnection {
  readonly endpoint: string;
  readonly socketPath: string;
  private readonly client: grpc.Client;
  private readonly opts: GrpcOptions;

  constructor(endpoint: string, opts: GrpcOptions) {
    this.endpoint = endpoint;
    this.opts = opts;
    this.socketPath = socketPathOf(endpoint);
    checkSocket(this.socketPath, opts.what);
    this.client = new grpc.Client(`unix://${this.socketPath}`, grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': 64 << 20,
      // A wedged daemon must surface as a deadline, not as endless reconnects.
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 500,
      'grpc.enable_retries': 0,
      'grpc.enable_channelz': 0,
    });
  }

  private metadata(): grpc.Metadata {
    const md = new grpc.Metadata();
    for (const [k, v] of Object.entries(this.opts.metadata ?? {})) md.set(k, v);
    return md;
  }

  private fail(service: string, method: string, err: grpc.ServiceError, timeoutMs: number): CtrdocError {
    const short = service.split('.').pop();
    const what = `${this.opts.what} ${short}/${method} on ${this.endpoint}`;
    const kind = kindOfStatus[err.code as grpc.status] ?? 'internal';
    if (kind === 'deadline-exceeded') {
      return new CtrdocError(kind, `${what}: no answer within ${formatMs(timeoutMs)} (the daemon did not answer)`,
        'the daemon may be hung or stopped: check its process state (ps -o stat= -p PID) and its log; raise --timeout to wait longer', { cause: err });
    }
    if (kind === 'unimplemented') {
      return new CtrdocError(kind, `${what}: ${err.details || 'unimplemented'}`,
        'the endpoint answers gRPC but does not serve this API: is it the right socket, and is the CRI plugin enabled (disabled_plugins)?', { cause: err });
    }
    if (kind === 'unavailable') {
      return new CtrdocError(kind, `${what}: ${err.details || 'unavailable'}`,
        'is the endpoint a gRPC server (containerd\'s socket)? is the daemon running?', { cause: err });
    }
    return new CtrdocError(kind, `${what}: ${err.details || err.message}`, undefined, { cause: err });
  }

  /** One unary call; `timeoutMs` overrides the connection's default deadline. */
  unary<T>(service: string, method: string, request: object, timeoutMs = this.opts.timeoutMs): Promise<T> {
    const { request: reqType, response: resType } = methodTypes(service, method);
    const bytes = encode(reqType, request);
    return new Promise<T>((resolve, reject) => {
      this.client.makeUnaryRequest(
        `/${service}/${method}`,
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.from(bytes),
        this.metadata(),
        { deadline: Date.now() + timeoutMs },
        (err, res) => {
          if (err) return reject(this.fail(service, method, err, timeoutMs));
          try {
            resolve(decode<T>(resType, res!));
          } catch (e) {
            reject(new CtrdocError('bad-input', `${this.opts.what} ${method}: undecodable answer: ${(e as Error).message}`));
          }
        },
      );
    });
  }

  /**
   * A server stream, read for at most `durationMs` (or until `max` messages): events are
   * sampled, never followed forever.
   */
  stream<T>(service: string, method: string, request: object, durationMs: number, max = 10_000): Promise<T[]> {
    const { request: reqType, response: resType } = methodTypes(service, method);
    const call = this.client.makeServerStreamRequest(
      `/${service}/${method}`,
      (b: Buffer) => b,
      (b: Buffer) => b,
      Buffer.from(encode(reqType, request)),
      this.metadata(),
      { deadline: Date.now() + durationMs + this.opts.timeoutMs },
    );
    const items: T[] = [];
    return new Promise<T[]>((resolve, reject) => {
      const timer = setTimeout(() => call.cancel(), durationMs);
      call.on('data', (b: Buffer) => {
        items.push(decode<T>(resType, b));
        if (items.length >= max) call.cancel();
      });
      call.on('error', (err: grpc.ServiceError) => {
        clearTimeout(timer);
        if (err.code === grpc.status.CANCELLED) resolve(items);
        else reject(this.fail(service, method, err, durationMs));
      });
      call.on('end', () => {
        clearTimeout(timer);
        resolve(items);
      });
    });
  }

  close(): void {
    this.client.close();
  }
}
