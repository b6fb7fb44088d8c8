// gRPC's framing over HTTP/2 (the "Length-Prefixed-Message" of the gRPC wire protocol): each
// message is a 1-byte compressed flag, a 4-byte big-endian length, then the bytes. Plus the
// status codes and the percent-encoded grpc-message trailer. Facts of the wire, no I/O.
import type { ErrorKind } from '../../errors.ts';

/** gRPC status codes (google.rpc.Code), by number. */
export const GrpcStatus = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

const statusNames = new Map<number, string>(Object.entries(GrpcStatus).map(([k, v]) => [v, k]));

/** "UNAVAILABLE (14)", or "status 99" for a code outside the table. */
export function statusName(code: number): string {
  const n = statusNames.get(code);
  return n ? `${n} (${code})` : `status ${code}`;
}

/** ctrdoc's error kind for a gRPC status; the rest are 'internal'. */
export function kindOfStatus(code: number): ErrorKind {
  switch (code) {
    case GrpcStatus.DEADLINE_EXCEEDED: return 'deadline-exceeded';
    case GrpcStatus.UNAVAILABLE: return 'unavailable';
    case GrpcStatus.UNIMPLEMENTED: return 'unimplemented';
    case GrpcStatus.PERMISSION_DENIED: return 'permission-denied';
    case GrpcStatus.UNAUTHENTICATED: return 'permission-denied';
    case GrpcStatus.NOT_FOUND: return 'not-found';
    case GrpcStatus.INVALID_ARGUMENT: return 'invalid-argument';
    case GrpcStatus.FAILED_PRECONDITION: return 'failed-precondition';
    default: return 'internal';
  }
}

/** One message framed for the request body (never compressed). */
export function frameMessage(bytes: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(5 + bytes.length);
  out[0] = 0;
  out.writeUInt32BE(bytes.length, 1);
  out.set(bytes, 5);
  return out;
}

/** What went wrong in a response body, with the gRPC status a client reports for it. */
export class FramingError extends Error {
  readonly code: number;
  constructor(code: number, message: string) {
    super(message);
    this.code = code;
  }
}

/**
 * Splits a response body, as it arrives in DATA frames of any size, into messages. A message
 * longer than `maxBytes` is refused from its header, before its bytes are buffered; a compressed
 * one too, since ctrdoc asks for none (it sends no grpc-accept-encoding).
 */
export class MessageReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private readonly maxBytes: number;

  constructor(maxBytes: number) {
    this.maxBytes = maxBytes;
  }

  /** Bytes held of a message not yet complete (0 between messages). */
  get pending(): number {
    return this.buffered;
  }

  push(chunk: Uint8Array): Buffer[] {
    if (chunk.length) {
      this.chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
      this.buffered += chunk.length;
    }
    const out: Buffer[] = [];
    while (this.buffered >= 5) {
      const head = this.peek(5);
      if (head[0] !== 0) {
        throw head[0] === 1
          ? new FramingError(GrpcStatus.INTERNAL, 'the server sent a compressed message, which ctrdoc did not ask for')
          : new FramingError(GrpcStatus.INTERNAL, `bad message flag ${head[0]} (not gRPC framing)`);
      }
      const len = head.readUInt32BE(1);
      if (len > this.maxBytes) {
        throw new FramingError(GrpcStatus.RESOURCE_EXHAUSTED, `a message of ${len} bytes is over ctrdoc's limit of ${this.maxBytes}`);
      }
      if (this.buffered < 5 + len) break;
      out.push(this.take(5 + len).subarray(5));
    }
    return out;
  }

  private peek(n: number): Buffer {
    if (this.chunks[0].length < n) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0].subarray(0, n);
  }

  private take(n: number): Buffer {
    if (this.chunks[0].length < n) this.chunks = [Buffer.concat(this.chunks)];
    const first = this.chunks[0];
    const got = first.subarray(0, n);
    if (first.length === n) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
    this.buffered -= n;
    return got;
  }
}

/** grpc-message is percent-encoded (the gRPC spec); a malformed escape is kept as it is. */
export function decodeGrpcMessage(value: string | string[] | undefined): string {
  const v = Array.isArray(value) ? value.join(', ') : value ?? '';
  if (!v.includes('%')) return v;
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}

/** The grpc-timeout header for a deadline in ms: at most 8 digits, in the coarsest unit that fits. */
export function grpcTimeout(ms: number): string {
  const n = Math.max(1, Math.ceil(ms));
  if (n < 1e8) return `${n}m`;
  if (n / 1000 < 1e8) return `${Math.ceil(n / 1000)}S`;
  return `${Math.min(99_999_999, Math.ceil(n / 3_600_000))}H`;
}
