// containerd's events as Events.Subscribe streams them: an Envelope (when, namespace, topic)
// around a google.protobuf.Any whose type URL names the payload's message
// (containerd.events.TaskExit, ...; proto/containerd_event_types.proto). Decoded here into plain
// data; a payload of a type ctrdoc does not know, or one that does not decode, is kept with why.
import { decode, messageType, timestampToIso } from '../protocol/codecs.ts';

/** An Envelope as the generated codec decodes it (bytes as base64). */
export interface RawEnvelope {
  timestamp?: { seconds: string | number; nanos: number } | null;
  namespace?: string;
  topic?: string;
  event?: { typeUrl?: string; value?: string } | null;
}

export interface ContainerdEvent {
  /** when containerd published it (ISO), '' when the envelope had no time */
  timestamp: string;
  namespace: string;
  /** /tasks/exit, /containers/create, ... */
  topic: string;
  /** the payload's message name: containerd.events.TaskExit */
  type: string;
  /** the payload's fields (protobuf's JSON mapping: camelCase, uint32 as numbers) */
  payload?: Record<string, unknown>;
  /** why the payload is not there: an unknown type, or bytes that do not decode */
  error?: string;
}

/** The payload types ctrdoc decodes (the messages of proto/containerd_event_types.proto and the image events). */
export const KNOWN_EVENT_TYPES: ReadonlySet<string> = new Set([
  'TaskCreate', 'TaskStart', 'TaskDelete', 'TaskExit', 'TaskOOM', 'TaskExecAdded', 'TaskExecStarted', 'TaskPaused', 'TaskResumed', 'TaskCheckpointed',
  'ContainerCreate', 'ContainerUpdate', 'ContainerDelete', 'SandboxCreate', 'SandboxStart', 'SandboxExit',
].map((n) => `containerd.events.${n}`).concat(['ImageCreate', 'ImageUpdate', 'ImageDelete'].map((n) => `containerd.services.images.v1.${n}`)));

/** A type URL as containerd writes it ("containerd.events.TaskExit", or with a "types.googleapis.com/" prefix) → the message name. */
export function eventTypeName(typeUrl: string): string {
  return typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
}

const MAX_PAYLOAD_BYTES = 1 << 20;

export function decodeEnvelope(env: RawEnvelope): ContainerdEvent {
  const type = eventTypeName(env.event?.typeUrl ?? '');
  const out: ContainerdEvent = {
    timestamp: timestampToIso(env.timestamp ?? undefined),
    namespace: env.namespace ?? '',
    topic: env.topic ?? '',
    type,
  };
  if (!type) {
    out.error = 'the envelope carries no event';
  } else if (!KNOWN_EVENT_TYPES.has(type)) {
    out.error = `payload type ${type} is not one ctrdoc decodes`;
  } else {
    const bytes = Buffer.from(env.event?.value ?? '', 'base64');
    try {
      if (bytes.length > MAX_PAYLOAD_BYTES) throw new Error(`${bytes.length} bytes, more than an event carries`);
      out.payload = decode<Record<string, unknown>>(messageType(type), bytes);
    } catch (err) {
      out.error = `payload ${type} does not decode: ${(err as Error).message}`;
    }
  }
  return out;
}
