// Following containerd's event stream through what containerd itself cannot be made to do on cue
// (test/e2e/watch.test.ts follows the real one through a stop, a restart and faults): a node:http2
// stand-in speaking gRPC on a unix socket ends the stream, never answers, sends an event of an
// unknown type, a payload that does not decode, or bytes that are no envelope at all. The client
// and the follower are the real ones; each case must end in a line or a retry, never a hang.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode, messageType } from '../../src/sources/protocol/codecs.ts';
import { frameMessage } from '../../src/sources/protocol/grpc-frames.ts';
import { openContainerd, type ContainerdClient } from '../../src/sources/containerd/client.ts';
import type { ContainerdEvent } from '../../src/sources/containerd/events.ts';
import { StreamFollower } from '../../src/watch/follow.ts';
import { containerdEventLine } from '../../src/watch/event-lines.ts';
import type { CtrdocError } from '../../src/errors.ts';

const SUBSCRIBE = '/containerd.services.events.v1.Events/Subscribe';
const envelope = (topic: string, type: string, payload: Uint8Array) => encode(messageType('containerd.services.events.v1.Envelope'), {
  timestamp: { seconds: '1764763200', nanos: 0 }, namespace: 'k8s.io', topic, event: { typeUrl: type, value: Buffer.from(payload).toString('base64') },
});
const taskExit = encode(messageType('containerd.events.TaskExit'), { containerId: 'c1', pid: 42, exitStatus: 1 });

type Behaviour = 'end' | 'silent' | 'events' | 'junk';

/** Waits until cond() holds (checked every 10 ms), at most 10 s: no assertion on how long it took. */
async function until(what: string, cond: () => boolean): Promise<void> {
  const end = Date.now() + 10_000;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`gave up waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('following an event stream from a stand-in gRPC server', () => {
  let dir: string;
  let server: http2.Http2Server;
  let client: ContainerdClient;
  let behaviour: Behaviour = 'end';
  let opened = 0;
  let open = 0;
  let maxOpen = 0;
  const sent: string[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ctrdoc-watch-follow-'));
    server = http2.createServer();
    server.on('stream', (s, h) => {
      s.on('error', () => {});
      if (h[':path'] !== SUBSCRIBE) return s.close(http2.constants.NGHTTP2_REFUSED_STREAM);
      opened++;
      open++;
      maxOpen = Math.max(maxOpen, open);
      s.on('close', () => open--);
      sent.push(String(h['grpc-timeout']));
      if (behaviour === 'end') {
        s.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '0' }, { endStream: true });
      } else if (behaviour === 'events') {
        s.respond({ ':status': 200, 'content-type': 'application/grpc' });
        s.write(frameMessage(envelope('/tasks/exit', 'containerd.events.TaskExit', taskExit)));
        s.write(frameMessage(envelope('/snapshot/prepare', 'containerd.events.SnapshotPrepare', new Uint8Array([1, 2]))));
        s.write(frameMessage(envelope('/tasks/exit', 'containerd.events.TaskExit', new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]))));
      } else if (behaviour === 'junk') {
        s.respond({ ':status': 200, 'content-type': 'application/grpc' });
        s.write(frameMessage(new Uint8Array([0xff, 0xff, 0xff])));
      }
      // 'silent': the call is taken and never answered
    });
    await new Promise<void>((r) => server.listen(join(dir, 'containerd.sock'), r));
    client = openContainerd(join(dir, 'containerd.sock'), { namespace: 'k8s.io', timeoutMs: 500 });
  });
  after(async () => {
    client.close();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const follow = (o: { onMessage?: (e: ContainerdEvent) => void; lost: CtrdocError[]; resumed: number[]; rotateMs?: number }) => new StreamFollower<ContainerdEvent>({
    open: (onMessage, deadlineMs) => client.subscribe([], onMessage, deadlineMs),
    onMessage: o.onMessage ?? (() => {}),
    onLost: (e) => o.lost.push(e),
    onResumed: (ms) => o.resumed.push(ms),
    rotateMs: o.rotateMs ?? 60_000,
    deadlineMarginMs: 200,
    confirmMs: 150,
    retryMs: [30, 60],
  });

  test('a stream that ends is said once and opened again until one holds; then it is said back', async () => {
    behaviour = 'end';
    opened = 0;
    const lost: CtrdocError[] = [];
    const resumed: number[] = [];
    const got: ContainerdEvent[] = [];
    const f = follow({ lost, resumed, onMessage: (e) => got.push(e) });
    f.start();
    await until('three calls', () => opened >= 3);
    assert.equal(lost.length, 1, 'one outage, said once');
    assert.match(lost[0].message, /the stream ended/);
    assert.equal(resumed.length, 0);
    behaviour = 'events';
    await until('the stream back', () => resumed.length > 0 && got.length >= 3);
    f.stop();
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(resumed.length, 1, 'back once a call holds');
    assert.equal(lost.length, 1);
    // each event once, whatever it carried
    const lines = got.map((e) => containerdEventLine(e, () => undefined, 0));
    assert.deepEqual(lines.map((l) => l.kind), ['task-exit', 'event', 'event']);
    assert.match(lines[0].message, /task exited with status 1 \(pid 42\)/);
    assert.match(lines[1].message, /^\/snapshot\/prepare: payload type containerd.events.SnapshotPrepare is not one ctrdoc decodes/);
    assert.match(lines[2].message, /payload containerd.events.TaskExit does not decode/);
  });

  test('bytes that are no envelope end the call (said as lost) and it is opened again', async () => {
    behaviour = 'junk';
    const lost: CtrdocError[] = [];
    const f = follow({ lost, resumed: [] });
    f.start();
    await until('the outage', () => lost.length > 0);
    f.stop();
    // a call opened just before stop() reaches the server a moment later
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(lost.length, 1);
    assert.match(lost[0].message, /undecodable message/);
  });

  test('a socket that never answers: every call carries its deadline, is renewed before it, and never more than two are open', async () => {
    behaviour = 'silent';
    opened = 0;
    maxOpen = 0;
    sent.length = 0;
    const lost: CtrdocError[] = [];
    const f = follow({ lost, resumed: [], rotateMs: 100 });
    f.start();
    await until('four rotations', () => opened >= 4);
    f.stop();
    await until('every call closed', () => open === 0);
    assert.ok(maxOpen <= 2, `at most the old and the new call at once (${maxOpen})`);
    // the daemon is told the deadline too (grpc-timeout), so it drops a reader that stopped reading
    assert.ok(sent.every((t) => t === '300m'), sent.join(','));
    assert.equal(lost.length, 0, 'a call that is renewed in time is no outage');
    // and the ping's Version call gives up at its deadline
    await assert.rejects(client.version(100), (e: CtrdocError) => e.kind === 'deadline-exceeded' || e.kind === 'unimplemented' || e.kind === 'unavailable');
  });
});
