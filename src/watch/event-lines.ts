// containerd's events and CRI's container events as watch lines, named by pod and container.
// Pure: an event and a name lookup in, a line out.
import type { ContainerdEvent } from '../sources/containerd/events.ts';
import type { ContainerEventView } from '../sources/cri/client.ts';
import type { WatchKind, WatchLine, WatchSubject } from '../snapshot/types/watch.ts';
import type { Names } from './types.ts';

export type NameOf = (id: string) => Names | undefined;

const KIND_OF_TYPE: Record<string, WatchKind> = {
  TaskCreate: 'task-create',
  TaskStart: 'task-start',
  TaskExit: 'task-exit',
  TaskDelete: 'task-delete',
  TaskOOM: 'task-oom',
  TaskExecAdded: 'exec-add',
  TaskExecStarted: 'exec-start',
  TaskPaused: 'task-pause',
  TaskResumed: 'task-resume',
  TaskCheckpointed: 'task-checkpoint',
  ContainerCreate: 'container-create',
  ContainerUpdate: 'container-update',
  ContainerDelete: 'container-delete',
  ImageCreate: 'image-create',
  ImageUpdate: 'image-update',
  ImageDelete: 'image-delete',
  SandboxCreate: 'sandbox-create',
  SandboxStart: 'sandbox-start',
  SandboxExit: 'sandbox-exit',
};

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined);

/** The container (or sandbox) id an event is about, when it names one. */
export function eventSubjectId(e: ContainerdEvent): string | undefined {
  const p = e.payload;
  if (!p) return undefined;
  return str(p.containerId) || str(p.sandboxId) || (e.type.startsWith('containerd.events.Container') ? str(p.id) : '') || undefined;
}

/** Who an id is, from the names known: pod, container, sandbox or not. */
export function subjectOfId(id: string, names: Names | undefined): WatchSubject {
  const out: WatchSubject = { containerId: id };
  if (!names) return out;
  if (names.pod) out.pod = names.pod;
  if (names.podSandboxId) out.podSandboxId = names.podSandboxId;
  if (names.sandbox) out.sandbox = true;
  else if (names.container) out.container = names.container;
  if (names.attempt !== undefined && !names.sandbox) out.attempt = names.attempt;
  return out;
}

/** "sandbox task", "task": what a task event's subject is. */
const taskWord = (s: WatchSubject) => (s.sandbox ? 'sandbox task' : 'task');

/** What a task or exec event's message is made of. */
interface TaskFacts {
  task: string;
  /** "?" when the event carries none */
  pid: string;
  exec: string;
  status: number;
}

/** The message of each task and exec event, as a table (a checkpoint is the rest). */
const TASK_MESSAGE: Partial<Record<WatchKind, (f: TaskFacts) => string>> = {
  'task-create': (f) => `${f.task} created: runc init ${f.pid} waits for its start`,
  'task-start': (f) => `${f.task} started (pid ${f.pid})`,
  'task-exit': (f) => (f.exec ? `exec ${f.exec} (pid ${f.pid}) exited with status ${f.status}` : `${f.task} exited with status ${f.status} (pid ${f.pid})`),
  'task-delete': (f) => (f.exec ? `exec ${f.exec} deleted` : `${f.task} deleted (exit status ${f.status})`),
  'task-oom': () => 'out of memory: the kernel\'s OOM killer acted in this container\'s cgroup',
  'exec-add': (f) => `exec ${f.exec} added`,
  'exec-start': (f) => `exec ${f.exec} started (pid ${f.pid})`,
  'task-pause': (f) => `${f.task} paused (its cgroup is frozen)`,
  'task-resume': (f) => `${f.task} resumed`,
};

/** The exec a task event is about: its execId, else an id that is not the container's. */
function execOf(p: Record<string, unknown>): string {
  if (str(p.execId)) return str(p.execId);
  return str(p.id) && str(p.id) !== str(p.containerId) ? str(p.id) : '';
}

function taskMessage(kind: WatchKind, p: Record<string, unknown>, s: WatchSubject): string {
  const f: TaskFacts = { task: taskWord(s), pid: String(num(p.pid) ?? '?'), exec: execOf(p), status: num(p.exitStatus) ?? 0 };
  return (TASK_MESSAGE[kind] ?? ((x: TaskFacts) => `${x.task} checkpointed`))(f);
}

function otherMessage(kind: WatchKind, p: Record<string, unknown>): string {
  const runtime = p.runtime && typeof p.runtime === 'object' ? str((p.runtime as Record<string, unknown>).name) : '';
  switch (kind) {
    case 'container-create': return `container created in containerd${str(p.image) ? ` (image ${str(p.image)}` : ''}${runtime ? `${str(p.image) ? ', ' : ' ('}runtime ${runtime}` : ''}${str(p.image) || runtime ? ')' : ''}`;
    case 'container-update': return 'container updated in containerd';
    case 'container-delete': return 'container deleted from containerd';
    case 'image-create': return `image ${str(p.name)} created`;
    case 'image-update': return `image ${str(p.name)} updated`;
    case 'image-delete': return `image ${str(p.name)} deleted`;
    case 'sandbox-create': return 'sandbox created';
    case 'sandbox-start': return 'sandbox started';
    default: return `sandbox exited with status ${num(p.exitStatus) ?? 0}`;
  }
}

/**
 * One containerd event as a line. `receivedAt` dates an envelope without a time. An event of a
 * type ctrdoc does not decode is still a line (kind 'event'), saying its topic and why.
 */
export function containerdEventLine(e: ContainerdEvent, nameOf: NameOf, receivedAt: number): WatchLine {
  const time = e.timestamp || new Date(receivedAt).toISOString();
  const short = e.type.slice(e.type.lastIndexOf('.') + 1);
  const kind = KIND_OF_TYPE[short];
  if (!e.payload || !kind) {
    return { time, kind: 'event', source: 'containerd', topic: e.topic, message: `${e.topic || '(no topic)'}: ${e.error ?? `type ${e.type || '(none)'} is not one ctrdoc names`}` };
  }
  const id = eventSubjectId(e);
  const subject = id ? subjectOfId(id, nameOf(id)) : {};
  const p = e.payload;
  const pid = num(p.pid);
  const line: WatchLine = {
    time, kind, source: 'containerd', topic: e.topic, ...subject, ...(pid ? { pid } : {}),
    message: kind.startsWith('task-') || kind.startsWith('exec-') ? taskMessage(kind, p, subject) : otherMessage(kind, p),
  };
  if (kind === 'task-exit' || kind === 'task-delete' || kind === 'sandbox-exit') line.exitStatus = num(p.exitStatus) ?? 0;
  if (kind === 'task-oom' || kind === 'task-pause') line.severity = 'warning';
  return line;
}

const CRI_KIND: Record<ContainerEventView['containerEventType'], WatchKind> = {
  CONTAINER_CREATED_EVENT: 'cri-created',
  CONTAINER_STARTED_EVENT: 'cri-started',
  CONTAINER_STOPPED_EVENT: 'cri-stopped',
  CONTAINER_DELETED_EVENT: 'cri-deleted',
};

/** Nanoseconds since the epoch (int64 as a decimal string) → ms; NaN when it is not one. */
export function nanosToMs(ns: string | number | undefined): number {
  const t = typeof ns === 'number' ? String(Math.trunc(ns)) : ns ?? '';
  return /^-?\d{1,30}$/.test(t) ? Number(BigInt(t) / 1_000_000n) : NaN;
}

/** The names a CRI event carries: its pod's, and each container status's. */
export function namesOfCriEvent(e: ContainerEventView): [string, Names][] {
  const sb = e.podSandboxStatus;
  const md = sb?.metadata;
  const pod = md?.namespace && md.name ? `${md.namespace}/${md.name}` : undefined;
  const out: [string, Names][] = [];
  if (sb?.id) out.push([sb.id, { pod, podSandboxId: sb.id, sandbox: true }]);
  for (const c of e.containersStatuses ?? []) {
    if (c?.id && c.id !== sb?.id) out.push([c.id, { pod, podSandboxId: sb?.id || undefined, container: c.metadata?.name || undefined, attempt: c.metadata?.attempt }]);
  }
  return out;
}

/**
 * One CRI container event as a line (what kubelet's Evented PLEG would learn), named by what it
 * carries, else by what earlier events and lists said (a deleted pod's last event carries no status).
 */
export function criEventLine(e: ContainerEventView, nameOf: NameOf, receivedAt: number): WatchLine {
  const ms = nanosToMs(e.createdAt);
  // a time a Date can hold (±8.64e15 ms), else when it was received
  const time = new Date(Number.isFinite(ms) && ms > 0 && ms <= 8.64e15 ? ms : receivedAt).toISOString();
  const kind = CRI_KIND[e.containerEventType] ?? 'event';
  const names = new Map(namesOfCriEvent(e));
  const subject = subjectOfId(e.containerId, names.get(e.containerId)?.pod ? names.get(e.containerId) : nameOf(e.containerId) ?? names.get(e.containerId));
  const status = (e.containersStatuses ?? []).find((c) => c?.id === e.containerId);
  const what = subject.sandbox ? 'pod sandbox' : 'container';
  const verb = kind === 'event' ? `event ${String(e.containerEventType)}` : kind.slice(4);
  const line: WatchLine = { time, kind, source: 'cri', ...subject, message: `CRI: ${what} ${verb}` };
  if (kind === 'cri-stopped' && status && !subject.sandbox) {
    line.exitStatus = status.exitCode;
    line.message += ` (exit code ${status.exitCode}${status.reason ? `, ${status.reason}` : ''})`;
  }
  return line;
}
