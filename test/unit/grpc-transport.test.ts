// The gRPC transport's answers to a peer that breaks the protocol, which containerd cannot be made
// to do (test/e2e/grpc-transport.test.ts covers the real containerd): a node:http2 stand-in
// server sends each bad answer. And the message framing on truncated, huge and hostile bytes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { GrpcConnection, MAX_MESSAGE_BYTES } from '../../src/sources/protocol/grpc.ts';
import { decodeGrpcMessage, frameMessage, grpcTimeout, MessageReader } from '../../src/sources/protocol/grpc-frames.ts';
import { encode, messageType } from '../../src/sources/protocol/codecs.ts';
import { CtrdocError } from '../../src/errors.ts';

const VERSION = encode(messageType('runtime.v1.VersionResponse'), { version: '0.1.0', runtimeName: 'stand-in' });
const head = (len: number, flag = 0): Buffer => Buffer.from([flag, len >>> 24, (len >>> 16) & 255, (len >>> 8) & 255, len & 255]);

/** What the stand-in does with a call, by the method it was asked for. */
const behaviours: Record<string, (s: http2.ServerHttp2Stream, h: http2.IncomingHttpHeaders) => void> = {
  Version: (s, h) => {
    s.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    s.on('wantTrailers', () => s.sendTrailers({ 'grpc-status': '0', 'x-seen-timeout': String(h['grpc-timeout']) }));
    s.end(frameMessage(VERSION));
  },
  // trailers-only, percent-encoded message (the gRPC spec)
  Status: (s) => s.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '12', 'grpc-message': 'unknown%20method%20%25x' }, { endStream: true }),
  ListPodSandbox: (s) => s.respond({ ':status': 404, 'content-type': 'text/plain' }, { endStream: true }),
  ListContainers: (s) => {
    s.respond({ ':status': 200, 'content-type': 'text/html' });
    s.end('<html>');
  },
  // a length header over the limit: refused before its bytes arrive
  ListImages: (s) => {
    s.respond({ ':status': 200, 'content-type': 'application/grpc' });
    s.write(head(MAX_MESSAGE_BYTES + 1));
  },
  // compressed though nobody asked
  ImageStatus: (s) => {
    s.respond({ ':status': 200, 'content-type': 'application/grpc' });
    s.end(Buffer.concat([head(VERSION.length, 1), VERSION]));
  },
  // two messages for a unary call
  PodSandboxStatus: (s) => {
    s.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    s.on('wantTrailers', () => s.sendTrailers({ 'grpc-status': '0' }));
    s.end(Buffer.concat([frameMessage(VERSION), frameMessage(VERSION)]));
  },
  // the body ends inside a message
  ContainerStatus: (s) => {
    s.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    s.on('wantTrailers', () => s.sendTrailers({ 'grpc-status': '0' }));
    s.end(frameMessage(VERSION).subarray(0, 7));
  },
  // END_STREAM with no grpc-status at all
  ListContainerStats: (s) => {
    s.respond({ ':status': 200, 'content-type': 'application/grpc' });
    s.end(frameMessage(VERSION));
  },
  // undecodable bytes in a well-framed message
  ExecSync: (s) => {
    s.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    s.on('wantTrailers', () => s.sendTrailers({ 'grpc-status': '0' }));
    s.end(frameMessage(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f])));
  },
  // refused: GOAWAY-style reset
  StopContainer: (s) => s.close(http2.constants.NGHTTP2_REFUSED_STREAM),
  // never answers
  StartContainer: () => {},
};

describe('gRPC transport against a stand-in peer that breaks the protocol', () => {
  let dir: string;
  let server: http2.Http2Server;
  let conn: GrpcConnection;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ctrdoc-grpc-unit-'));
    server = http2.createServer();
    server.on('stream', (s, h) => {
      s.on('error', () => {});
      const method = String(h[':path']).split('/').pop()!;
      if (method === 'RemoveContainer') {
        // a graceful shutdown: GOAWAY, then the connection closes; the next call reconnects
        s.session?.goaway(http2.constants.NGHTTP2_NO_ERROR);
        s.session?.destroy();
        return;
      }
      behaviours[method](s, h);
    });
    await new Promise<void>((r) => server.listen(join(dir, 'grpc.sock'), r));
    conn = new GrpcConnection(`unix://${join(dir, 'grpc.sock')}`, { what: 'CRI', timeoutMs: 3000 });
  });
  after(() => {
    conn?.close();
    server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const failure = async (method: string, timeoutMs?: number): Promise<CtrdocError> => {
    try {
      await conn.unary('runtime.v1.RuntimeService', method, {}, timeoutMs);
    } catch (err) {
      assert.ok(err instanceof CtrdocError);
      return err;
    }
    throw new Error(`${method} did not fail`);
  };
  const ri = (method: string) => conn.unary('runtime.v1.ImageService', method, {}).then(() => assert.fail('no error'), (e: CtrdocError) => e);

  test('a good answer decodes; the deadline goes out as grpc-timeout', async () => {
    const v = await conn.unary<{ runtimeName: string; version: string }>('runtime.v1.RuntimeService', 'Version', {});
    assert.equal(v.runtimeName, 'stand-in');
  });

  test('trailers-only status: its code and its percent-decoded message', async () => {
    const e = await failure('Status');
    assert.equal(e.kind, 'unimplemented');
    assert.match(e.message, /unknown method %x/);
  });

  test('an HTTP error status and a content-type that is not gRPC', async () => {
    assert.equal((await failure('ListPodSandbox')).kind, 'unimplemented');
    const e = await failure('ListContainers');
    assert.equal(e.kind, 'internal');
    assert.match(e.message, /text\/html.*not gRPC/);
  });

  test('a message over the size limit, a compressed one, two for a unary call, one cut short, none with a status', async () => {
    assert.match((await ri('ListImages')).message, /over ctrdoc's limit/);
    assert.match((await ri('ImageStatus')).message, /compressed/);
    assert.match((await failure('PodSandboxStatus')).message, /had 2 messages/);
    assert.match((await failure('ContainerStatus')).message, /ended inside a message/);
    assert.match((await failure('ListContainerStats')).message, /without a grpc-status/);
  });

  test('undecodable bytes are bad input, not a crash', async () => {
    const e = await failure('ExecSync');
    assert.equal(e.kind, 'bad-input');
  });

  test('a refused stream is unavailable; a silent server is deadline-exceeded, in time', async () => {
    assert.equal((await failure('StopContainer')).kind, 'unavailable');
    const e = await failure('StartContainer', 300);
    assert.equal(e.kind, 'deadline-exceeded');
    assert.match(e.message, /no answer within 300ms/);
  });

  test('GOAWAY and a closed connection: that call is unavailable, the next one reconnects', async () => {
    assert.equal((await failure('RemoveContainer')).kind, 'unavailable');
    const v = await conn.unary<{ runtimeName: string }>('runtime.v1.RuntimeService', 'Version', {});
    assert.equal(v.runtimeName, 'stand-in');
  });

  test('a request of the wrong shape is refused before it is sent', async () => {
    await assert.rejects(conn.unary('runtime.v1.RuntimeService', 'ListContainers', { filter: 'not an object' }), (e: CtrdocError) => e.kind === 'invalid-argument');
    await assert.rejects(conn.unary('runtime.v1.RuntimeService', 'Attach', {}), /no method/);
  });
});

describe('gRPC message framing', () => {
  test('messages split at any point reassemble, in order', () => {
    fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 6 }), fc.array(fc.nat(2000), { maxLength: 8 }), (msgs, cuts) => {
      const wire = Buffer.concat(msgs.map((m) => frameMessage(m)));
      const points = [...new Set(cuts.map((c) => c % (wire.length + 1)))].sort((a, b) => a - b);
      const r = new MessageReader(1 << 20);
      const got: Buffer[] = [];
      let at = 0;
      for (const p of [...points, wire.length]) {
        got.push(...r.push(wire.subarray(at, p)));
        at = p;
      }
      assert.deepEqual(got.map((b) => Buffer.from(b).toString('hex')), msgs.map((m) => Buffer.from(m).toString('hex')));
      assert.equal(r.pending, 0);
    }));
  });

  test('hostile headers: a bad flag or a huge length fail at once, before any body is buffered', () => {
    fc.assert(fc.property(fc.integer({ min: 2, max: 255 }), (flag) => {
      assert.throws(() => new MessageReader(100).push(head(1, flag)), /bad message flag/);
    }));
    assert.throws(() => new MessageReader(100).push(head(0xffffffff)), /over ctrdoc's limit of 100/);
    const r = new MessageReader(100);
    assert.deepEqual(r.push(head(50).subarray(0, 3)), []);
    assert.equal(r.pending, 3);
  });

  test('grpc-message and grpc-timeout', () => {
    assert.equal(decodeGrpcMessage('a%20b'), 'a b');
    assert.equal(decodeGrpcMessage('100%'), '100%');
    assert.equal(decodeGrpcMessage(undefined), '');
    assert.equal(grpcTimeout(2000), '2000m');
    assert.equal(grpcTimeout(0.2), '1m');
    assert.equal(grpcTimeout(1e9), '1000000S');
    assert.match(grpcTimeout(1e15), /^\d{1,8}H$/);
  });
});

// A doctor run does synchronous work (a /proc walk, a log scan) while its calls are out. An
// answer that arrived in time but waits unread behind that work is an answer, not a timeout
// (timers run before I/O in each turn of the event loop). The peer is another process, so it
// answers while this one is busy; it marks a file once its answer is written.
test('an answer waiting in the socket when the deadline fires is taken, not called a timeout', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ctrdoc-grpc-late-'));
  const sock = join(dir, 'grpc.sock');
  const marker = join(dir, 'answered');
  const answer = frameMessage(VERSION).toString('hex');
  const peer = spawn(process.execPath, ['-e', `
    const http2 = require('node:http2'); const fs = require('node:fs');
    const [sock, marker, hex] = process.argv.slice(1);
    const server = http2.createServer();
    let n = 0;
    server.on('stream', (s) => {
      s.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      s.on('wantTrailers', () => s.sendTrailers({ 'grpc-status': '0' }));
      // the second call's answer: mark it once the stream is done
      const nth = ++n;
      s.on('close', () => { if (nth === 2) fs.writeFileSync(marker, 'x'); });
      // the second answer a moment late, so it arrives while the caller is busy
      setTimeout(() => s.end(Buffer.from(hex, 'hex')), nth === 2 ? 100 : 0);
    });
    server.listen(sock, () => process.stdout.write('up\\n'));
  `, sock, marker, answer], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => { peer.kill('SIGKILL'); rmSync(dir, { recursive: true, force: true }); });
  await new Promise<void>((resolve, reject) => {
    peer.stdout!.once('data', () => resolve());
    peer.once('exit', (code) => reject(new Error(`the stand-in peer exited (${code})`)));
  });
  const c = new GrpcConnection(`unix://${sock}`, { what: 'CRI', timeoutMs: 3000 });
  try {
    await c.unary('runtime.v1.RuntimeService', 'Version', {}); // connected, the session up
    const start = Date.now();
    const call = c.unary('runtime.v1.RuntimeService', 'Version', {}, 300);
    await new Promise((r) => setTimeout(r, 20)); // the request goes out; its answer comes 100 ms later
    // busy from the check phase: the next turn of the event loop starts with its timers, the deadline's among them
    await new Promise((r) => setImmediate(r));
    // busy past the 300 ms deadline, until the peer has answered (bounded)
    while ((!existsSync(marker) || Date.now() - start < 400) && Date.now() - start < 20_000) { /* synchronous work */ }
    assert.ok(existsSync(marker), 'the peer answered within 20 s');
    const r = await call as { version?: string; runtimeName?: string };
    assert.equal(r.runtimeName, 'stand-in');
  } finally {
    c.close();
  }
});
