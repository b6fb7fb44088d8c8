// collect(): every source in parallel, each under its own deadline, inside an overall one. A
// hung runtime is the normal case: whatever does not answer is recorded as a timeout and the
// Snapshot still comes out on time.
import { hostname, release, cpus } from 'node:os';
import { readFileSync, readlinkSync, readdirSync } from 'node:fs';
import type {
  ContainerDetail, ContainerdProcessView, ProbeResult, SandboxDetail, Snapshot, StackLocation, GoroutineAnalysis, LogWindow,
} from './types/index.ts';
import { runProbe, skip, type ProbeTiming } from './probe.ts';
import { openCri } from '../sources/cri/client.ts';
import { openContainerd } from '../sources/containerd/client.ts';
import { readContainerdConfig } from '../sources/containerd/config.ts';
import { refineFromCri } from '../sources/containerd/discover.ts';
import { scanProcesses } from '../sources/proc/scan.ts';
import { collectTreeInputs } from './tree-inputs.ts';
import { confirmTreeFacts } from './second-look.ts';
import type { ProcTable } from './types/proc.ts';
import { CTRDOC_VERSION } from '../version.ts';


export interface CollectOptions {
  stack: StackLocation;
  /** the whole collection's deadline (default 10 s) */
  deadlineMs?: number;
  /** opt-in: create and start a tiny container through CRI to prove the node can */
  canary?: boolean;
  /** containerd goroutines: 'auto' (debug socket, when something looks hung), 'off', or 'signal' (SIGUSR1 allowed) */
  goroutines?: 'auto' | 'off' | 'signal';
  /** a container Created, or a runc init parked, this long counts as stuck (default 60 s) */
  stuckAfterSec?: number;
  /** a /proc scan already taken (the doctor scans once for discovery and collection) */
  procTable?: ProcTable;
  /** paths for the kubelet source (tests and the lab's stand-in point at their own files) */
  kubeletFiles?: Record<string, string>;
  /** the log window the log probes mark episodes against (--since, or containerd's start) */
  logWindow?: LogWindow;
  onProgress?: (t: ProbeTiming) => void;
}

export const DEFAULT_STUCK_AFTER_SEC = 60;
const CANARY_MS = 8000;

/** How many verbose status calls run at once. */
const STATUS_CONCURRENCY = 16;

async function mapLimit<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  });
  await Promise.all(workers);
  return out;
}

function containerdProcess(pid: number | undefined, table: Awaited<ReturnType<typeof scanProcesses>> | undefined): ContainerdProcessView {
  if (!pid) skip('no containerd process serves this endpoint');
  const p = table?.processes.find((x) => x.pid === pid);
  if (!p) skip(`containerd pid ${pid} is not in the process table (exited?)`);
  let fds: number | undefined;
  let fdLimit: number | undefined;
  try {
    fds = readdirSync(`/proc/${pid}/fd`).length;
    const lim = /^Max open files\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'));
    fdLimit = lim ? Number(lim[1]) : undefined;
  } catch {
    // not readable (not root, or gone): leave unknown
  }
  let wchan: string | undefined;
  try {
    wchan = readFileSync(`/proc/${pid}/wchan`, 'utf8').trim() || undefined;
  } catch {
    wchan = undefined;
  }
  return { pid: p.pid, state: p.state, uptimeSec: p.ageSec, argv: p.cmdline, threads: p.threads, rssKb: p.rssKb, fds, fdLimit, wchan };
}

function binaryOf(pid: number | undefined): string {
  if (pid) {
    try {
      return readlinkSync(`/proc/${pid}/exe`).replace(/ \(deleted\)$/, '');
    } catch {
      // fall through to PATH
    }
  }
  return 'containerd';
}

export async function collect(opts: CollectOptions): Promise<Snapshot> {
  const t0 = Date.now();
  const deadlineMs = opts.deadlineMs ?? 10_000;
  const end = t0 + deadlineMs;
  const stack = opts.stack;
  const per = stack.timeoutMs;
  const stuckAfterSec = opts.stuckAfterSec ?? DEFAULT_STUCK_AFTER_SEC;
  /** a probe's budget: its own timeout, cut to what is left of the overall deadline */
  const budget = (ms = per) => Math.min(ms, end - Date.now() - 50);
  const probe = <T>(name: string, fn: () => Promise<T> | T, ms?: number) => runProbe(name, budget(ms), fn, opts.onProgress);

  let cri: ReturnType<typeof openCri> | undefined;
  let ctd: ReturnType<typeof openContainerd> | undefined;
  const criOpen = () => (cri ??= openCri(stack.runtimeEndpoint, { timeoutMs: per }));
  const ctdOpen = () => (ctd ??= openContainerd(stack.address, { namespace: stack.namespace, timeoutMs: per }));

  try {
    const proc = probe('proc', () => opts.procTable ?? scanProcesses());
    const criVersion = probe('cri.version', () => criOpen().version());
    const criStatus = probe('cri.status', () => criOpen().status(true));
    const pods = probe('cri.pods', () => criOpen().listPodSandbox());
    const containers = probe('cri.containers', () => criOpen().listContainers());
    const images = probe('cri.images', async () => (await criOpen().listImages()).flatMap((i) => i.repoTags));
    const ctdVersion = probe('containerd.version', () => ctdOpen().version());
    const tasks = probe('containerd.tasks', () => ctdOpen().listTasks());
    const ctdContainers = probe('containerd.containers', () => ctdOpen().listContainers());
    const plugins = probe('containerd.plugins', () => ctdOpen().plugins());
    const config = probe('containerd.config', () => readContainerdConfig({
      binary: binaryOf(stack.containerdPid), configPath: stack.containerdConfig, timeoutMs: budget(5000),
    }), 5000);
    const layerProbes = collectLayerProbes(opts, probe);
    // The canary runs beside everything else, with its own deadline inside the probe's, so that a
    // hung step comes back as "failed at run-sandbox", not as a probe that timed out.
    const canary = opts.canary
      ? probe('canary', async () => {
        const { runCanary } = await import('../sources/cri/canary.ts');
        return runCanary(stack, budget(CANARY_MS) - 500);
      }, CANARY_MS)
      : undefined;

    const containerDetails = containers.then((c) => probe<ContainerDetail[]>('cri.containerDetails', async () => {
      if (c.status !== 'ok' || !c.data) skip('ListContainers did not answer');
      return (await mapLimit(c.data, STATUS_CONCURRENCY, (x) => criOpen().containerStatus(x.id, true).catch(() => undefined)))
        .filter((d): d is ContainerDetail => !!d);
    }));
    // Verbose sandbox status reaches the pod's shim: worth it for pods whose sandbox task is not
    // running (a dead or hung shim shows there), wasted on healthy ones (containerd's task list
    // already has their pids).
    const sandboxDetails = Promise.all([pods, tasks]).then(([p, t]) => probe<SandboxDetail[]>('cri.sandboxDetails', async () => {
      if (p.status !== 'ok' || !p.data) skip('ListPodSandbox did not answer');
      const running = new Set((t.data ?? []).filter((x) => x.status === 'RUNNING').map((x) => x.id));
      const suspect = p.data.filter((x) => !running.has(x.id));
      return (await mapLimit(suspect, STATUS_CONCURRENCY, (x) => criOpen().podSandboxStatus(x.id, true).catch(() => undefined)))
        .filter((d): d is SandboxDetail => !!d);
    }));
    const procDone = await proc;
    const process = probe('containerd.process', () => containerdProcess(stack.containerdPid, procDone.data));
    // Where runc and the task bundles really are, as the running CRI plugin says: its Status is
    // usually in before the /proc scan is done; a hung one is waited for a second at most.
    const located = refineFromCri(stack, (await settledWithin(criStatus, Math.min(per, 1000)))?.data?.info);

    const treeParts = collectTreeInputs({
      stack: located, proc: procDone, containers, containerDetails, sandboxDetails, pods, tasks,
      probe, budget, stuckAfterSec,
    });

    const [
      criVersionR, criStatusR, podsR, containersR, imagesR, ctdVersionR, tasksR, ctdContainersR, pluginsR, configR,
      containerDetailsR, sandboxDetailsR, processR, layers, tree,
    ] = await Promise.all([
      criVersion, criStatus, pods, containers, images, ctdVersion, tasks, ctdContainers, plugins, config,
      containerDetails, sandboxDetails, process, layerProbes, treeParts,
    ]);

    const snapshot: Snapshot = {
      apiVersion: 'ctrdoc/v1alpha1',
      kind: 'Snapshot',
      collectedAt: new Date(t0).toISOString(),
      ctrdocVersion: CTRDOC_VERSION,
      host: { hostname: hostname(), kernel: release(), cpus: cpus().length },
      stack: located,
      thresholds: { stuckAfterSec },
      deadlineMs,
      durationMs: 0,
      cri: { version: criVersionR, status: criStatusR, pods: podsR, containers: containersR, containerDetails: containerDetailsR, sandboxDetails: sandboxDetailsR, images: imagesR },
      containerd: { process: processR, version: ctdVersionR, tasks: tasksR, containers: ctdContainersR, plugins: pluginsR, config: configR, log: layers.containerdLog },
      proc: procDone,
      runc: tree.runc,
      bundles: tree.bundles,
      tree: tree.tree,
      kubelet: layers.kubelet,
      kubeletLog: layers.kubeletLog,
      node: layers.node,
    };

    // facts about things that came or went between two reads are judged on a second look
    await confirmTreeFacts(snapshot, { cri: criOpen, containerd: ctdOpen, budget });

    const extras: Promise<void>[] = [];
    if (opts.goroutines !== 'off' && looksHung(snapshot)) {
      extras.push(probe<GoroutineAnalysis>('containerd.goroutines', () => takeContainerdDump(stack, processR, opts.goroutines === 'signal', budget(5000)), 5000)
        .then((g) => { snapshot.containerd.goroutines = g; }));
    }
    if (canary) extras.push(canary.then((c) => { snapshot.canary = c; }));
    await Promise.all(extras);
    snapshot.durationMs = Date.now() - t0;
    return snapshot;
  } finally {
    cri?.close();
    ctd?.close();
  }
}

/** The promise's value if it settles within `ms`, else undefined (it keeps running). */
async function settledWithin<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([p, new Promise<undefined>((r) => { timer = setTimeout(() => r(undefined), Math.max(0, ms)); })]);
  } finally {
    clearTimeout(timer);
  }
}

/** Worth a goroutine dump: CRI did not answer, or tasks look created and never started. */
export function looksHung(s: Snapshot): boolean {
  const criHung = [s.cri.version, s.cri.status, s.cri.pods, s.cri.containers].some((p) => p.status === 'timeout');
  const stuck = s.tree.data?.facts.some((f) => f.kind === 'stuck-runc-init' || f.kind === 'repeated-runc-init') ?? false;
  return criHung || stuck;
}

async function takeContainerdDump(stack: StackLocation, proc: ProbeResult<ContainerdProcessView>, signal: boolean, timeoutMs: number): Promise<GoroutineAnalysis> {
  const { analyzeStream, analyzeFile } = await import('../goroutines/index.ts');
  if (proc.data?.state === 'T') skip('containerd is stopped (T): it cannot answer the debug socket or a signal until SIGCONT');
  if (stack.debugAddress) {
    const { openDebugStream, GOROUTINE_DUMP_PATH } = await import('../sources/debug/http.ts');
    const path = stack.debugAddress.replace(/^unix:\/\//, '');
    return analyzeStream(await openDebugStream(path, GOROUTINE_DUMP_PATH, { timeoutMs, maxBytes: 512 << 20 }));
  }
  if (signal && proc.data) {
    const { signalContainerdDump } = await import('../sources/debug/signal.ts');
    const f = await signalContainerdDump(proc.data.pid, { timeoutMs });
    return analyzeFile(f.path);
  }
  skip('no debug socket ([debug] address) and --signal not given');
}

type ProbeFn = <T>(name: string, fn: () => Promise<T> | T, ms?: number) => Promise<ProbeResult<T>>;

/** kubelet, logs and node: the sources of src/sources/{kubelet,logs,node}. */
async function collectLayerProbes(opts: CollectOptions, probe: ProbeFn) {
  const { collectLayers } = await import('./layers.ts');
  return collectLayers(opts, probe);
}
