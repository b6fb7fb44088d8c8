// deadlock-6772: the seed's own incident, for real. Only the seed build can have it (containerd
// 1.6.0-1.6.2's lock order in the cgroups metrics collector, restored by src/lab/seed/): with
// `[metrics] address` set, a Prometheus-like scrape of /v1/metrics and a kubelet-like pod
// creation take the collector's and the metrics namespace's locks in opposite orders. Once they
// meet, every task creation and deletion hangs for good, /v1/metrics hangs, and CRI's in-memory
// listings still answer with every pod Ready.
//  apply: containerd restarted with [metrics] address on a free loopback port, a background
//    loop (4 scrapers + 2 kubelet-like pod creators), then the deadlock proved from outside:
//    a scrape gets no answer within 5 s, a Tasks.Create does not return, ListPodSandbox answers.
//  clear: what an SRE does: restart containerd (the lab's config, no metrics address); the
//    running containers survive (checked by pid), then the fault's pods are removed.
import { request } from 'node:http';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { CtrdocError } from '../../errors.ts';
import { askSupervisor, readLabRecord, recordedBinaries, selfCommand } from '../supervisor.ts';
import { labConfigText } from '../config.ts';
import { isAlive } from '../host.ts';
import { sandboxConfig, containerConfig, startLabPod } from '../pods.ts';
import { APP_IMAGE } from '../images.ts';
import { labDefaultConfig, restartContainerd } from './containerd.ts';
import { storedSandboxConfig, snapshotMounts, killNeverStartedTasks } from './pods.ts';
import { FAULT_LABEL, freeLoopbackPort, sleep, type FaultContext, type FaultRecord } from './context.ts';
import type { LabPaths } from '../paths.ts';

export const DEADLOCK_FAULT = 'deadlock-6772';
/** How long a scrape may go unanswered before it counts as hung (the fault's contract). */
export const SCRAPE_HUNG_MS = 5000;
/** How long a Tasks.Create may take before it counts as not returning. */
export const CREATE_HUNG_MS = 10_000;
const SCRAPERS = 4;
const CREATORS = 2;
/** pods the creators keep at most; beyond it the oldest is removed (a node's churn) */
const MAX_FAULT_PODS = 12;

export interface ScrapeResult {
  answered: boolean;
  status?: number;
  bytes?: number;
  ms: number;
  error?: string;
}

/** GET http://addr/v1/metrics with a deadline: answered, or not within timeoutMs. */
export function scrapeMetrics(addr: string, timeoutMs: number): Promise<ScrapeResult> {
  const t0 = Date.now();
  const [host, port] = [addr.slice(0, addr.lastIndexOf(':')), Number(addr.slice(addr.lastIndexOf(':') + 1))];
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: Omit<ScrapeResult, 'ms'>) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({ ...r, ms: Date.now() - t0 });
    };
    const req = request({ host, port, path: '/v1/metrics', method: 'GET', agent: false }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('end', () => finish({ answered: true, status: res.statusCode, bytes }));
      res.on('error', (err) => finish({ answered: false, error: err.message }));
    });
    const timer = setTimeout(() => {
      finish({ answered: false, error: `no answer within ${timeoutMs} ms` });
      req.destroy();
    }, timeoutMs);
    req.on('error', (err) => finish({ answered: false, error: err.message }));
    req.end();
  });
}

/** The [metrics] address in the lab's config.toml (what the loop scrapes). */
export function configuredMetricsAddress(p: LabPaths): string | undefined {
  const m = /^\[metrics\]\s*\n(?:(?!\[)[^\n]*\n)*?\s*address\s*=\s*"([^"]*)"/m.exec(readFileSync(p.config, 'utf8'));
  return m?.[1] || undefined;
}

function refuseUnlessSeed(p: LabPaths): void {
  const b = recordedBinaries(p);
  if (b.labVersion === 'seed') return;
  throw new CtrdocError('failed-precondition',
    `${DEADLOCK_FAULT} needs the seed build: this lab runs containerd ${b.labVersion} (${b.binaryVersion}), whose cgroups metrics collector has the fix (containerd#6788, in 1.6.3 and later), so a /v1/metrics scrape and task creation cannot deadlock this way`,
    `ctrdoc lab down --dir ${p.dir}; ctrdoc lab up --containerd seed --dir ${p.dir}`);
}

interface DeadlockProof {
  scrape: ScrapeResult;
  tasksCreate: { containerId: string; returned: boolean; ms: number; error?: string };
  scrapeAgain: ScrapeResult;
  listPodSandbox: { answered: boolean; ms: number; pods: number; ready: number; error?: string };
}

/**
 * Proves the deadlock from outside, or says it is not there yet: a scrape unanswered in 5 s,
 * then a Tasks.Create in the probe pod that does not return in 10 s, a second scrape still
 * unanswered, and CRI ListPodSandbox answering.
 */
async function proveDeadlock(ctx: FaultContext, addr: string, probePod: string): Promise<DeadlockProof | undefined> {
  const scrape = await scrapeMetrics(addr, SCRAPE_HUNG_MS);
  if (scrape.answered) return undefined;
  const cri = ctx.cri();
  const sb = await storedSandboxConfig(cri, probePod);
  const attempt = Math.floor(Date.now() / 1000) % 100_000;
  const cc = containerConfig({ name: 'probe', attempt, image: APP_IMAGE, pod: sb, labels: { [FAULT_LABEL]: DEADLOCK_FAULT } });
  // CreateContainer makes records and a snapshot: no task, no metrics collector
  let containerId: string;
  try {
    containerId = await cri.createContainer(probePod, cc, sb.config, 20_000);
  } catch (err) {
    ctx.log(`a scrape hung, but CreateContainer for the Tasks.Create probe failed too: ${(err as Error).message}; waiting on`);
    return undefined;
  }
  const t0 = Date.now();
  const create = await ctx.containerd().createTask({ containerId, rootfs: snapshotMounts(ctx.p, containerId) }, CREATE_HUNG_MS).then(
    () => ({ returned: true }),
    (err: Error) => ({ returned: false, error: err.message }),
  );
  const tasksCreate = { containerId, ms: Date.now() - t0, ...create };
  if (tasksCreate.returned) {
    ctx.log(`a scrape took over ${SCRAPE_HUNG_MS} ms, but Tasks.Create returned in ${tasksCreate.ms} ms: slow, not deadlocked; waiting on`);
    return undefined;
  }
  const scrapeAgain = await scrapeMetrics(addr, SCRAPE_HUNG_MS);
  const l0 = Date.now();
  const listPodSandbox = await cri.listPodSandbox().then(
    (pods) => ({ answered: true, ms: Date.now() - l0, pods: pods.length, ready: pods.filter((x) => x.state === 'SANDBOX_READY').length }),
    (err: Error) => ({ answered: false, ms: Date.now() - l0, pods: 0, ready: 0, error: err.message }),
  );
  return { scrape, tasksCreate, scrapeAgain, listPodSandbox };
}

export async function applyDeadlock6772(ctx: FaultContext, o: { period?: string }): Promise<FaultRecord['details']> {
  refuseUnlessSeed(ctx.p);
  const saved = join(ctx.p.faults, `config.toml.${DEADLOCK_FAULT}`);
  copyFileSync(ctx.p.config, saved);
  const addr = `127.0.0.1:${await freeLoopbackPort()}`;
  writeFileSync(ctx.p.config, labConfigText(ctx.p, labDefaultConfig(ctx.p), { metricsAddress: addr }));
  const fresh = await restartContainerd(ctx);
  // a pod of the fault's own, made before the scrapers start, for the Tasks.Create probe
  const probe = await startLabPod(fresh.cri(), ctx.p, { app: DEADLOCK_FAULT, labels: { [FAULT_LABEL]: DEADLOCK_FAULT }, withContainer: false });
  const healthy = await scrapeMetrics(addr, SCRAPE_HUNG_MS);
  if (!healthy.answered || healthy.status !== 200) throw new CtrdocError('internal', `containerd's /v1/metrics on ${addr} does not answer before the fault: ${healthy.error ?? `HTTP ${healthy.status}`}`, `read ${ctx.p.log}`);
  const argv = [...selfCommand(), 'lab', 'fault-loop', DEADLOCK_FAULT, '--dir', ctx.p.dir, '--period', o.period ?? '2s'];
  const loopLog = join(ctx.p.faults, `${DEADLOCK_FAULT}.log`);
  const t0 = Date.now();
  const { pid } = await askSupervisor(ctx.p, { op: 'spawn', name: DEADLOCK_FAULT, argv, log: loopLog });
  ctx.log(`metrics on ${addr}; ${SCRAPERS} scrape loops and ${CREATORS} kubelet-like pod creators running (pid ${pid}); waiting for the deadlock`);
  let proof: DeadlockProof | undefined;
  const deadline = Date.now() + 180_000;
  while (!proof) {
    if (Date.now() > deadline) throw new CtrdocError('deadline-exceeded', `no deadlock within 180 s of scraping and pod creation`, `read ${loopLog} and ${ctx.p.log}`);
    proof = await proveDeadlock(fresh, addr, probe.podId);
    if (!proof) await sleep(500);
  }
  if (!proof.listPodSandbox.answered) throw new CtrdocError('internal', `scrapes and Tasks.Create hang, but CRI ListPodSandbox does not answer either (${proof.listPodSandbox.error}): not the seed's picture`, `read ${ctx.p.log}`);
  const secs = Math.round((Date.now() - t0) / 100) / 10;
  ctx.log(`deadlocked after ${secs} s: /v1/metrics unanswered in ${SCRAPE_HUNG_MS} ms (twice), Tasks.Create ${proof.tasksCreate.containerId.slice(0, 13)} not returned in ${proof.tasksCreate.ms} ms, ListPodSandbox answered in ${proof.listPodSandbox.ms} ms (${proof.listPodSandbox.ready}/${proof.listPodSandbox.pods} pods Ready)`);
  return {
    metricsAddress: addr, savedConfig: saved, loopPid: pid, loopLog, probePod: probe.podId, secondsToDeadlock: secs, proof,
    containerdPid: recordedContainerdPid(ctx.p),
    note: `containerd ${recordedBinaries(ctx.p).binaryVersion}: Collector.Add holds the collector lock while it waits for the metrics namespace lock (task creation), Namespace.Collect holds that lock while it waits for the collector lock (the scrape). Every Tasks.Create and task delete hangs from now on (a parked runc init per attempt); listings still answer. Only a restart ends it (ctrdoc lab fault clear ${DEADLOCK_FAULT}).`,
  };
}

const recordedContainerdPid = (p: LabPaths): number | undefined => readLabRecord(p)?.containerd?.pid;

interface RunningContainer { id: string; name: string; pod: string; pid: number }

async function runningContainers(ctx: FaultContext): Promise<RunningContainer[]> {
  const cri = ctx.cri();
  const out: RunningContainer[] = [];
  for (const c of await cri.listContainers({ state: 'CONTAINER_RUNNING' })) {
    const pid = Number((await cri.containerStatus(c.id, true)).info?.pid);
    out.push({ id: c.id, name: c.metadata.name, pod: c.labels['io.kubernetes.pod.name'] ?? c.podSandboxId.slice(0, 13), pid });
  }
  return out;
}

export async function clearDeadlock6772(ctx: FaultContext, d: FaultRecord['details']): Promise<void> {
  await askSupervisor(ctx.p, { op: 'stop-helper', name: DEADLOCK_FAULT }).catch((e) => ctx.log(e.message));
  // CRI's listings come from memory: they still answer on a deadlocked containerd
  const before = await runningContainers(ctx).catch((e: Error) => { ctx.log(`listing the running containers: ${e.message}`); return []; });
  if (existsSync(String(d.savedConfig))) {
    copyFileSync(String(d.savedConfig), ctx.p.config);
    rmSync(String(d.savedConfig), { force: true });
  }
  const oldPid = recordedContainerdPid(ctx.p);
  ctx.log(`restarting containerd (pid ${oldPid}), as an SRE would: a deadlocked containerd only recovers by a restart`);
  const fresh = await restartContainerd(ctx);
  const after = new Map((await runningContainers(fresh)).map((c) => [c.id, c]));
  const lost = before.filter((c) => !isAlive(c.pid) || after.get(c.id)?.pid !== c.pid);
  ctx.log(`containerd restarted (pid ${oldPid} -> ${recordedContainerdPid(ctx.p)}); ${before.length - lost.length} of ${before.length} running containers survived with their pids: ${before.filter((c) => !lost.includes(c)).map((c) => `${c.pod}/${c.name} ${c.pid}`).join(', ') || '-'}`);
  await removeFaultPods(fresh);
  if (lost.length) throw new CtrdocError('internal', `containers did not survive the restart: ${lost.map((c) => `${c.pod}/${c.name} (pid ${c.pid})`).join(', ')}`, `read ${ctx.p.log}`);
}

async function removeFaultPods(ctx: FaultContext): Promise<void> {
  const killed = await killNeverStartedTasks(ctx).catch(() => 0);
  if (killed) ctx.log(`killed ${killed} never-started task(s) the hung creations left`);
  const cri = ctx.cri();
  for (const pod of await cri.listPodSandbox({ labelSelector: { [FAULT_LABEL]: DEADLOCK_FAULT } })) {
    await cri.stopPodSandbox(pod.id, 15_000).catch((e) => ctx.log(`stop pod: ${e.message}`));
    await cri.removePodSandbox(pod.id, 15_000).catch((e) => ctx.log(`remove pod: ${e.message}`));
    rmSync(join(ctx.p.pods, `${pod.metadata.namespace}_${pod.metadata.name}_${pod.metadata.uid}`), { recursive: true, force: true });
  }
}

// ---- the background loop: scrapers and kubelet-like creators (a child of the supervisor) ----

interface LoopStats {
  scrapes: number;
  scrapesHung: number;
  lastScrapeAnsweredAt?: string;
  podsCreated: number;
  containersStarted: number;
  criErrors: number;
  lastCriError?: string;
}

/** One kubelet-like pod worker: RunPodSandbox, then CreateContainer + StartContainer, retried as kubelet does. */
async function creator(ctx: FaultContext, stats: LoopStats, periodMs: number, stopped: () => boolean, owned: string[]): Promise<void> {
  const cri = ctx.cri();
  let next = newPodName();
  let pod: { id: string; sc: ReturnType<typeof sandboxConfig> } | undefined;
  let attempt = 0;
  while (!stopped()) {
    try {
      if (!pod) {
        // the same name and uid on a retry: CRI answers "failed to reserve sandbox name" then, as on a node
        const sc = sandboxConfig(ctx.p, { ...next, app: DEADLOCK_FAULT, labels: { [FAULT_LABEL]: DEADLOCK_FAULT } });
        mkdirSync(sc.logDirectory, { recursive: true });
        pod = { id: await cri.runPodSandbox(sc, '', 20_000), sc };
        stats.podsCreated++;
        owned.push(pod.id);
        attempt = 0;
      }
      const meta = pod.sc.metadata;
      const cc = containerConfig({ name: 'app', attempt, image: APP_IMAGE, pod: meta, labels: { [FAULT_LABEL]: DEADLOCK_FAULT } });
      const id = await cri.createContainer(pod.id, cc, pod.sc, 20_000);
      await cri.startContainer(id, 20_000);
      stats.containersStarted++;
      pod = undefined;
      next = newPodName();
      while (owned.length > MAX_FAULT_PODS) {
        const old = owned.shift()!;
        await cri.stopPodSandbox(old, 20_000);
        await cri.removePodSandbox(old, 20_000);
      }
    } catch (err) {
      stats.criErrors++;
      stats.lastCriError = (err as Error).message;
      if (pod) attempt++;
      await sleep(periodMs);
    }
  }
}

function newPodName(): { name: string; namespace: string; uid: string } {
  const uid = randomUUID();
  return { name: `${DEADLOCK_FAULT}-${uid.slice(0, 5)}`, namespace: 'ctrdoc-lab', uid };
}

async function scraper(addr: string, stats: LoopStats, stopped: () => boolean): Promise<void> {
  while (!stopped()) {
    const r = await scrapeMetrics(addr, 30_000);
    stats.scrapes++;
    if (r.answered) stats.lastScrapeAnsweredAt = new Date().toISOString();
    else stats.scrapesHung++;
  }
}

/** Runs until SIGTERM: scrapers and creators, a JSON line of counts every 5 s. */
export async function runDeadlockLoop(p: LabPaths, periodMs: number, ctx: FaultContext): Promise<never> {
  const addr = configuredMetricsAddress(p);
  if (!addr) throw new CtrdocError('failed-precondition', `${p.config} sets no [metrics] address`, `ctrdoc lab fault ${DEADLOCK_FAULT} sets it`);
  let stop = false;
  process.on('SIGTERM', () => { stop = true; ctx.close(); process.exit(0); });
  const stats: LoopStats = { scrapes: 0, scrapesHung: 0, podsCreated: 0, containersStarted: 0, criErrors: 0 };
  const line = () => process.stdout.write(JSON.stringify({ at: new Date().toISOString(), loop: DEADLOCK_FAULT, metrics: addr, ...stats }) + '\n');
  const timer = setInterval(line, 5000);
  const owned: string[] = [];
  const stopped = () => stop;
  await Promise.all([
    ...Array.from({ length: SCRAPERS }, () => scraper(addr, stats, stopped)),
    ...Array.from({ length: CREATORS }, () => creator(ctx, stats, periodMs, stopped, owned)),
  ]);
  clearInterval(timer);
  process.exit(0);
}
