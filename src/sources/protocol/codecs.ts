// protobuf codecs for every API ctrdoc speaks (CRI, containerd, the shim's task API, ttrpc),
// generated at build time from proto/*.proto as static code (scripts/build.mjs): nothing is
// parsed or compiled with `new Function` at run time, so the launcher's code cache keeps it all.
// Values in and out use protobuf's JSON mapping as crictl -o json shows it (int64 as strings,
// enums by name, bytes as base64, defaults filled in).
import type { IConversionOptions, Writer } from 'protobufjs';
import codecs from '../../generated/codecs.cjs';
import methods from '../../generated/methods.json' with { type: 'json' };

/** A generated message class, as the static code defines it. */
interface StaticMessage {
  encode(message: unknown): Writer;
  decode(bytes: Uint8Array): Record<string, unknown>;
  fromObject(value: object): unknown;
  toObject(message: unknown, options?: IConversionOptions): Record<string, unknown>;
}

export interface MessageType extends StaticMessage {
  /** e.g. "runtime.v1.ListPodSandboxRequest" */
  readonly fullName: string;
}

const types = new Map<string, MessageType>();

/** The message type by full name, e.g. "runtime.v1.ListPodSandboxRequest". */
export function messageType(fullName: string): MessageType {
  let t = types.get(fullName);
  if (t) return t;
  let node: unknown = codecs;
  for (const part of fullName.split('.')) node = node && Object.hasOwn(node, part) ? (node as Record<string, unknown>)[part] : undefined;
  const cls = node as StaticMessage | undefined;
  if (typeof cls?.decode !== 'function') throw new Error(`no message ${fullName} in ctrdoc's proto subset`);
  t = {
    fullName,
    encode: (m) => cls.encode(m),
    decode: (b) => cls.decode(b),
    fromObject: (v) => cls.fromObject(v),
    toObject: (m, o) => cls.toObject(m, o),
  };
  types.set(fullName, t);
  return t;
}

const methodTable = methods as unknown as Record<string, Record<string, [string, string, boolean]>>;

/** The request and response types of a service method, e.g. ("runtime.v1.RuntimeService", "Version"). */
export function methodTypes(service: string, method: string): { request: MessageType; response: MessageType; serverStream: boolean } {
  const m = Object.hasOwn(methodTable, service) && Object.hasOwn(methodTable[service], method) ? methodTable[service][method] : undefined;
  if (!m) throw new Error(`no method ${service}/${method} in ctrdoc's proto subset`);
  return { request: messageType(m[0]), response: messageType(m[1]), serverStream: m[2] };
}

/** Decoding options: protobuf's JSON mapping with defaults, as crictl's -o json shows them. */
export const toObjectOptions: IConversionOptions = {
  longs: String,
  enums: String,
  bytes: String,
  defaults: true,
  arrays: true,
  objects: true,
};

/** Encodes a value in the JSON mapping (int64 as strings or numbers, enums by name or number). */
export function encode(type: MessageType, value: object): Uint8Array {
  // fromObject throws on a wrong shape (an object expected where a scalar is, and the reverse)
  try {
    return type.encode(type.fromObject(value)).finish();
  } catch (err) {
    throw new Error(`${type.fullName}: ${(err as Error).message}`);
  }
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
