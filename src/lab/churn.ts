// `ctrdoc lab churn`: a busy, healthy node, made through CRI the way kubelet makes one. Pods are
// started at a steady rate and each lives a few seconds, one of three kinds in turn:
//  - web: a long-running app that exits 0 on SIGTERM; probed with ExecSync; its log rotated the
//    way kubelet rotates it (rename the file, then ReopenContainerLog); stopped with a grace period;
//  - job: an app that prints and exits 0 by itself; the finished pod is then torn down;
//  - restart: an app that exits 0 after a second and is restarted (attempt + 1) as restartPolicy
//    Always does, twice; kubelet's garbage collection removes all but the last dead attempt.
// Teardown is kubelet's: StopContainer, RemoveContainer, StopPodSandbox, RemovePodSandbox, then the
// pod's log directory and its pod-level cgroup (kubelet's, not the runtime's) are removed.
// SIGINT/SIGTERM (or the --for duration) stops new pods; the pods alive finish at once, skipping
// their waits but never cutting a CRI call in half (a StartContainer cut short once left a
// container "in starting state" and a runc init on 1.7), and nothing of the churn's is left.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, renameSync, rmdirSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { CtrdocError } from '../errors.ts';
import { openCri, type CriClient } from '../sources/cri/client.ts';
import { criEndpoint, type LabPaths } from './paths.ts';
import { containerConfig, sandboxConfig, type SandboxConfig } from './pods.ts';
import { APP_IMAGE } from './images.ts';
import { labCgroupRoots } from './host.ts';
import type { Finding } from '../snapshot/types/index.ts';

/** Marks what one churn run created (pods and containers), so its sweep removes exactly that. */
export const CHURN_LABEL = 'ctrdoc.dev/lab-churn';
export const CHURN_NAMESPACE = 'ctrdoc-churn';
export const CHURN_KINDS = ['web', 'job', 'restart'] as const;
export type ChurnKind = (typeof CHURN_KINDS)[number];

/** A busy node starts a few pods a second at most; more is a load test, not churn. */
export const MAX_CHURN_RATE = 5;
export const DEFAULT_CHURN_RATE = 1;
/** Pods alive at once: when containerd is slow (a loaded machine), new pods wait for a slot. */
export const DEFAULT_MAX_LIVE_PODS = 8;

/** Deadlines of the CRI calls: creation can be slow on a loaded machine, the rest is quick. */
const CREATE_MS = 30_000;
const CALL_MS = 15_000;
/** web's grace period (StopContainer timeout): its app exits 0 on SIGTERM within a second */
const GRACE_SEC = 5;
/** How often a pod's teardown tries a container's stop and remove before it says it failed. */
const TEARDOWN_TRIES = 3;
const RESTARTS = 2;

export interface ChurnCounts {
  podsStarted: number;
  podsRemoved: number;
  containersCreated: number;
  containersStarted: number;
  containersRemoved: number;
  /** containers that ended with exit code 0: by themselves (job, restart) or on SIGTERM (web) */
  exitedZero: number;
  /** containers that ended otherwise (a grace period run out: 137) */
  exitedNonZero: number;
  /** restartPolicy Always: a new attempt after an exit 0 */
  restarts: number;
  /** ExecSync calls that answered exit 0 with the expected output */
  execs: number;
  /** log files renamed and reopened with ReopenContainerLog */
  logRotations: number;
  /** a pod not started because DEFAULT_MAX_LIVE_PODS were alive */
  deferred: number;
  errors: number;
}

export interface ChurnResult {
  dir: string;
  rate: number;
  startedAt: string;
  durationMs: number;
  /** why it ended: the --for duration ran out, or a signal came */
  stoppedBy: 'duration' | 'signal';
  counts: ChurnCounts;
  /** the first few errors, said plainly */
  errors: string[];
  /** anything of the churn's still there after its sweep: pod ids, cgroup dirs, log dirs */
  left: { pods: string[]; cgroups: string[]; logDirs: string[] };
}

export interface ChurnOptions {
  p: LabPaths;
  /** pods started per second (0 < rate <= MAX_CHURN_RATE) */
  rate?: number;
  /** stop starting pods after this long; undefined: until `stop` fires */
  forMs?: number;
  maxLivePods?: number;
  /** aborted on SIGINT/SIGTERM */
  stop?: AbortSignal;
  log?: (line: string) => void;
}

/** `--rate` as pods per second: a number, 0 < rate <= MAX_CHURN_RATE. */
export function parseChurnRate(text: string | undefined): number {
  if (text === undefined) return DEFAULT_CHURN_RATE;
  const n = Number(text.trim().replace(/\/s$/, ''));
  if (!text.trim() || !Number.isFinite(n) || n <= 0 || n > MAX_CHURN_RATE) {
    throw new CtrdocError('invalid-argument', `--rate must be pods per second, more than 0 and at most ${MAX_CHURN_RATE}, not "${text}"`, 'e.g. --rate 1 (one pod a second) or --rate 0.5');
  }
  return n;
}

const emptyCounts = (): ChurnCounts => ({
  podsStarted: 0, podsRemoved: 0, containersCreated: 0, containersStarted: 0, containersRemoved: 0,
  exitedZero: 0, exitedNonZero: 0, restarts: 0, execs: 0, logRotations: 0, deferred: 0, errors: 0,
});

const APPS: Record<ChurnKind, string> = {
  // busybox sh runs the trap once its foreground sleep returns: exit 0 within a second of SIGTERM
  web: 'trap "echo web: stopping; exit 0" TERM; echo web: started; while :; do echo web: tick; sleep 1; done',
  job: 'echo job: done; exit 0',
  restart: 'echo restart: running; sleep 1; echo restart: exiting; exit 0',
};

/** kubelet names rotated logs <log>.<yyyymmdd-hhmmss> (containerLogManager) */
function rotatedName(path: string, at = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${path}.${at.getUTCFullYear()}${p(at.getUTCMonth() + 1)}${p(at.getUTCDate())}-${p(at.getUTCHours())}${p(at.getUTCMinutes())}${p(at.getUTCSeconds())}`;
}

interface LivePod {
  kind: ChurnKind;
  podId?: string;
  uid: string;
  name: string;
  sc: SandboxConfig;
  containers: string[];
}

class Churn {
  readonly counts = emptyCounts();
  readonly errors: string[] = [];
  private readonly cri: CriClient;
  private readonly run = randomBytes(3).toString('hex');
  private readonly live = new Set<Promise<void>>();
  /** pod uids whose pod-level cgroup and log dir the sweep checks */
  private readonly uids = new Map<string, string>();
  private seq = 0;
  /** containers whose exit is counted (once each) */
  private readonly exits = new Set<string>();

  constructor(private readonly o: ChurnOptions & { stop: AbortSignal; log: (l: string) => void }) {
    this.cri = openCri(criEndpoint(o.p), { timeoutMs: CALL_MS });
  }

  private get stopping(): boolean {
    return this.o.stop.aborted;
  }

  private fail(what: string, err: unknown): void {
    this.counts.errors++;
    const line = `${what}: ${(err as Error).message}`;
    if (this.errors.length < 20) this.errors.push(line);
    this.o.log(`error: ${line}`);
  }

  /** Waits ms, or less when the churn is told to stop (a pod then goes straight to its teardown). */
  private pause(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    const stop = this.o.stop;
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        stop.removeEventListener('abort', done);
        resolve();
      }
      stop.addEventListener('abort', done, { once: true });
    });
  }

  /** Starts pods at the rate until the duration runs out or a stop comes, then waits for the pods alive. */
  async loop(rate: number, forMs: number | undefined, maxLive: number): Promise<'duration' | 'signal'> {
    const periodMs = 1000 / rate;
    const started = Date.now();
    let next = started;
    let by: 'duration' | 'signal' = 'signal';
    while (!this.stopping) {
      if (forMs !== undefined && Date.now() - started >= forMs) {
        by = 'duration';
        break;
      }
      if (this.live.size >= maxLive) this.counts.deferred++;
      else {
        const kind = CHURN_KINDS[this.seq++ % CHURN_KINDS.length];
        const w: Promise<void> = this.pod(kind).finally(() => this.live.delete(w));
        this.live.add(w);
      }
      next += periodMs;
      await this.pause(Math.max(0, Math.min(next - Date.now(), forMs === undefined ? Infinity : started + forMs - Date.now())));
    }
    await Promise.all([...this.live]);
    return by;
  }

  private async pod(kind: ChurnKind): Promise<void> {
    const uid = randomUUID();
    const name = `${kind}-${this.run}-${String(this.seq).padStart(4, '0')}`;
    const labels = { [CHURN_LABEL]: this.run, 'churn-kind': kind };
    const sc = sandboxConfig(this.o.p, { name, namespace: CHURN_NAMESPACE, uid, app: kind, labels });
    const pod: LivePod = { kind, uid, name, sc, containers: [] };
    this.uids.set(uid, sc.logDirectory);
    try {
      mkdirSync(sc.logDirectory, { recursive: true });
      pod.podId = await this.cri.runPodSandbox(sc, '', CREATE_MS);
      this.counts.podsStarted++;
      if (kind === 'web') await this.web(pod);
      else if (kind === 'job') await this.job(pod);
      else await this.restart(pod);
    } catch (err) {
      this.fail(`${kind} pod ${name}`, err);
    } finally {
      await this.teardown(pod);
    }
  }

  private async container(pod: LivePod, attempt: number): Promise<string> {
    const cc = containerConfig({
      name: 'app', attempt, image: APP_IMAGE, command: ['/bin/sh', '-c', APPS[pod.kind]],
      pod: { name: pod.name, namespace: CHURN_NAMESPACE, uid: pod.uid }, labels: { [CHURN_LABEL]: this.run },
    });
    const id = await this.cri.createContainer(pod.podId!, cc, pod.sc, CREATE_MS);
    pod.containers.push(id);
    this.counts.containersCreated++;
    await this.cri.startContainer(id, CREATE_MS);
    this.counts.containersStarted++;
    return id;
  }

  /** Polls until the container has exited (it ends by itself); false when told to stop first. */
  private async exited(id: string, ms = 30_000): Promise<boolean> {
    const until = Date.now() + ms;
    while (!this.stopping && Date.now() < until) {
      const st = await this.cri.containerStatus(id);
      if (st.status.state === 'CONTAINER_EXITED') {
        this.countExit(id, st.status.exitCode);
        return true;
      }
      await this.pause(200);
    }
    if (!this.stopping) throw new CtrdocError('deadline-exceeded', `container ${id.slice(0, 13)} did not exit within ${ms} ms`);
    return false;
  }

  private countExit(id: string, code: number | undefined): void {
    if (this.exits.has(id)) return;
    this.exits.add(id);
    if ((code ?? 0) === 0) this.counts.exitedZero++;
    else this.counts.exitedNonZero++;
  }

  private async exec(id: string): Promise<void> {
    const r = await this.cri.execSync(id, ['/bin/sh', '-c', 'echo ready'], 5, CALL_MS);
    if (r.exitCode !== 0 || r.stdout !== 'ready\n') throw new CtrdocError('internal', `ExecSync in ${id.slice(0, 13)} answered exit ${r.exitCode}, stdout ${JSON.stringify(r.stdout)}`);
    this.counts.execs++;
  }

  /** kubelet's rotation: rename the live file, ask the runtime to reopen, drop the rotated file. */
  private async rotate(id: string): Promise<void> {
    const path = (await this.cri.containerStatus(id)).status.logPath;
    if (!path || !existsSync(path)) throw new CtrdocError('not-found', `container ${id.slice(0, 13)} has no log file to rotate (${path || 'no logPath'})`);
    const rotated = rotatedName(path);
    renameSync(path, rotated);
    try {
      await this.cri.reopenContainerLog(id, CALL_MS);
    } catch (err) {
      renameSync(rotated, path); // as kubelet does when the reopen fails
      throw err;
    }
    if (!existsSync(path)) throw new CtrdocError('internal', `ReopenContainerLog for ${id.slice(0, 13)} answered, but no new ${path} was created`);
    rmSync(rotated, { force: true });
    this.counts.logRotations++;
  }

  private async web(pod: LivePod): Promise<void> {
    const id = await this.container(pod, 0);
    await this.pause(800);
    if (!this.stopping) await this.exec(id);
    await this.pause(800);
    if (!this.stopping) await this.rotate(id);
    await this.pause(800);
    if (!this.stopping) await this.exec(id);
    await this.pause(800);
    // the pod is deleted: a graceful stop, the app exits 0 on SIGTERM
    await this.cri.stopContainer(id, GRACE_SEC, (GRACE_SEC * 1000) + CALL_MS);
    this.countExit(id, (await this.cri.containerStatus(id)).status.exitCode);
  }

  private async job(pod: LivePod): Promise<void> {
    const id = await this.container(pod, 0);
    await this.exited(id);
    // a finished pod stays a moment before it is deleted
    await this.pause(1000);
  }

  private async restart(pod: LivePod): Promise<void> {
    for (let attempt = 0; attempt <= RESTARTS; attempt++) {
      if (attempt > 0) this.counts.restarts++;
      await this.container(pod, attempt);
      if (!(await this.exited(pod.containers.at(-1)!))) return;
      // kubelet's container GC keeps the last dead attempt of each container and removes older ones
      if (pod.containers.length > 2) await this.removeContainer(pod, pod.containers[0]);
      if (this.stopping) return;
    }
  }

  private async removeContainer(pod: LivePod, id: string): Promise<void> {
    await this.cri.removeContainer(id, CALL_MS);
    pod.containers = pod.containers.filter((c) => c !== id);
    this.counts.containersRemoved++;
  }

  /** kubelet deleting the pod: stop and remove each container, then the sandbox, its logs and its cgroup. */
  private async teardown(pod: LivePod): Promise<void> {
    for (const id of [...pod.containers]) {
      // as kubelet does on its next sync: a stop or remove that failed is tried again. With both
      // cores loaded, 1.6 answered RemoveContainer "still running, to stop first" right after a
      // StopContainer, and a StopContainer "ttrpc: closed" as the container's shim went away
      for (let attempt = 1; ; attempt++) {
        try {
          await this.cri.stopContainer(id, GRACE_SEC, (GRACE_SEC * 1000) + CALL_MS);
          if (!this.exits.has(id)) this.countExit(id, (await this.cri.containerStatus(id)).status.exitCode);
          await this.removeContainer(pod, id);
          break;
        } catch (err) {
          if (attempt < TEARDOWN_TRIES) {
            await new Promise((r) => setTimeout(r, 500 * attempt));
            continue;
          }
          this.fail(`remove container ${id.slice(0, 13)} of ${pod.name} (${TEARDOWN_TRIES} tries)`, err);
          break;
        }
      }
    }
    if (pod.podId) {
      try {
        await this.cri.stopPodSandbox(pod.podId, CALL_MS);
        await this.cri.removePodSandbox(pod.podId, CALL_MS);
        this.counts.podsRemoved++;
      } catch (err) {
        this.fail(`remove pod ${pod.name}`, err);
      }
    }
    rmSync(pod.sc.logDirectory, { recursive: true, force: true });
    const left = removePodCgroup(this.o.p, pod.uid);
    if (left.length === 0) this.uids.delete(pod.uid);
  }

  /** Whatever of this run is still there (a pod whose removal failed): removed once more, then said. */
  async sweep(): Promise<ChurnResult['left']> {
    const pods: string[] = [];
    try {
      for (const pod of await this.cri.listPodSandbox({ labelSelector: { [CHURN_LABEL]: this.run } })) {
        for (const c of await this.cri.listContainers({ podSandboxId: pod.id }).catch(() => [])) {
          await this.cri.stopContainer(c.id, 0, CALL_MS).catch(() => {});
          await this.cri.removeContainer(c.id, CALL_MS).catch(() => {});
        }
        await this.cri.stopPodSandbox(pod.id, CALL_MS).catch(() => {});
        await this.cri.removePodSandbox(pod.id, CALL_MS).catch((err) => pods.push(`${pod.id} (${(err as Error).message})`));
      }
    } catch (err) {
      pods.push(`could not list the churn's pods: ${(err as Error).message}`);
    }
    const cgroups: string[] = [];
    const logDirs: string[] = [];
    for (const [uid, logDir] of this.uids) {
      cgroups.push(...removePodCgroup(this.o.p, uid));
      rmSync(logDir, { recursive: true, force: true });
      if (existsSync(logDir)) logDirs.push(logDir);
    }
    return { pods, cgroups, logDirs };
  }

  close(): void {
    this.cri.close();
  }
}

/** The pod-level cgroup kubelet would remove (cgroupfs driver: <parent>/kubepods/besteffort/pod<uid>) in every controller; what stays. */
export function removePodCgroup(p: LabPaths, uid: string): string[] {
  const left: string[] = [];
  for (const root of labCgroupRoots(p.cgroupParent)) {
    const d = join(root, 'kubepods', 'besteffort', `pod${uid}`);
    try {
      rmdirSync(d);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') left.push(`${d} (${code})`);
    }
  }
  return left;
}

/** Runs the churn until the duration or a stop; removes what it made; returns what it did. */
export async function runChurn(o: ChurnOptions): Promise<ChurnResult> {
  const rate = o.rate ?? DEFAULT_CHURN_RATE;
  if (!(rate > 0 && rate <= MAX_CHURN_RATE)) throw new CtrdocError('invalid-argument', `churn rate ${rate}: must be more than 0 and at most ${MAX_CHURN_RATE} pods per second`);
  if (!existsSync(o.p.socket)) throw new CtrdocError('failed-precondition', `no lab at ${o.p.dir} (no ${o.p.socket})`, `ctrdoc lab up --dir ${o.p.dir}`);
  const stop = o.stop ?? new AbortController().signal;
  const log = o.log ?? (() => {});
  const startedAt = new Date();
  const churn = new Churn({ ...o, stop, log });
  try {
    const stoppedBy = await churn.loop(rate, o.forMs, o.maxLivePods ?? DEFAULT_MAX_LIVE_PODS);
    const left = await churn.sweep();
    return { dir: o.p.dir, rate, startedAt: startedAt.toISOString(), durationMs: Date.now() - startedAt.getTime(), stoppedBy, counts: churn.counts, errors: churn.errors, left };
  } finally {
    churn.close();
  }
}

/** One line per count, for people. */
export function churnReport(r: ChurnResult): string[] {
  const c = r.counts;
  const left = [...r.left.pods, ...r.left.cgroups, ...r.left.logDirs];
  return [
    `lab churn at ${r.dir}: ${(r.durationMs / 1000).toFixed(1)} s at ${r.rate} pod(s)/s, stopped by ${r.stoppedBy === 'duration' ? 'the --for duration' : 'a signal'}`,
    `  pods        ${c.podsStarted} started, ${c.podsRemoved} removed${c.deferred ? ` (${c.deferred} not started: ${DEFAULT_MAX_LIVE_PODS} pods were alive)` : ''}`,
    `  containers  ${c.containersCreated} created, ${c.containersStarted} started, ${c.containersRemoved} removed; ${c.exitedZero} exited 0, ${c.exitedNonZero} exited otherwise; ${c.restarts} restarted by policy`,
    `  execs       ${c.execs} ExecSync`,
    `  log         ${c.logRotations} rotated (renamed, then ReopenContainerLog)`,
    `  errors      ${c.errors}${r.errors.length ? `: ${r.errors.slice(0, 3).join('; ')}` : ''}`,
    left.length ? `  LEFT BEHIND ${left.join(', ')}` : '  left behind nothing (no churn pod, container, log dir or pod cgroup)',
  ];
}

export interface NotJudged {
  /** what is left out */
  what: string;
  why: string;
  applies(f: Finding): boolean;
}

/**
 * What the lab lacks by design: a doctor run against the lab (its flags, its containerd) during
 * and after the churn must say nothing at warning or worse, except about these. Each entry says
 * what it leaves out and why; everything else is judged. Not here (the doctor itself gets them
 * right): other labs' shims, runc calls and parked inits, which the tree sets apart as foreign
 * (tree.foreignPids).
 */
export const CHURN_NOT_JUDGED: readonly NotJudged[] = [
  {
    what: 'the node layer',
    why: 'load, memory, PSI, file handles, D-state tasks, frozen cgroups and the kernel log are this machine\'s, shared with other labs, builds and tests: the lab does not own them',
    applies: (f) => f.layer === 'node',
  },
  {
    what: 'the kubelet layer',
    why: 'kubelet cannot run here and the lab has none: when one kubelet runs on this machine (another lab\'s stand-in), the doctor reads it as the node\'s and rightly says it talks to another containerd (KUBELET_RUNTIME_ENDPOINT, seen on the churn beside the doctor e2e); that is not this lab\'s to judge',
    applies: (f) => f.layer === 'kubelet',
  },
];

/** The entry that leaves a finding out, if one does. */
export function notJudged(f: Finding): NotJudged | undefined {
  return CHURN_NOT_JUDGED.find((x) => x.applies(f));
}
