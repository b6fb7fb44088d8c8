// The protobuf subset: messages ctrdoc sends and reads round-trip through the wire format, and
// undecodable bytes fail with an error instead of producing a half-object.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decode, encode, messageType, methodTypes, timestampToIso } from '../../src/sources/protocol/codecs.ts';

const text = fc.string({ maxLength: 40 });
const labels = fc.dictionary(fc.string({ minLength: 1, maxLength: 10 }), text, { maxKeys: 4 });

test('CRI PodSandbox lists round-trip (JSON mapping: int64 as strings, enums by name)', () => {
  const T = messageType('runtime.v1.ListPodSandboxResponse');
  const pod = fc.record({
    id: fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 64, maxLength: 64 }),
    metadata: fc.record({ name: text, uid: text, namespace: text, attempt: fc.integer({ min: 0, max: 1000 }) }),
    state: fc.constantFrom('SANDBOX_READY', 'SANDBOX_NOTREADY'),
    createdAt: fc.bigInt({ min: 0n, max: (1n << 63n) - 1n }).map(String),
    labels,
    annotations: labels,
    runtimeHandler: text,
  });
  fc.assert(fc.property(fc.array(pod, { maxLength: 5 }), (items) => {
    const plain = (v: unknown) => JSON.parse(JSON.stringify(v));
    assert.deepEqual(plain(decode(T, encode(T, { items }))), plain({ items }));
  }));
});

test('ttrpc Request envelopes round-trip with their payload bytes', () => {
  const T = messageType('ttrpc.Request');
  fc.assert(fc.property(text, text, fc.uint8Array({ maxLength: 200 }), fc.nat(), (service, method, payload, timeout) => {
    const got = T.toObject(T.decode(encode(T, { service, method, payload: Buffer.from(payload), timeoutNano: timeout })), { longs: Number }) as { service?: string; method?: string; payload?: Uint8Array; timeoutNano?: number };
    assert.equal(got.service ?? '', service);
    assert.equal(got.method ?? '', method);
    assert.deepEqual(Buffer.from(got.payload ?? []), Buffer.from(payload));
    assert.equal(got.timeoutNano ?? 0, timeout);
  }));
});

test('every method ctrdoc calls exists in the subset with request and response types', () => {
  for (const [svc, methods] of Object.entries({
    'runtime.v1.RuntimeService': ['Version', 'Status', 'ListPodSandbox', 'PodSandboxStatus', 'ListContainers', 'ContainerStatus', 'RunPodSandbox', 'CreateContainer', 'StartContainer', 'StopContainer', 'RemoveContainer', 'StopPodSandbox', 'RemovePodSandbox', 'ListContainerStats', 'ExecSync'],
    'runtime.v1.ImageService': ['ListImages', 'ImageStatus'],
    'containerd.services.tasks.v1.Tasks': ['Create', 'Start', 'Delete', 'Get', 'List', 'Kill', 'ListPids'],
    'containerd.task.v2.Task': ['Connect', 'State', 'Pids', 'Stats'],
    'containerd.task.v3.Task': ['Connect', 'State', 'Pids', 'Stats'],
  })) {
    for (const m of methods) {
      const t = methodTypes(svc, m);
      assert.ok(t.request.fullName && t.response.fullName, `${svc}/${m}`);
    }
  }
  assert.throws(() => methodTypes('runtime.v1.RuntimeService', 'Attach'), /no method/);
});

test('truncated or garbage bytes fail to decode with an error', () => {
  const T = messageType('runtime.v1.ListContainersResponse');
  const good = encode(T, { containers: [{ id: 'abc', podSandboxId: 'def', state: 'CONTAINER_RUNNING', createdAt: '1' }] });
  assert.throws(() => decode(T, good.subarray(0, good.length - 3)));
  assert.throws(() => decode(T, Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f])));
});

test('timestamps: Go zero time and unset are empty, others ISO', () => {
  assert.equal(timestampToIso(null), '');
  assert.equal(timestampToIso({ seconds: '-62135596800', nanos: 0 }), '');
  assert.equal(timestampToIso({ seconds: '1700000000', nanos: 5_000_000 }), '2023-11-14T22:13:20.005Z');
});

test('strings: any valid UTF-8 round-trips (U+FFFD too); invalid UTF-8 is refused, not replaced', () => {
  const T = messageType('runtime.v1.VersionResponse');
  fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 30 }), (s) => {
    assert.equal(decode<{ runtimeName: string }>(T, encode(T, { runtimeName: s })).runtimeName, s);
  }));
  assert.equal(decode<{ runtimeName: string }>(T, encode(T, { runtimeName: 'a\uFFFDb' })).runtimeName, 'a\uFFFDb');
  // field 2 (runtime_name), length 3: "a", a lone continuation byte, "b"
  assert.throws(() => decode(T, Buffer.from([0x12, 0x03, 0x61, 0x80, 0x62])), /invalid UTF-8/);
  assert.throws(() => decode(T, Buffer.from([0x12, 0x05, 0x61])), /index out of range/);
});

test('int64 and uint64 come out as the exact decimal strings, the full range', () => {
  const S = messageType('runtime.v1.StopContainerRequest'); // timeout: int64
  fc.assert(fc.property(fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }), (n) => {
    assert.equal(decode<{ timeout: string }>(S, encode(S, { timeout: n.toString() })).timeout, n.toString());
  }));
  const U = messageType('runtime.v1.UInt64Value');
  for (const n of [0n, 1n, (1n << 53n) + 1n, (1n << 64n) - 1n]) {
    assert.equal(decode<{ value: string }>(U, encode(U, { value: n.toString() })).value, n.toString());
  }
});
