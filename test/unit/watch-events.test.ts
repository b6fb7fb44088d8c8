// containerd's events and CRI's container events as `ctrdoc watch` reads them: real envelopes
// recorded from the lab (testdata/captures/events/capture.ts, a crash-looping pod on 1.6.20 and
// 2.1.9), then hostile ones: an unknown type, a payload that does not decode, truncated and
// random bytes. Nothing throws; each becomes a line that says what it could not read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { decode, encode, messageType } from '../../src/sources/protocol/codecs.ts';
import { decodeEnvelope, eventTypeName, type RawEnvelope } from '../../src/sources/containerd/events.ts';
import type { ContainerEventView } from '../../src/sources/cri/client.ts';
import { containerdEventLine, criEventLine, eventSubjectId, namesOfCriEvent, nanosToMs } from '../../src/watch/event-lines.ts';
import { NameBook } from '../../src/watch/names.ts';

const ENVELOPE = messageType('containerd.services.events.v1.Envelope');
const CRI_EVENT = messageType('runtime.v1.ContainerEventResponse');
const lines = (path: string) => readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));

/** Each recorded envelope as the gRPC client hands it over (the codec's decode of its bytes). */
function recorded(version: string): RawEnvelope[] {
  return lines(`testdata/captures/events/${version}/containerd.jsonl`).map((l) => decode<RawEnvelope>(ENVELOPE, Buffer.from(l.envelope, 'base64')));
}

for (const v of ['1.6.20', '2.1.9']) {
  test(`containerd ${v}: every recorded envelope decodes, and a crash loop reads create, start, exit, delete`, () => {
    const events = recorded(v).map(decodeEnvelope);
    assert.ok(events.length >= 12);
    for (const e of events) {
      assert.equal(e.error, undefined, `${e.topic}: ${e.error}`);
      assert.equal(e.namespace, 'k8s.io');
      assert.match(e.timestamp, /^2026-/);
      assert.ok(eventSubjectId(e), `${e.topic} names its container`);
    }
    const kinds = events.map((e) => containerdEventLine(e, () => undefined, 0).kind);
    for (const k of ['container-create', 'task-create', 'task-start', 'task-exit', 'task-delete', 'container-delete']) assert.ok(kinds.includes(k as never), k);
    // the crash loop's app exits 1: the exit line says so
    const exits = events.map((e) => containerdEventLine(e, () => undefined, 0)).filter((l) => l.kind === 'task-exit');
    assert.ok(exits.some((l) => l.exitStatus === 1 && /task exited with status 1 \(pid \d+\)/.test(l.message)), exits.map((l) => l.message).join('; '));
  });
}

test('containerd 2.1.9: CRI events carry their pod, and name every containerd event of the same run', () => {
  const cri = lines('testdata/captures/events/2.1.9/cri.jsonl').map((l) => decode<ContainerEventView>(CRI_EVENT, Buffer.from(l.message, 'base64')));
  const book = new NameBook();
  for (const e of cri) book.learn(namesOfCriEvent(e), 0);
  const criLines = cri.map((e) => criEventLine(e, (id) => book.lookup(id), 0));
  assert.deepEqual([...new Set(criLines.map((l) => l.kind))].sort(), ['cri-created', 'cri-deleted', 'cri-started', 'cri-stopped']);
  for (const l of criLines) assert.match(l.pod ?? '', /^ctrdoc-lab\/crashloop-/);
  assert.ok(criLines.some((l) => l.kind === 'cri-stopped' && !l.sandbox && /exit code 1/.test(l.message)));
  for (const e of recorded('2.1.9').map(decodeEnvelope)) {
    const l = containerdEventLine(e, (id) => book.lookup(id), 0);
    assert.match(l.pod ?? '', /^ctrdoc-lab\/crashloop-/, `${e.topic} ${eventSubjectId(e)}`);
    assert.ok(l.sandbox || l.container === 'app', `${e.topic}: sandbox or the app container`);
  }
});

test('an event of a type ctrdoc does not decode, or whose payload does not decode, is a line that says so', () => {
  const unknown = decodeEnvelope({ timestamp: { seconds: '1764763200', nanos: 0 }, namespace: 'k8s.io', topic: '/snapshot/prepare', event: { typeUrl: 'containerd.events.SnapshotPrepare', value: '' } });
  assert.match(unknown.error ?? '', /payload type containerd.events.SnapshotPrepare is not one ctrdoc decodes/);
  const l = containerdEventLine(unknown, () => undefined, 0);
  assert.equal(l.kind, 'event');
  assert.equal(l.topic, '/snapshot/prepare');
  assert.match(l.message, /^\/snapshot\/prepare: payload type/);
  // a wire type that does not fit TaskExit's container_id (a varint where a string is)
  const bad = decodeEnvelope({ topic: '/tasks/exit', event: { typeUrl: 'containerd.events.TaskExit', value: Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]).toString('base64') } });
  assert.match(bad.error ?? '', /payload containerd.events.TaskExit does not decode/);
  assert.equal(containerdEventLine(bad, () => undefined, 0).kind, 'event');
  assert.equal(decodeEnvelope({}).error, 'the envelope carries no event');
  assert.equal(containerdEventLine(decodeEnvelope({}), () => undefined, Date.parse('2026-12-03T00:00:00Z')).time, '2026-12-03T00:00:00.000Z', 'no timestamp: when it was received');
  const huge = decodeEnvelope({ topic: '/tasks/exit', event: { typeUrl: 'containerd.events.TaskExit', value: Buffer.alloc((1 << 20) + 1).toString('base64') } });
  assert.match(huge.error ?? '', /more than an event carries/);
});

test('type URLs with or without a host prefix name the same message', () => {
  assert.equal(eventTypeName('containerd.events.TaskExit'), 'containerd.events.TaskExit');
  assert.equal(eventTypeName('types.googleapis.com/containerd.events.TaskExit'), 'containerd.events.TaskExit');
  assert.equal(eventTypeName(''), '');
});

test('property: any bytes as a payload, or as a truncated real envelope, decode to an event or a reason, never a throw', () => {
  const real = recorded('1.6.20');
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), fc.constantFrom('containerd.events.TaskExit', 'containerd.events.TaskCreate', 'containerd.events.ContainerCreate', 'containerd.services.images.v1.ImageCreate', 'x'), (bytes, type) => {
    const e = decodeEnvelope({ topic: '/tasks/exit', event: { typeUrl: type, value: Buffer.from(bytes).toString('base64') } });
    assert.ok(e.payload || e.error);
    const l = containerdEventLine(e, () => undefined, 0);
    assert.equal(typeof l.message, 'string');
  }), { numRuns: 500 });
  // a real envelope cut anywhere: the codec refuses it (the stream then reconnects) or reads what is there
  const bytes = Buffer.from(encode(ENVELOPE, real[1] as object));
  for (let n = 0; n < bytes.length; n += 7) {
    let env: RawEnvelope | undefined;
    try {
      env = decode<RawEnvelope>(ENVELOPE, bytes.subarray(0, n));
    } catch {
      continue;
    }
    const e = decodeEnvelope(env);
    assert.ok(e.payload || e.error);
  }
});

test('CRI events: odd times and types still make a line, and names come with the pod', () => {
  const base: ContainerEventView = {
    containerId: 'c1', containerEventType: 'CONTAINER_STOPPED_EVENT', createdAt: '1764763200000000000',
    podSandboxStatus: { id: 's1', metadata: { name: 'web-0', namespace: 'ns', uid: 'u', attempt: 0 }, state: 'SANDBOX_READY' },
    containersStatuses: [{ id: 'c1', metadata: { name: 'app', attempt: 2 }, state: 'CONTAINER_EXITED', exitCode: 137, reason: 'OOMKilled' }],
  };
  const l = criEventLine(base, () => undefined, 0);
  assert.deepEqual([l.kind, l.pod, l.container, l.attempt, l.exitStatus, l.time], ['cri-stopped', 'ns/web-0', 'app', 2, 137, '2025-12-03T12:00:00.000Z']);
  assert.match(l.message, /CRI: container stopped \(exit code 137, OOMKilled\)/);
  for (const createdAt of ['', 'abc', '-1', '99999999999999999999999999']) {
    const x = criEventLine({ ...base, createdAt }, () => undefined, Date.parse('2026-12-03T00:00:00Z'));
    assert.match(x.time, /^\d{4}-\d\d-\d\dT/, createdAt);
  }
  const odd = criEventLine({ ...base, containerEventType: 'CONTAINER_PAUSED_EVENT' as never, podSandboxStatus: null, containersStatuses: [] }, () => undefined, 0);
  assert.equal(odd.kind, 'event');
  assert.equal(odd.pod, undefined);
  assert.ok(Number.isNaN(nanosToMs('x')));
  assert.equal(nanosToMs('1500000'), 1);
});
