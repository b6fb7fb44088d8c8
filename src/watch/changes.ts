// What changed between two successive views of the stack, as lines: pure (no I/O, no clock), so
// "no change, no line" and "a line per real change" are properties a test can check.
// What is judged a change, and why:
//  - containerd: exited, started, restarted (another pid or start time), not answering its API
//    within the deadline, and answering again;
//  - a shim appearing or exiting (a shim's start and exit are what a pod's life looks like from
//    /proc; whether an exit was a death the diagnosis says, from the log and the leftovers); a
//    shim that is a zombie has exited (init, its parent, may reap it much later);
//  - a stack process entering T, t, D or Z, and leaving it: T and t at once (they stay until
//    someone lets them go), D and Z only once two polls in a row saw them (a D lasts milliseconds
//    in an fsync, a zombie until its parent reaps it a moment later);
//  - a runc init parked on exec.fifo: once two polls in a row saw it (a normal start unparks it
//    within milliseconds), then each time its age crosses a mark (--stuck-after, 5 min, ...), and
//    when it leaves (started, or its container removed).
import { processStates } from '../rules/process-state.ts';
import type { Severity } from '../snapshot/types/findings.ts';
import type { WatchLine, WatchRole, WatchSubject } from '../snapshot/types/watch.ts';
import type { SeenParkedInit, SeenProcess, WatchView } from './types.ts';
import { formatAge } from './age.ts';

export interface ChangeOptions {
  /** a runc init parked this long is stuck (the doctor's --stuck-after) */
  stuckAfterSec: number;
  /** containerd's socket, for the lines that say nothing serves it */
  address?: string;
}

/** The ages worth a line for a parked init: --stuck-after, then 5 min, 15 min, 1 h, 6 h, 24 h. */
export function ageMarks(stuckAfterSec: number): number[] {
  return [...new Set([stuckAfterSec, 300, 900, 3600, 6 * 3600, 24 * 3600].filter((m) => m >= stuckAfterSec))].sort((a, b) => a - b);
}

/**
 * The view a poll observed, with what carries over from the previous one: how many polls in a
 * row saw each process in its state, and each init parked.
 */
export function nextView(prev: WatchView | undefined, observed: WatchView): WatchView {
  const processes = new Map<string, SeenProcess>();
  for (const [k, p] of observed.processes) {
    const before = prev?.processes.get(k);
    processes.set(k, { ...p, polls: before && before.state === p.state ? before.polls + 1 : 1 });
  }
  const parked = new Map<string, SeenParkedInit>();
  for (const [k, x] of observed.parked) {
    const before = prev?.parked.get(k);
    parked.set(k, { ...x, polls: before ? before.polls + 1 : 1 });
  }
  return { ...observed, processes, parked };
}

const ABNORMAL = new Set(['T', 't', 'D', 'Z']);
const isStoppedState = (s: string) => s === 'T' || s === 't';

/** A process in a state worth a line: T or t at once, D or Z from the second poll (a dead shim is said as its exit). */
export function stateReported(p: SeenProcess | undefined): boolean {
  if (!p || !ABNORMAL.has(p.state) || (p.role === 'shim' && p.state === 'Z')) return false;
  return isStoppedState(p.state) || p.polls >= 2;
}

/** Not dead: a zombie has exited, whenever its parent (init, for a shim) gets round to reaping it. */
const alive = (p: SeenProcess | undefined): p is SeenProcess => !!p && p.state !== 'Z' && p.state !== 'X';

/** An init parked long enough to be no normal start. */
export const parkedReported = (x: SeenParkedInit | undefined): boolean => !!x && x.polls >= 2;

const ROLE_NAME: Record<WatchRole, string> = {
  containerd: 'containerd',
  shim: 'shim',
  runc: 'runc',
  'runc-init': 'runc init',
  pause: 'pause',
  container: 'container process',
};

function processName(p: SeenProcess): string {
  const what = p.role === 'runc' && p.action ? `runc ${p.action}` : ROLE_NAME[p.role];
  return `${what} ${p.pid}`;
}

function subjectOf(x: WatchSubject): WatchSubject {
  const out: WatchSubject = {};
  for (const k of ['pod', 'podSandboxId', 'container', 'sandbox', 'containerId', 'attempt', 'pid'] as const) {
    if (x[k] !== undefined) (out as Record<string, unknown>)[k] = x[k];
  }
  return out;
}

function stateSeverity(p: SeenProcess): Severity {
  if (p.state === 'Z') return 'warning';
  return p.role === 'pause' || p.role === 'container' ? 'warning' : 'critical';
}

const stateName = (s: string) => processStates[s]?.name ?? `in state ${s}`;

type Emit = (l: Omit<WatchLine, 'time'>) => void;

/** " (id X)" for a shim no pod names yet: its id is all a reader has. */
const shimIdNote = (p: SeenProcess) => (p.pod || !p.shimId ? '' : ` (id ${p.shimId})`);

/** A process seen now: a shim that appeared, a state that became worth a line. */
function processSeen(p: SeenProcess, before: SeenProcess | undefined, first: boolean, line: Emit): void {
  if (p.role === 'shim' && !first && !before && alive(p)) {
    line({ kind: 'shim-start', source: 'proc', ...subjectOf(p), message: `shim ${p.pid} started${shimIdNote(p)}` });
  }
  if (stateReported(p) && !stateReported(before)) {
    line({
      kind: 'process-state', source: 'proc', severity: stateSeverity(p), ...subjectOf(p), role: p.role, state: p.state,
      ...(before ? { previousState: before.state } : {}),
      message: `${processName(p)} is ${stateName(p.state)}`,
    });
  }
}

function clearedMessage(before: SeenProcess, p: SeenProcess | undefined): string {
  const was = stateName(before.state);
  if (p) return `${processName(before)} is no longer ${was} (now ${p.state})`;
  return before.state === 'Z' ? `${processName(before)} was reaped` : `${processName(before)} exited while ${was}`;
}

/** The container processes a shim ran a poll before it went (its runc calls and zombies not counted). */
function childrenOf(view: WatchView, pid: number): number {
  return [...view.processes.values()].filter((c) => c.ppid === pid && c.role !== 'runc' && c.role !== 'runc-init' && c.state !== 'Z').length;
}

/** A process seen before: its state no longer worth a line, or a shim that exited. */
function processGone(prev: WatchView, before: SeenProcess, p: SeenProcess | undefined, line: Emit): void {
  if (stateReported(before) && !stateReported(p)) {
    line({
      kind: 'process-state-cleared', source: 'proc', severity: 'info', ...subjectOf(before), role: before.role, previousState: before.state,
      ...(p ? { state: p.state } : {}),
      message: clearedMessage(before, p),
    });
  }
  if (before.role === 'shim' && alive(before) && !alive(p)) {
    const under = childrenOf(prev, before.pid);
    line({
      kind: 'shim-exit', source: 'proc', ...subjectOf(before),
      message: `shim ${before.pid} exited${shimIdNote(before)}; a poll before, ${under} container process${under === 1 ? '' : 'es'} ran under it`,
    });
  }
}

function processLines(prev: WatchView | undefined, next: WatchView, line: Emit): void {
  for (const [k, p] of next.processes) processSeen(p, prev?.processes.get(k), !prev, line);
  if (!prev) return;
  for (const [k, before] of prev.processes) processGone(prev, before, next.processes.get(k), line);
}

function initName(x: SeenParkedInit): string {
  return `runc init${x.pid !== undefined ? ` ${x.pid}` : ''}`;
}

function parkedLines(prev: WatchView | undefined, next: WatchView, o: ChangeOptions, line: Emit): void {
  const marks = ageMarks(o.stuckAfterSec);
  for (const [k, x] of next.parked) {
    const before = prev?.parked.get(k);
    const age = Math.max(0, (next.at - x.createdAtMs) / 1000);
    if (parkedReported(x) && !parkedReported(before)) {
      const stuck = age >= o.stuckAfterSec;
      line({
        kind: 'runc-init-parked', source: 'runc', severity: stuck ? 'critical' : 'warning', ...subjectOf(x), ageSec: Math.round(age),
        message: `${initName(x)} parked on exec.fifo (runc create, no start) for ${formatAge(age)}${stuck ? `: stuck (past --stuck-after ${formatAge(o.stuckAfterSec)})` : ''}`,
      });
    } else if (parkedReported(x) && before && prev) {
      const ageBefore = (prev.at - before.createdAtMs) / 1000;
      const crossed = marks.filter((m) => ageBefore < m && age >= m).pop();
      if (crossed !== undefined) {
        line({
          kind: 'runc-init-stuck', source: 'runc', severity: 'critical', ...subjectOf(x), ageSec: Math.round(age),
          message: `${initName(x)} still parked on exec.fifo after ${formatAge(crossed)}${crossed === o.stuckAfterSec ? ' (--stuck-after): stuck' : ''}`,
        });
      }
    }
  }
  if (!prev) return;
  for (const [k, before] of prev.parked) {
    if (next.parked.has(k) || !parkedReported(before)) continue;
    const age = Math.max(0, (next.at - before.createdAtMs) / 1000);
    const started = next.runcIds.has(k);
    line({
      kind: 'runc-init-unparked', source: 'runc', severity: 'info', ...subjectOf(before), ageSec: Math.round(age),
      message: `${initName(before)} is no longer parked after ${formatAge(age)}: ${started ? 'started' : 'its container was removed (or the init died)'}`,
    });
  }
}

/** containerd's process: gone, none from the start, started, or another one (pid or start time). */
function containerdProcessLine(prev: WatchView | undefined, next: WatchView, where: string): Omit<WatchLine, 'time'> | undefined {
  const a = prev?.containerd;
  const b = next.containerd;
  if (a && !b) return { kind: 'containerd-exit', source: 'proc', severity: 'critical', pid: a.pid, message: `containerd ${a.pid} exited: nothing${where}` };
  if (!prev && !b) return { kind: 'containerd-exit', source: 'proc', severity: 'critical', message: `no containerd${where}` };
  if (prev && !a && b) return { kind: 'containerd-start', source: 'proc', severity: 'info', pid: b.pid, message: `containerd started: pid ${b.pid}` };
  if (a && b && (a.pid !== b.pid || a.starttime !== b.starttime)) {
    return { kind: 'containerd-restart', source: 'proc', severity: 'warning', pid: b.pid, message: `containerd restarted: pid ${a.pid} -> ${b.pid}` };
  }
  return undefined;
}

/** containerd's API: stopped answering (while its process is there), or answering again. */
function containerdApiLine(prev: WatchView | undefined, next: WatchView): Omit<WatchLine, 'time'> | undefined {
  const b = next.containerd;
  const was = prev?.api.answering;
  const now = next.api.answering;
  if (now === false && was !== false && b) {
    return { kind: 'containerd-unresponsive', source: 'api', severity: 'critical', pid: b.pid, message: `containerd ${b.pid} does not answer: ${next.api.error ?? 'no answer within its deadline'}` };
  }
  if (now !== true || was !== false || !prev) return undefined;
  const gone = Math.max(0, (next.api.since - prev.api.since) / 1000);
  const pid = b ? ` ${b.pid}` : '';
  const latency = next.api.latencyMs !== undefined ? ` (in ${Math.round(next.api.latencyMs)} ms)` : '';
  return {
    kind: 'containerd-answering', source: 'api', severity: 'info', ...(b ? { pid: b.pid } : {}), ageSec: Math.round(gone),
    message: `containerd${pid} answers again${latency} after ${formatAge(gone)} without an answer`,
  };
}

function containerdLines(prev: WatchView | undefined, next: WatchView, o: ChangeOptions, line: Emit): void {
  const where = o.address ? ` serves ${o.address}` : ' serves the socket';
  for (const l of [containerdProcessLine(prev, next, where), containerdApiLine(prev, next)]) if (l) line(l);
}

/**
 * The lines between two views, each at next.at. With no previous view (the first poll) only
 * what is wrong already: no containerd, stopped processes (parked inits and D or Z states need
 * a second poll, like every later one).
 */
export function changesBetween(prev: WatchView | undefined, next: WatchView, o: ChangeOptions): WatchLine[] {
  const out: WatchLine[] = [];
  const time = new Date(next.at).toISOString();
  const line = (l: Omit<WatchLine, 'time'>) => out.push({ time, ...l });
  containerdLines(prev, next, o, line);
  processLines(prev, next, line);
  parkedLines(prev, next, o, line);
  return out;
}
