// What every layer says about one container, for the evidence of a finding about it: runc's
// state, its init's pid, state, wait channel and kernel stack, a `runc start` waiting on it, its
// shim and whether the shim answers ttrpc, containerd's task, and, when a goroutine dump was
// taken, the containerd goroutines that wait in a task Start or Create. Read from the Snapshot
// only; a layer the Snapshot lacks is left out, never guessed.
import type { GoroutineBucket, ProcessInfo, RuncContainerState, ShimView, Snapshot, TaskView, TreeProcess } from '../snapshot/types/index.ts';
import { maybe } from './rule.ts';
import { isStopped, processStates } from './process-state.ts';

/** containerd goroutines that wait on a container's task: Start (runc start) or Create (runc create). */
const WAITS_ON_A_TASK = /services\/tasks\.\(\*local\)\.(Start|Create)$|\(\*criService\)\.(StartContainer|CreateContainer)$/;
/** a wait channel that means "blocked opening a FIFO" (exec.fifo, both ends) */
const FIFO_WAIT = /fifo|wait_for_partner/;

export interface ContainerLayers {
  runc?: RuncContainerState;
  /** the container's init process (a `runc init` until runc start lets it exec) */
  init?: ProcessInfo;
  /** `runc start ID` processes still running */
  runcStarts: ProcessInfo[];
  shim?: ShimView;
  task?: TaskView;
  /** buckets of the newest containerd dump that wait in a task Start or Create */
  waitingGoroutines: GoroutineBucket[];
}

const procsOf = (s: Snapshot): Map<number, ProcessInfo> => new Map((maybe(s.proc)?.processes ?? []).map((p) => [p.pid, p]));

/** The runc subcommand's container id: runc takes it as its last argument. */
export function runcTarget(t: TreeProcess, procs: Map<number, ProcessInfo> = new Map()): string | undefined {
  const argv = procs.get(t.pid)?.cmdline ?? t.command.split(' ');
  const last = argv.at(-1);
  return last && !last.startsWith('-') && last !== t.runcAction ? last : undefined;
}

function shimOf(s: Snapshot, containerId: string, podSandboxId?: string): ShimView | undefined {
  const shims = maybe(s.tree)?.shims ?? [];
  return shims.find((x) => x.containers.includes(containerId)) ?? shims.find((x) => x.id === containerId || (podSandboxId !== undefined && x.id === podSandboxId));
}

function waitingGoroutines(s: Snapshot): GoroutineBucket[] {
  const dump = maybe(s.containerd.goroutines)?.dumps.at(-1);
  return (dump?.buckets ?? []).filter((b) => b.frames.some((f) => WAITS_ON_A_TASK.test(f.func)));
}

/** Each layer's view of one container (by id; the init pid when runc's state is not readable). */
export function containerLayers(s: Snapshot, ref: { containerId?: string; podSandboxId?: string; initPid?: number }): ContainerLayers {
  const procs = procsOf(s);
  const id = ref.containerId;
  const runc = id ? maybe(s.runc)?.containers.find((r) => r.id === id) : undefined;
  const initPid = runc?.initPid ?? ref.initPid;
  const starts = id
    ? (maybe(s.tree)?.processes ?? []).filter((t) => t.role === 'runc' && t.runcAction === 'start' && runcTarget(t, procs) === id)
    : [];
  return {
    runc,
    init: initPid ? procs.get(initPid) : undefined,
    runcStarts: starts.map((t) => procs.get(t.pid)).filter((p): p is ProcessInfo => !!p),
    shim: id ? shimOf(s, id, ref.podSandboxId) : undefined,
    task: id ? maybe(s.containerd.tasks)?.find((t) => t.id === id) : undefined,
    waitingGoroutines: id && runc?.status === 'created' ? waitingGoroutines(s) : [],
  };
}

/** `pid 1184 runc:[2:INIT] state T (stopped), wchan do_signal_stop, kernel stack a < b < c` */
export function processLine(p: ProcessInfo): string {
  const parts = [`pid ${p.pid} ${p.comm} state ${p.state}${processStates[p.state] ? ` (${processStates[p.state].name.replace(/ \(.*$/, '')})` : ''}`];
  if (p.wchan) parts.push(`wchan ${p.wchan}`);
  if (p.kernelStack?.length) parts.push(`kernel stack ${p.kernelStack.slice(0, 3).join(' < ')}`);
  return parts.join(', ');
}

/**
 * runc start's one blocking step is opening exec.fifo, in whichever of its threads Go ran it (so
 * the process's own wchan may say epoll): while runc's state still says created, it waits there.
 */
function runcStartLine(p: ProcessInfo, runc: RuncContainerState | undefined): string {
  const doing = isStopped(p.state) ? 'it does not run'
    : runc?.status === 'created' || (p.wchan && FIFO_WAIT.test(p.wchan)) ? 'waits for the init to open exec.fifo'
    : `running for ${Math.round(p.ageSec)}s`;
  return `runc start: ${processLine(p)}: ${doing}`;
}

function shimLine(shim: ShimView): string {
  const probe = shim.probe;
  const answer = !probe ? 'not asked over ttrpc' : probe.ok ? `answered ttrpc Connect in ${probe.latencyMs ?? '?'} ms` : `did not answer ttrpc Connect: ${probe.error ?? 'no answer'}`;
  return `shim: pid ${shim.pid} (state ${shim.state}) ${answer}`;
}

function goroutineLine(b: GoroutineBucket): string {
  const where = b.frames.find((f) => WAITS_ON_A_TASK.test(f.func))?.func.split('/').pop() ?? b.topFunction;
  const wait = b.waitMaxMinutes ? `, up to ${b.waitMaxMinutes} min` : '';
  return `containerd goroutines: bucket ${b.id}: ${b.count} in ${where} [${b.state}${wait}]`;
}

/** The pod and container a container id belongs to: from a tree process of it, else CRI. */
export function containerRefOf(s: Snapshot, id: string): Pick<TreeProcess, 'pod' | 'container'> {
  const t = maybe(s.tree)?.processes.find((x) => x.container?.id === id);
  if (t) return { pod: t.pod, container: t.container };
  const c = maybe(s.cri.containers)?.find((x) => x.id === id);
  const pod = c && maybe(s.cri.pods)?.find((p) => p.id === c.podSandboxId);
  return {
    pod: c ? { sandboxId: c.podSandboxId, namespace: pod?.metadata.namespace, name: pod?.metadata.name } : undefined,
    container: { id, name: c?.metadata.name, attempt: c?.metadata.attempt },
  };
}

export type LayerName = 'runc' | 'init' | 'runcStart' | 'shim' | 'task' | 'goroutines';

/** The evidence lines, one per layer the Snapshot has something on; `omit` leaves out layers already shown. */
export function layerEvidence(l: ContainerLayers, omit: LayerName[] = []): string[] {
  const lines: [LayerName, string][] = [];
  if (l.runc) lines.push(['runc', `runc: ${l.runc.status} (${l.runc.statusReason})${l.runc.initPid ? `, init pid ${l.runc.initPid}${l.runc.initAlive ? '' : ' (gone)'}` : ''}`]);
  if (l.init) lines.push(['init', `init: ${processLine(l.init)}`]);
  for (const p of l.runcStarts) lines.push(['runcStart', runcStartLine(p, l.runc)]);
  if (l.shim) lines.push(['shim', shimLine(l.shim)]);
  if (l.task) lines.push(['task', `containerd task: ${l.task.status}${l.task.pid ? `, pid ${l.task.pid}` : ''}`]);
  for (const b of l.waitingGoroutines) lines.push(['goroutines', goroutineLine(b)]);
  return lines.filter(([k]) => !omit.includes(k)).map(([, line]) => line);
}
