// ttrpc framing: frames survive any split of the byte stream, and a peer that is not ttrpc
// (a length over the limit) is refused with a message instead of buffering forever.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encodeFrame, FrameDecoder, HEADER_LENGTH, MAX_MESSAGE_LENGTH } from '../../src/sources/shim/frames.ts';

const frameArb = fc.record({
  streamId: fc.integer({ min: 1, max: 0xffffffff }),
  type: fc.constantFrom(1, 2, 3),
  flags: fc.integer({ min: 0, max: 255 }),
  payload: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
});

test('frames round-trip through the decoder across arbitrary split reads', () => {
  fc.assert(fc.property(fc.array(frameArb, { maxLength: 8 }), fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 20 }), (frames, cuts) => {
    const wire = Buffer.concat(frames.map(encodeFrame));
    const dec = new FrameDecoder();
    const got = [];
    let at = 0;
    let i = 0;
    while (at < wire.length) {
      const n = cuts[i++ % cuts.length];
      got.push(...dec.push(wire.subarray(at, at + n)));
      at += n;
    }
    assert.equal(dec.pending, 0);
    assert.deepEqual(got.map((f) => ({ ...f, payload: Buffer.from(f.payload) })), frames.map((f) => ({ ...f })));
  }));
});

test('a header announcing more than 4 MiB is refused as not ttrpc', () => {
  const head = Buffer.alloc(HEADER_LENGTH);
  head.writeUInt32BE(MAX_MESSAGE_LENGTH + 1, 0);
  head.writeUInt32BE(1, 4);
  head.writeUInt8(2, 8);
  assert.throws(() => new FrameDecoder().push(head), /does not speak ttrpc/);
});

test('an HTTP answer on a ttrpc socket is refused, not buffered', () => {
  // "HTTP/1.1 400 Bad Request": the first four bytes read as a huge length
  assert.throws(() => new FrameDecoder().push(Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n')), /does not speak ttrpc/);
});

test('an incomplete frame waits for more bytes and is counted as pending', () => {
  const f = encodeFrame({ streamId: 3, type: 2, flags: 0, payload: Buffer.from('hello') });
  const dec = new FrameDecoder();
  assert.deepEqual(dec.push(f.subarray(0, 7)), []);
  assert.equal(dec.pending, 7);
  const [frame] = dec.push(f.subarray(7));
  assert.equal(frame.payload.toString(), 'hello');
  assert.equal(frame.streamId, 3);
});

test('encoding refuses a payload over the limit', () => {
  assert.throws(() => encodeFrame({ streamId: 1, type: 1, flags: 0, payload: Buffer.alloc(MAX_MESSAGE_LENGTH + 1) }), /exceeds/);
});
