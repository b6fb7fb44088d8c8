// `ctrdoc watch`'s engine: follows one containerd and says what changes, one line each.
//  - containerd's events: one Events.Subscribe (namespace and topics filtered by containerd),
//    renewed under a deadline (follow.ts); CRI's GetContainerEvents only where the version gives
//    every reader each event (layout.ts criEventsServing: 2.x; never on 1.7, whose one channel
//    would give a second reader the events kubelet's Evented PLEG waits for);
//  - every interval: the /proc and runc poll (poll.ts, no RPC) and one Version call to
//    containerd under its deadline; while containerd does not answer, one call with a long
//    deadline stays open instead, so its answer says at once that it is back and a hung
//    containerd gets one call a while, not one a tick;
//  - names: runc's labels, and CRI's and containerd's lists when an id is new (list calls only);
//  - the doctor's diagnosis (injected: the CLI's collection and the same rules and incidents as
//    `doctor`), as often as schedule.ts allows.
// It never ends on its own account: a stopped, hung, restarted or missing containerd is
// something to say, not a reason to stop.
import { CtrdocError } from '../errors.ts';
import { formatMs } from '../deadline.ts';
import type { StackLocation } from '../snapshot/types/index.ts';
import type { WatchLine } from '../snapshot/types/watch.ts';
import type { Incident } from '../incidents/index.ts';
import { openContainerd, type ContainerdClient } from '../sources/containerd/client.ts';
import { openCri, type ContainerEventView, type CriClient } from '../sources/cri/client.ts';
import type { ContainerdEvent } from '../sources/containerd/events.ts';
import { criEventsServing, familyOf, type CriEventsServing } from '../sources/containerd/layout.ts';
import { containerdDaemonsOf } from '../sources/containerd/discover.ts';
import { parseCmdline } from '../sources/proc/parse.ts';
import { readSmall } from '../sources/proc/scan.ts';
import { changesBetween, nextView } from './changes.ts';
import { containerdEventLine, criEventLine, eventSubjectId, namesOfCriEvent, nanosToMs } from './event-lines.ts';
import { StreamFollower } from './follow.ts';
import { incidentChanges, type Found, type OpenIncident } from './incident-changes.ts';
import { NameBook, namesFromContainerdLabels, namesFromCri } from './names.ts';
import { StackPoller } from './poll.ts';
import { DEFAULT_DIAGNOSIS_POLICY, diagnosisDue, type DiagnosisPolicy, type DiagnosisState } from './schedule.ts';
import type { ApiSeen, WatchView } from './types.ts';

export interface WatchOptions {
  stack: StackLocation;
  /** the poll's interval, ms (default 2 s) */
  intervalMs: number;
  /** each call's deadline (the ping, the lists), ms */
  callTimeoutMs: number;
  stuckAfterSec: number;
  /** the doctor's diagnosis: its incidents now (undefined: no diagnosis); told the containerd the watch follows */
  diagnose?: (o: { containerdPid?: number }) => Promise<Incident[]>;
  policy?: Partial<DiagnosisPolicy>;
  /** read CRI's events where the version fans them out (default true) */
  criEvents?: boolean;
  /** only lines about this pod (sandbox id or its start, name, namespace/name) and the stack's own */
  pod?: string;
  emit: (line: WatchLine) => void;
  /** what the watch says about itself (stderr) */
  note: (text: string) => void;
}

/** While containerd does not answer, one Version call waits this long for it. */
const LONG_PING_MS = 30_000;
/** A line about an id with no names yet waits this long for the lists that name it. */
const NAME_WAIT_MS = 1500;
const NAMES_MIN_GAP_MS = 1000;
const NAMES_REFRESH_MS = 5 * 60_000;
const NAMES_FORGET_MS = 15 * 60_000;

/**
 * Kinds that ask for a diagnosis soon: a change of the stack's health the doctor judges (and a
 * task that exits with a failure, not a stop's SIGKILL or SIGTERM: a crash loop's attempts).
 */
const DIAGNOSE_ON = new Set<WatchLine['kind']>([
  'runc-init-parked', 'runc-init-stuck', 'runc-init-unparked', 'shim-exit', 'process-state', 'process-state-cleared',
  'containerd-start', 'containerd-exit', 'containerd-restart', 'containerd-unresponsive', 'containerd-answering', 'task-oom', 'task-pause',
]);

/** Does the line concern this pod (or the stack as a whole, which is every pod's concern)? */
export function lineMatchesPod(l: WatchLine, pod: string): boolean {
  if (!l.pod && !l.podSandboxId && !l.containerId) return true;
  if (l.podSandboxId && l.podSandboxId.startsWith(pod)) return true;
  if (l.pod && (l.pod === pod || l.pod.endsWith(`/${pod}`))) return true;
  return false;
}

interface Pending {
  /** the line, or undefined for what only has to come after the lines before it (a note) */
  line: () => WatchLine | undefined;
  ids: string[];
  until: number;
}

export class Watcher {
  private readonly o: WatchOptions;
  private readonly policy: DiagnosisPolicy;
  private readonly names = new NameBook();
  private readonly poller: StackPoller;
  private ctd?: ContainerdClient;
  private cri?: CriClient;
  private view?: WatchView;
  private api: ApiSeen = { since: Date.now() };
  private pinging = false;
  private ticking = false;
  private stopped = false;
  private readonly startedAt = Date.now();
  private tickTimer?: NodeJS.Timeout;
  private events?: StreamFollower<ContainerdEvent>;
  private criFollower?: StreamFollower<ContainerEventView>;
  private criMode?: CriEventsServing;
  private version?: string;
  private readonly pending: Pending[] = [];
  private namesAt = 0;
  private namesRunning = false;
  private namesWanted = false;
  private diag: DiagnosisState = { running: false };
  private incidents?: Map<string, OpenIncident>;
  /** what the last diagnosis found (an incident opens when two in a row find it) */
  private lastFound?: Found;
  private replayed = 0;

  constructor(o: WatchOptions) {
    this.o = o;
    this.policy = { ...DEFAULT_DIAGNOSIS_POLICY, ...o.policy };
    this.poller = new StackPoller({ runcRoot: o.stack.runcRoot, address: o.stack.address, names: this.names }, o.stack.containerdPid);
  }

  /** Starts following; returns at once (stop() ends it). */
  start(): void {
    this.followEvents();
    this.refreshNames(true);
    void this.tick();
    this.tickTimer = setInterval(() => void this.tick(), this.o.intervalMs);
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.tickTimer);
    this.events?.stop();
    this.criFollower?.stop();
    this.ctd?.close();
    this.cri?.close();
  }

  // ---- clients ----

  /** containerd's client, opened when its socket exists (GrpcConnection checks it once, at open). */
  private containerd(): ContainerdClient | undefined {
    if (!this.ctd) {
      try {
        this.ctd = openContainerd(this.o.stack.address, { namespace: this.o.stack.namespace, timeoutMs: this.o.callTimeoutMs });
      } catch {
        return undefined;
      }
    }
    return this.ctd;
  }

  private criClient(): CriClient | undefined {
    if (!this.cri) {
      try {
        this.cri = openCri(this.o.stack.runtimeEndpoint, { timeoutMs: this.o.callTimeoutMs });
      } catch {
        return undefined;
      }
    }
    return this.cri;
  }

  // ---- output ----

  private emit(l: WatchLine | undefined): void {
    if (this.stopped || !l) return;
    // a change the doctor judges (whatever pod it is about: the diagnosis is of the whole stack)
    if (DIAGNOSE_ON.has(l.kind) || (l.kind === 'task-exit' && !!l.exitStatus && l.exitStatus !== 137 && l.exitStatus !== 143)) this.diag.changedAt ??= Date.now();
    if (this.o.pod !== undefined && !lineMatchesPod(l, this.o.pod)) return;
    this.o.emit(l);
  }

  /** Emits a line now, or once its ids have names (or NAME_WAIT_MS passed), keeping the order lines came in. */
  /** Names enough for a line: the pod, and a container's attempt (CRI's list has it a moment after containerd's labels). */
  private named(id: string): boolean {
    const n = this.names.lookup(id);
    return !!n?.pod && (!!n.sandbox || n.attempt !== undefined);
  }

  private say(line: () => WatchLine | undefined, ids: string[]): void {
    const unknown = ids.filter((id) => !this.named(id));
    if (!unknown.length && !this.pending.length) {
      this.emit(line());
      return;
    }
    this.pending.push({ line, ids: unknown, until: Date.now() + NAME_WAIT_MS });
    if (unknown.length) this.refreshNames(true);
    this.flush();
  }

  private flush(): void {
    const now = Date.now();
    while (this.pending.length) {
      const p = this.pending[0];
      const named = p.ids.every((id) => this.named(id));
      if (!named && now < p.until && (this.namesRunning || this.namesWanted)) break;
      this.pending.shift();
      this.emit(p.line());
    }
    if (this.pending.length) setTimeout(() => this.flush(), Math.max(50, this.pending[0].until - now)).unref();
  }

  // ---- names ----

  private refreshNames(wanted: boolean): void {
    if (wanted) this.namesWanted = true;
    if (this.namesRunning || this.stopped || this.api.answering === false) return;
    const wait = this.namesAt + NAMES_MIN_GAP_MS - Date.now();
    if (wait > 0) {
      setTimeout(() => this.refreshNames(false), wait).unref();
      return;
    }
    const cri = this.criClient();
    const ctd = this.containerd();
    if (!cri || !ctd) {
      this.namesWanted = false;
      this.flush();
      return;
    }
    this.namesRunning = true;
    this.namesWanted = false;
    this.namesAt = Date.now();
    void Promise.allSettled([cri.listPodSandbox(), cri.listContainers(), ctd.listContainers()]).then(([pods, containers, labelled]) => {
      const at = Date.now();
      if (labelled.status === 'fulfilled') this.names.learn(namesFromContainerdLabels(labelled.value), at);
      if (pods.status === 'fulfilled' && containers.status === 'fulfilled') this.names.learn(namesFromCri(pods.value, containers.value), at);
      this.names.prune(at - NAMES_FORGET_MS);
    }).finally(() => {
      this.namesRunning = false;
      this.flush();
      if (this.namesWanted) this.refreshNames(false);
    });
  }

  // ---- events ----

  private followEvents(): void {
    const ns = this.o.stack.namespace;
    // containerd's filters: one list entry per topic family, each AND-ed with the namespace
    const filters = ['tasks', 'containers', 'images', 'sandboxes'].map((t) => `namespace==${ns},topic~="^/${t}/"`);
    this.events = new StreamFollower<ContainerdEvent>({
      open: (onMessage, deadlineMs) => {
        const c = this.containerd();
        if (!c) throw new CtrdocError('unavailable', `containerd's socket ${this.o.stack.address} does not exist`);
        return c.subscribe(filters, onMessage, deadlineMs);
      },
      keyOf: (e) => `${e.timestamp}\0${e.topic}\0${JSON.stringify(e.payload ?? e.error)}`,
      onMessage: (e) => this.onEvent(e),
      onLost: (err) => this.say(() => ({
        time: new Date().toISOString(), kind: 'events-lost', source: 'watch', severity: 'warning',
        message: `lost containerd's event stream (${err.kind === 'unavailable' ? 'containerd closed the connection, or does not listen' : err.message}); subscribing again`,
      }), []),
      onResumed: (down) => this.say(() => ({
        time: new Date().toISOString(), kind: 'events-resumed', source: 'watch', severity: 'info', ageSec: Math.round(down / 1000),
        message: `subscribed to containerd's events again (events of the last ${formatMs(down)} were not seen)`,
      }), []),
    });
    this.events.start();
  }

  private onEvent(e: ContainerdEvent): void {
    const id = eventSubjectId(e);
    const received = Date.now();
    this.say(() => containerdEventLine(e, (x) => this.names.lookup(x), received), id ? [id] : []);
  }

  /** CRI's events, decided once the version is known (and again after a restart). */
  private decideCriEvents(version: string): void {
    const mode = criEventsServing(familyOf(version));
    const changed = mode !== this.criMode;
    this.criMode = mode;
    if (!changed) return;
    if (mode !== 'fan-out' || this.o.criEvents === false) {
      this.criFollower?.stop();
      this.criFollower = undefined;
    }
    const why = mode === 'unimplemented' ? `containerd ${version} does not serve them`
      : mode === 'single-consumer' ? `containerd ${version} serves them from one channel: a second reader would take the events kubelet's Evented PLEG waits for`
        : this.o.criEvents === false ? 'not asked (--no-cri-events)' : undefined;
    this.o.note(why ? `CRI's container events: not read (${why}); containerd's own events say the same of each task`
      : `CRI's container events: read too (containerd ${version} gives every reader each event)`);
    if (why || this.criFollower) return;
    this.criFollower = new StreamFollower<ContainerEventView>({
      open: (onMessage, deadlineMs) => {
        const c = this.criClient();
        if (!c) throw new CtrdocError('unavailable', `CRI's socket for ${this.o.stack.runtimeEndpoint} does not exist`);
        return c.containerEvents(onMessage, deadlineMs);
      },
      keyOf: (e) => `${e.createdAt}\0${e.containerId}\0${e.containerEventType}`,
      onMessage: (e) => this.onCriEvent(e),
      // containerd's own stream says when the daemon goes away: one line for both
      onLost: (err) => {
        if (err.kind !== 'unimplemented') return;
        this.o.note(`CRI's container events: not read (${err.message})`);
        this.criFollower?.stop();
      },
      onResumed: () => {},
    });
    this.criFollower.start();
  }

  private onCriEvent(e: ContainerEventView): void {
    const received = Date.now();
    this.names.learn(namesOfCriEvent(e), received);
    // 2.x holds up to 5 minutes of events for a first subscriber: those are not news
    const t = nanosToMs(e.createdAt);
    if (Number.isFinite(t) && t < this.startedAt - 1000) {
      if (this.replayed++ === 0) this.o.note('CRI events from before the watch started (containerd 2.x keeps them for a first reader) are left out');
      return;
    }
    this.say(() => criEventLine(e, (id) => this.names.lookup(id), received), []);
  }

  // ---- the poll, the ping and the diagnosis ----

  private async tick(): Promise<void> {
    if (this.ticking || this.stopped) return;
    this.ticking = true;
    try {
      await this.poll();
      this.ping();
      if (Date.now() - this.namesAt > NAMES_REFRESH_MS) this.refreshNames(true);
      this.maybeDiagnose();
      this.flush();
    } catch (err) {
      this.o.note(`poll failed: ${CtrdocError.from(err).message}`);
    } finally {
      this.ticking = false;
    }
  }

  /** The containerd now serving our socket, when the one we followed is gone (a restart). */
  private async findContainerd(): Promise<number | undefined> {
    const candidates = this.poller.containerdCandidates().map((pid) => {
      try {
        return { pid, comm: 'containerd', cmdline: parseCmdline(readSmall(`/proc/${pid}/cmdline`)) };
      } catch {
        return { pid, comm: 'containerd', cmdline: [] };
      }
    });
    const daemons = await containerdDaemonsOf(candidates);
    return daemons.find((d) => d.address === this.o.stack.address)?.pid;
  }

  private async poll(): Promise<void> {
    let observed = this.poller.observe();
    if (!observed.containerd) {
      const pid = await this.findContainerd();
      if (pid !== undefined && pid !== this.poller.containerdPid) {
        this.poller.containerdPid = pid;
        observed = this.poller.observe();
      }
    }
    const next = nextView(this.view, { ...observed, api: this.api });
    const restarted = this.view?.containerd && next.containerd && this.view.containerd.pid !== next.containerd.pid;
    this.show(next);
    if (restarted) {
      // another binary may serve the socket now: ask its version again, and its names
      this.version = undefined;
      this.refreshNames(true);
    }
  }

  private show(next: WatchView): void {
    const lines = changesBetween(this.view, next, { stuckAfterSec: this.o.stuckAfterSec, address: this.o.stack.address });
    this.view = next;
    for (const l of lines) this.say(() => l, []);
  }

  /** The API's state changed: a view like the last one with the new state (no poll counted). */
  private setApi(api: ApiSeen): void {
    const was = this.api.answering;
    this.api = api;
    if (was === api.answering || !this.view) return;
    this.show({ ...this.view, at: Date.now(), api });
    if (api.answering) {
      this.refreshNames(this.namesWanted);
      this.maybeDiagnose();
    }
  }

  private ping(): void {
    if (this.pinging || this.stopped) return;
    const c = this.containerd();
    if (!c) {
      this.setApi({ answering: false, since: this.api.answering === false ? this.api.since : Date.now(), error: `its socket ${this.o.stack.address} does not exist` });
      return;
    }
    const down = this.api.answering === false;
    const deadline = down ? LONG_PING_MS : this.o.callTimeoutMs;
    const t0 = performance.now();
    this.pinging = true;
    c.version(deadline).then((v) => {
      // the long call's time is how long it waited, not how fast containerd answers
      const latencyMs = down ? undefined : performance.now() - t0;
      this.setApi({ answering: true, since: this.api.answering === true ? this.api.since : Date.now(), ...(latencyMs !== undefined ? { latencyMs } : {}) });
      if (v.version !== this.version) {
        this.version = v.version;
        this.decideCriEvents(v.version);
      }
    }, (err) => {
      const e = CtrdocError.from(err);
      // a long call that ran out while it was already known to be down says nothing new
      const error = e.kind === 'deadline-exceeded' ? `no answer to Version within ${formatMs(deadline)}` : e.message;
      this.setApi({ answering: false, since: down ? this.api.since : Date.now(), error });
    }).finally(() => {
      this.pinging = false;
    });
  }

  private maybeDiagnose(): void {
    const diagnose = this.o.diagnose;
    if (!diagnose || this.stopped) return;
    const now = Date.now();
    if (!diagnosisDue({ ...this.diag, answering: this.api.answering }, now, this.policy)) return;
    this.diag = { ...this.diag, running: true, lastStartedAt: now, changedAt: undefined };
    diagnose({ containerdPid: this.view?.containerd?.pid }).then((found) => {
      if (this.stopped) return;
      const first = !this.incidents;
      const { lines, open, found: now, pending } = incidentChanges(this.incidents, found, Date.now(), this.lastFound);
      this.incidents = open;
      this.lastFound = now;
      for (const l of lines) this.say(() => l, []);
      // an incident found once waits for the next diagnosis to confirm it: run that one soon
      if (pending) this.diag.changedAt ??= Date.now();
      // from here on a line is a change, not what was already so: said once the lines before it are out
      if (first) this.say(() => void this.o.note(`first diagnosis: ${open.size} incident${open.size === 1 ? '' : 's'} open`), []);
    }, (err) => {
      this.o.note(`diagnosis failed: ${CtrdocError.from(err).message}`);
    }).finally(() => {
      this.diag = { ...this.diag, running: false, lastEndedAt: Date.now() };
    });
  }

  /** The incidents open now, as the last diagnosis found them (for tests and a final summary). */
  openIncidents(): OpenIncident[] {
    return [...(this.incidents?.values() ?? [])];
  }
}
