// protobuf message types for every API ctrdoc speaks, from the descriptor that the build
// compiles out of proto/*.proto (no .proto text is parsed at run time).
import protobuf from 'protobufjs/light.js';
import descriptor from '../../generated/descriptor.json' with { type: 'json' };

let root: protobuf.Root | undefined;

function loadRoot(): protobuf.Root {
  root ??= protobuf.Root.fromJSON(descriptor as protobuf.INamespace);
  return root;
}

export type MessageType = protobuf.Type;

/** The message type by full name, e.g. "runtime.v1.ListPodSandboxRequest". */
export function messageType(fullName: string): MessageType {
  return loadRoot().lookupType(fullName);
}

/** The request and response types of a service method, e.g. ("runtime.v1.RuntimeService", "Version"). */
export function methodTypes(service: string, method: string): { request: MessageType; response: MessageType; serverStream: boolean } {
  const svc = loadRoot().lookupService(service);
  const m = svc.methods[method];
  if (!m) throw new Error(`no method ${service}/${method} in ctrdoc's proto subset`);
  m.resolve();
  return { request: m.resolvedRequestType!, response: m.resolvedResponseType!, serverStream: !!m.responseStream };
}

/** Decoding options: protobuf's JSON mapping with defaults, as crictl's -o json shows them. */
export const toObjectOptions: protobuf.IConversionOptions = {
  longs: String,
  enums: String,
  bytes: String,
  defaults: true,
  arrays: true,
  objects: true,
};

export function encode(type: MessageType, value: object): Uint8Array {
  // fromObject takes the JSON mapping (int64 as strings, enums by name); verify the result.
  const msg = type.fromObject(value);
  const err = type.verify(msg);
  if (err) throw new Error(`${type.fullName}: ${err}`);
  return type.encode(msg).finish();
}

export function decode<T>(type: MessageType, bytes: Uint8Array): T {
  return type.toObject(type.decode(bytes), toObjectOptions) as T;
}

/** google.protobuf.Timestamp as decoded ({seconds: "..", nanos}) to an ISO string, "" when unset. */
export function timestampToIso(ts: { seconds?: string | number; nanos?: number } | null | undefined): string {
  // unset, or Go's zero time (0001-01-01), which containerd sends for "not exited"
  if (!ts || (!Number(ts.seconds) && !ts.nanos) || Number(ts.seconds) <= -62135596800) return '';
  return new Date(Number(ts.seconds) * 1000 + Math.floor((ts.nanos ?? 0) / 1e6)).toISOString();
}
