// ttrpc's framing (containerd/ttrpc PROTOCOL.md): a 10-byte big-endian header — payload
// length (uint32), stream id (uint32, odd for client-opened streams), message type (uint8:
// 1 request, 2 response, 3 data) and flags (uint8) — then the payload.

export const HEADER_LENGTH = 10;
export const MESSAGE_TYPE_REQUEST = 1;
export const MESSAGE_TYPE_RESPONSE = 2;
export const MESSAGE_TYPE_DATA = 3;
/** ttrpc's own limit on one message's payload. */
export const MAX_MESSAGE_LENGTH = 4 << 20;

export interface Frame {
  streamId: number;
  type: number;
  flags: number;
  payload: Buffer;
}

export function encodeFrame(f: Frame): Buffer {
  if (f.payload.length > MAX_MESSAGE_LENGTH) {
    throw new Error(`ttrpc message of ${f.payload.length} bytes exceeds the ${MAX_MESSAGE_LENGTH}-byte limit`);
  }
  const head = Buffer.alloc(HEADER_LENGTH);
  head.writeUInt32BE(f.payload.length, 0);
  head.writeUInt32BE(f.streamId >>> 0, 4);
  head.writeUInt8(f.type, 8);
  head.writeUInt8(f.flags, 9);
  return Buffer.concat([head, f.payload]);
}

/**
 * Reassembles frames from reads of any size (a socket may deliver half a header, or three
 * frames at once). A length over the limit is a protocol error: the peer is not ttrpc.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;

  push(chunk: Buffer): Frame[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: Frame[] = [];
    for (;;) {
      if (this.buffered < HEADER_LENGTH) break;
      const buf = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
      this.chunks = [buf];
      const length = buf.readUInt32BE(0);
      if (length > MAX_MESSAGE_LENGTH) {
        throw new Error(`ttrpc frame announces ${length} bytes, over the ${MAX_MESSAGE_LENGTH}-byte limit: the peer does not speak ttrpc`);
      }
      if (buf.length < HEADER_LENGTH + length) break;
      frames.push({
        streamId: buf.readUInt32BE(4),
        type: buf.readUInt8(8),
        flags: buf.readUInt8(9),
        payload: buf.subarray(HEADER_LENGTH, HEADER_LENGTH + length),
      });
      const rest = buf.subarray(HEADER_LENGTH + length);
      this.chunks = rest.length ? [rest] : [];
      this.buffered = rest.length;
    }
    return frames;
  }

  /** Bytes held that do not make a whole frame yet. */
  get pending(): number {
    return this.buffered;
  }
}
