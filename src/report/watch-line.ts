// `ctrdoc watch`'s lines: for a person, one line each
//   TIME KIND WHO: MESSAGE
//   2026-12-03T12:09:20.123Z shim-exit               ctrdoc-lab/web-0: shim 4100 exited; ...
// (WHO: namespace/pod, then the container's name and #attempt, "(sandbox)" for the pod's own, or
// the container id when no name is known; absent for the stack's own lines), and for a program
// one JSON object per line with the same fields, in a fixed order.
import type { WatchLine } from '../snapshot/types/watch.ts';
import { shortId } from '../ids.ts';

export type WatchFormat = 'text' | 'json';
export const WATCH_FORMATS: WatchFormat[] = ['text', 'json'];

/** The longest kind, so the text's columns line up. */
const KIND_WIDTH = 'containerd-unresponsive'.length;

const FIELD_ORDER: (keyof WatchLine)[] = [
  'time', 'kind', 'source', 'severity', 'pod', 'podSandboxId', 'container', 'sandbox', 'containerId', 'attempt', 'pid', 'role',
  'message', 'topic', 'exitStatus', 'ageSec', 'state', 'previousState', 'incident',
];

/** Who a line is about, as a person reads it: "ns/pod app#2", "ns/pod (sandbox)", an id, or ''. */
export function watchWho(l: WatchLine): string {
  const attempt = l.attempt ? `#${l.attempt}` : '';
  if (l.pod) return `${l.pod}${l.sandbox ? ' (sandbox)' : l.container ? ` ${l.container}${attempt}` : l.containerId ? ` ${shortId(l.containerId)}` : ''}`;
  if (l.container) return `${l.container}${attempt}`;
  if (l.containerId) return shortId(l.containerId);
  if (l.podSandboxId) return `pod ${shortId(l.podSandboxId)}`;
  return '';
}

// eslint-disable-next-line no-control-regex
const oneLine = (text: string) => text.replace(/[\x00-\x1f\x7f]+/g, ' ');

const COLOR: Record<string, string> = { critical: '31;1', warning: '33;1' };

export function renderWatchLine(l: WatchLine, format: WatchFormat, o: { color?: boolean } = {}): string {
  if (format === 'json') {
    const out: Record<string, unknown> = {};
    for (const k of FIELD_ORDER) if (l[k] !== undefined) out[k] = l[k];
    return JSON.stringify(out) + '\n';
  }
  // one line, whatever a name or a message carries (no newline, no terminal control)
  const who = oneLine(watchWho(l));
  const kind = l.kind.padEnd(KIND_WIDTH);
  const colored = o.color && l.severity && COLOR[l.severity] ? `\x1b[${COLOR[l.severity]}m${kind}\x1b[0m` : kind;
  return `${oneLine(l.time)} ${colored} ${who ? `${who}: ` : ''}${oneLine(l.message)}\n`;
}
