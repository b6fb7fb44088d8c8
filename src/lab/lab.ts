// `ctrdoc lab up|down|status`: a private containerd with the CRI plugin on this machine, filled
// with pods the way kubelet fills a node, and removed again by pid and by path.
import { mkdirSync, writeFileSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { CtrdocError } from '../errors.ts';
import { withDeadline } from '../deadline.ts';
import { openCri, type CriClient } from '../sources/cri/client.ts';
import { labPaths, criEndpoint, CNI_CONFIG_FILE, CRI_NAMESPACE, type LabPaths } from './paths.ts';
import { TASK_STATE_SUBDIR } from '../sources/containerd/layout.ts';
import { readBundleShim } from '../sources/runc/bundles.ts';
import { defaultConfigText, labConfigText } from './config.ts';
import { prepareBinaries, type LabBinaries } from './containerd/binaries.ts';
import { requestedLabVersion, LAB_VERSION_ENV, type LabVersion } from './containerd/versions.ts';
import { writeLabImages, PAUSE_IMAGE, APP_IMAGE } from './images.ts';
import { askSupervisor, startSupervisor, readLabRecord, type LabRecord } from './supervisor.ts';
import { startLabPod, removeAllPods, LAB_POD_LABEL, type LabPod } from './pods.ts';
import { faultContext } from './faults/context.ts';
import { killNeverStartedTasks, LOOP_STOP_GRACE_MS } from './faults/pods.ts';
import {
  readProcess, isAlive, signal, waitGone, labProcesses, unmountAll, labMounts, thawLabCgroups,
  removeLabCgroups, labCgroupRoots,
} from './host.ts';

export interface UpOptions {
  dir?: string;
  pods?: number;
  /** the containerd version (`--containerd`); undefined: $CTRDOC_LAB_CONTAINERD, else 1.6 */
  containerd?: string;
  timeoutMs?: number;
  log?: (line: string) => void;
}

export interface UpResult {
  paths: LabPaths;
  record: LabRecord;
  startedContainerd: boolean;
  importedImages: string[];
  newPods: LabPod[];
  readyPods: number;
  flags: string[];
  binaries: LabBinaries;
}

/**
 * A CNI network config without plugin binaries: CRI loads it and reports NetworkReady=true; the
 * lab's pods use the host network and never call CNI. The no-cni fault takes it away.
 */
export function cniConfigText(): string {
  return JSON.stringify({
    cniVersion: '0.4.0',
    name: 'ctrdoc-lab',
    plugins: [{ type: 'bridge', bridge: 'ctrdoc0', isGateway: true, ipam: { type: 'host-local', subnet: '10.244.77.0/24' } }],
  }, null, 2) + '\n';
}

/**
 * Stand-ins for the CNI plugins the config names (bridge, host-local, loopback): the lab has no
 * pod network, so ADD fails with a clear message, while DEL and VERSION succeed, so CRI can
 * tear down a sandbox that failed (e.g. under the no-cni fault).
 */
export const CNI_PLUGIN_SCRIPT = `#!/bin/sh
# ctrdoc lab CNI plugin stand-in: no pod network here (the lab's pods use the host network).
case "$CNI_COMMAND" in
  DEL|CHECK) exit 0 ;;
  VERSION) echo '{"cniVersion":"0.4.0","supportedVersions":["0.3.0","0.3.1","0.4.0"]}'; exit 0 ;;
esac
echo '{"cniVersion":"0.4.0","code":100,"msg":"ctrdoc lab: no pod network (use host-network pods)"}'
exit 1
`;
export const CNI_PLUGINS = ['bridge', 'host-local', 'loopback'];

export function labFlags(p: LabPaths): string[] {
  return [
    `--runtime-endpoint=${criEndpoint(p)}`,
    `--address=${p.socket}`,
    `--namespace=${CRI_NAMESPACE}`,
    `--runc-root=${p.runcRoot}`,
    `--debug-address=${p.debugSocket}`,
    `--containerd-config=${p.config}`,
    `--containerd-log=${p.log}`,
  ];
}

export function envFileText(p: LabPaths, b: LabBinaries, extraFlags: string[] = []): string {
  return [
    `# ctrdoc lab at ${p.dir}: source this file, then run e.g. ctrdoc cri pods $CTRDOC_FLAGS`,
    `CONTAINER_RUNTIME_ENDPOINT=${criEndpoint(p)}`,
    `CTRDOC_LAB_DIR=${p.dir}`,
    `${LAB_VERSION_ENV}=${b.labVersion}`,
    `CTRDOC_LAB_CTR=${b.ctr}`,
    `CTRDOC_FLAGS="${[...labFlags(p), ...extraFlags].join(' ')}"`,
    '',
  ].join('\n');
}

function requireRoot(): void {
  if (process.getuid?.() !== 0) throw new CtrdocError('permission-denied', 'the lab needs root (it runs containerd, mounts and cgroups)', 'run as root (sudo)');
}

function requireRunc(): void {
  try {
    execFileSync('sh', ['-c', 'command -v runc'], { stdio: 'ignore' });
  } catch {
    throw new CtrdocError('not-found', 'runc is not installed (every lab version runs Debian 12\'s runc)', 'bash scripts/setup.sh, or apt-get install -y runc');
  }
}

/**
 * The version a lab dir runs: the one its live supervisor recorded (an explicit --containerd
 * that differs is an error), else the one asked for.
 */
export function chooseLabVersion(p: LabPaths, running: LabRecord | undefined, flag: string | undefined, log: (l: string) => void): LabVersion {
  const asked = requestedLabVersion(flag);
  const recorded = running?.binaries?.labVersion;
  if (!recorded) return asked.version;
  if (asked.from === 'flag' && asked.version !== recorded) {
    throw new CtrdocError('failed-precondition', `the lab at ${p.dir} runs containerd ${recorded}, not ${asked.version}`, `ctrdoc lab down --dir ${p.dir}, then lab up --containerd ${asked.version}`);
  }
  if (asked.version !== recorded) log(`the lab at ${p.dir} runs containerd ${recorded} (${asked.from === 'env' ? `$${LAB_VERSION_ENV} says ${asked.version}` : 'kept'})`);
  return recorded;
}

/** A pid from lab.json is ours only if it is alive and its command line still names the lab dir. */
export function ownedPid(pid: number | undefined, dir: string): boolean {
  if (!pid) return false;
  const proc = readProcess(pid);
  return !!proc && proc.state !== 'Z' && proc.argv.some((a) => a === dir || a.startsWith(dir + '/'));
}

async function supervisorRecord(p: LabPaths): Promise<LabRecord | undefined> {
  try {
    return (await askSupervisor(p, { op: 'status' }, 3000)).record;
  } catch {
    return undefined;
  }
}

export async function waitForCri(cri: CriClient, ms: number, p: LabPaths): Promise<void> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      await cri.version();
      return;
    } catch (err) {
      last = err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new CtrdocError('unavailable', `the lab's containerd does not answer CRI on ${criEndpoint(p)}: ${(last as Error)?.message}`, `read ${p.log}`);
}

async function importImages(p: LabPaths, cri: CriClient, ctr: string, log: (l: string) => void): Promise<string[]> {
  const wanted = [PAUSE_IMAGE, APP_IMAGE];
  const missing: string[] = [];
  for (const img of wanted) if (!(await cri.imageStatus(img))) missing.push(img);
  if (missing.length === 0) return [];
  const files = await writeLabImages(p.images);
  for (const img of missing) {
    log(`importing ${img}`);
    try {
      execFileSync(ctr, ['-a', p.socket, '-n', CRI_NAMESPACE, 'images', 'import', files.get(img)!], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 });
    } catch (err) {
      const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? '';
      throw new CtrdocError('internal', `ctr images import ${img} failed: ${stderr.trim() || (err as Error).message}`, `read ${p.log}`);
    }
  }
  // The CRI plugin learns about imported images from containerd's events.
  const deadline = Date.now() + 10_000;
  for (const img of missing) {
    while (!(await cri.imageStatus(img))) {
      if (Date.now() > deadline) throw new CtrdocError('internal', `CRI does not see imported image ${img}`, `read ${p.log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return missing;
}

/** Starts `want` lab pods, four at a time. */
async function startPods(cri: CriClient, p: LabPaths, want: number, o: { timeoutMs: number; log: (l: string) => void }): Promise<LabPod[]> {
  const newPods: LabPod[] = [];
  const queue = Array.from({ length: want }, (_, i) => i);
  const worker = async () => {
    while (queue.shift() !== undefined) {
      const pod = await startLabPod(cri, p, { timeoutMs: o.timeoutMs });
      newPods.push(pod);
      o.log(`pod ${pod.namespace}/${pod.name} ${pod.podId.slice(0, 13)} started`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(4, want) }, worker));
  return newPods;
}

/** The lab's dirs, its config (kept while a lab runs: a fault may have changed it), CNI config and plugins. */
function writeLabFiles(p: LabPaths, binaries: LabBinaries, running: boolean): void {
  for (const d of [p.dir, p.root, p.state, p.images, p.pods, p.cniConfDir, p.cniBinDir, p.faults, join(p.dir, 'opt')]) mkdirSync(d, { recursive: true, mode: 0o711 });
  const defText = defaultConfigText(binaries.containerd);
  writeFileSync(p.defaultConfig, defText);
  // a running lab keeps its config (a fault may have changed it); a dead one of another version does not
  const stale = readLabRecord(p)?.binaries?.labVersion;
  if (!running && stale && stale !== binaries.labVersion) rmSync(p.config, { force: true });
  if (!existsSync(p.config)) writeFileSync(p.config, labConfigText(p, defText));
  if (!existsSync(join(p.cniConfDir, CNI_CONFIG_FILE)) && !existsSync(join(p.faults, CNI_CONFIG_FILE + '.no-cni'))) writeFileSync(join(p.cniConfDir, CNI_CONFIG_FILE), cniConfigText());
  for (const plugin of CNI_PLUGINS) writeFileSync(join(p.cniBinDir, plugin), CNI_PLUGIN_SCRIPT, { mode: 0o755 });
}

/** Idempotent: reuses a running lab, imports missing images, tops pods up to `pods` ready ones. */
export async function labUp(o: UpOptions = {}): Promise<UpResult> {
  requireRoot();
  requireRunc();
  const p = labPaths(o.dir);
  const log = o.log ?? (() => {});
  const timeoutMs = o.timeoutMs ?? 30_000;
  let record = await supervisorRecord(p);
  const version = chooseLabVersion(p, record, o.containerd, log);
  const binaries = await prepareBinaries(version, log);
  if (binaries.note) log(binaries.note);
  writeLabFiles(p, binaries, !!record);

  if (!record) {
    log('starting the lab supervisor');
    record = await startSupervisor(p);
  }
  let startedContainerd = false;
  if (!record.containerd || record.containerd.exit || !isAlive(record.containerd.pid)) {
    log(`starting containerd ${binaries.labVersion} (${binaries.binaryVersion})`);
    record = (await askSupervisor(p, { op: 'start-containerd', config: p.config, waitMs: timeoutMs, binaries }, timeoutMs + 5000)).record;
    startedContainerd = true;
  }
  const cri = openCri(criEndpoint(p), { timeoutMs: 10_000 });
  try {
    await waitForCri(cri, timeoutMs, p);
    const importedImages = await importImages(p, cri, binaries.ctr, log);
    const ready = (await cri.listPodSandbox({ state: 'SANDBOX_READY', labelSelector: { [LAB_POD_LABEL]: 'true', app: 'web' } })).length;
    const newPods = await startPods(cri, p, Math.max(0, (o.pods ?? 0) - ready), { timeoutMs, log });
    writeFileSync(p.env, envFileText(p, binaries));
    return { paths: p, record: readLabRecord(p) ?? record, startedContainerd, importedImages, newPods, readyPods: ready + newPods.length, flags: labFlags(p), binaries };
  } finally {
    cri.close();
  }
}

/** A task bundle's shim address: `address` (1.x) or bootstrap.json's address (2.x). */
function bundleShimAddress(bundle: string): string | undefined {
  try {
    return readBundleShim(bundle).address;
  } catch {
    return undefined;
  }
}

/** Shim socket paths named in the lab's task bundles (they live in /run/containerd/s). */
export function shimSocketPaths(p: LabPaths): string[] {
  const out: string[] = [];
  const base = join(p.state, TASK_STATE_SUBDIR);
  let nss: string[] = [];
  try {
    nss = readdirSync(base);
  } catch {
    return out;
  }
  for (const ns of nss) {
    let ids: string[] = [];
    try { ids = readdirSync(join(base, ns)); } catch { continue; }
    for (const id of ids) {
      const path = bundleShimAddress(join(base, ns, id))?.replace(/^unix:\/\//, '');
      if (path?.startsWith('/')) out.push(path);
    }
  }
  return [...new Set(out)];
}

export interface DownResult {
  dir: string;
  removedPods: number;
  podErrors: string[];
  killed: number[];
  unmounted: number;
  left: { processes: number[]; mounts: string[]; cgroups: string[] };
  removedDir: boolean;
}

/** Through CRI, while containerd runs: never-started tasks killed, every pod stopped and removed. */
async function removePods(p: LabPaths, log: (l: string) => void, result: DownResult): Promise<void> {
  const ctx = faultContext(p, log, 5000);
  try {
    const killed = await withDeadline(killNeverStartedTasks(ctx), 15_000, 'killing never-started tasks').catch((err: Error) => {
      log(err.message);
      return 0;
    });
    if (killed) log(`killed ${killed} never-started task(s)`);
    const r = await withDeadline(removeAllPods(ctx.cri(), 5000), 20_000, 'removing the lab pods');
    result.removedPods = r.removed;
    result.podErrors = r.failed;
  } catch (err) {
    result.podErrors.push((err as Error).message);
  } finally {
    ctx.close();
  }
  log(`removed ${result.removedPods} pods`);
}

/** Whatever of the lab still runs, by pid (thawed first: SIGKILL cannot reach a frozen task on cgroup v1); up to three rounds. */
async function killLabProcesses(p: LabPaths): Promise<number[]> {
  const killed: number[] = [];
  for (let round = 0; round < 3; round++) {
    thawLabCgroups(p.cgroupParent);
    const procs = labProcesses(p.dir, p.cgroupParent);
    if (procs.length === 0) break;
    for (const proc of procs) {
      signal(proc.pid, 'SIGCONT');
      if (signal(proc.pid, 'SIGKILL')) killed.push(proc.pid);
    }
    await waitGone(procs.map((x) => x.pid), 5000);
  }
  return killed;
}

/** Stops exactly what the lab started (by pid), unmounts, removes cgroups and the lab dir. */
export async function labDown(o: { dir?: string; log?: (l: string) => void } = {}): Promise<DownResult> {
  requireRoot();
  const p = labPaths(o.dir);
  const log = o.log ?? (() => {});
  const result: DownResult = { dir: p.dir, removedPods: 0, podErrors: [], killed: [], unmounted: 0, left: { processes: [], mounts: [], cgroups: [] }, removedDir: false };
  if (!existsSync(p.dir)) return result;
  const record = readLabRecord(p);
  const containerdPid = liveContainerdPid(record);
  // the faults' background loops first, so nothing creates containers while pods go away;
  // everything else a fault made is a process, mount or cgroup of the lab and goes below
  for (const name of Object.keys(record?.helpers ?? {})) {
    await askSupervisor(p, { op: 'stop-helper', name, graceMs: LOOP_STOP_GRACE_MS }, LOOP_STOP_GRACE_MS + 5000).catch(() => {});
  }
  thawLabCgroups(p.cgroupParent);
  if (ownedPid(containerdPid, p.dir)) {
    signal(containerdPid!, 'SIGCONT');
    await removePods(p, log, result);
  }
  const shimSockets = shimSocketPaths(p);
  try {
    await askSupervisor(p, { op: 'shutdown', graceMs: 10_000 }, 20_000);
  } catch (err) {
    log(`supervisor: ${(err as Error).message}; stopping by pid`);
  }
  // Whatever is left, by pid: containerd, the supervisor, shims, runc inits, helpers.
  for (const pid of [containerdPid, record?.supervisor.pid]) {
    if (pid && ownedPid(pid, p.dir)) {
      signal(pid, 'SIGCONT');
      signal(pid, 'SIGTERM');
    }
  }
  await waitGone([containerdPid ?? 0, record?.supervisor.pid ?? 0].filter(Boolean), 5000);
  result.killed = await killLabProcesses(p);
  result.left.processes = labProcesses(p.dir, p.cgroupParent).map((x) => x.pid);
  const um = unmountAll(p.dir);
  result.unmounted = um.unmounted.length;
  result.left.mounts = um.failed;
  for (let i = 0; i < 20; i++) {
    result.left.cgroups = removeLabCgroups(p.cgroupParent);
    if (result.left.cgroups.length === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  for (const s of shimSockets) rmSync(s, { force: true });
  if (labMounts(p.dir).length === 0) {
    rmSync(p.dir, { recursive: true, force: true });
    result.removedDir = !existsSync(p.dir);
  }
  return result;
}

export interface LabStatus {
  dir: string;
  exists: boolean;
  supervisor: { pid?: number; alive: boolean };
  containerd: { pid?: number; alive: boolean; state?: string; config?: string; labVersion?: string; version?: string; binary?: string };
  sockets: Record<string, boolean>;
  cri: { answered: boolean; error?: string; pods?: number; readyPods?: number; containers?: number; runningContainers?: number };
  shims: number[];
  helpers: Record<string, { pid: number; alive: boolean }>;
  cgroups: string[];
  mounts: number;
  flags: string[];
}

/** The pid of the lab's containerd unless it is recorded as exited. */
const liveContainerdPid = (record: LabRecord | undefined): number | undefined => (record?.containerd && !record.containerd.exit ? record.containerd.pid : undefined);

function containerdStatus(p: LabPaths, record: LabRecord | undefined, cdPid: number | undefined): LabStatus['containerd'] {
  const b = record?.binaries;
  return {
    pid: cdPid, alive: ownedPid(cdPid, p.dir), state: cdPid ? readProcess(cdPid)?.state : undefined, config: record?.containerd?.config,
    labVersion: b?.labVersion, version: b?.binaryVersion, binary: b?.containerd,
  };
}

export async function labStatus(o: { dir?: string; timeoutMs?: number } = {}): Promise<LabStatus> {
  const p = labPaths(o.dir);
  const record = readLabRecord(p);
  const cdPid = liveContainerdPid(record);
  const st: LabStatus = {
    dir: p.dir,
    exists: existsSync(p.dir),
    supervisor: { pid: record?.supervisor.pid, alive: ownedPid(record?.supervisor.pid, p.dir) },
    containerd: containerdStatus(p, record, cdPid),
    sockets: Object.fromEntries([p.socket, p.socket + '.ttrpc', p.debugSocket, p.supervisorSocket].map((s) => [s, existsSync(s)])),
    cri: { answered: false },
    shims: [],
    helpers: {},
    cgroups: labCgroupRoots(p.cgroupParent),
    mounts: labMounts(p.dir).length,
    flags: labFlags(p),
  };
  for (const [name, h] of Object.entries(record?.helpers ?? {})) st.helpers[name] = { pid: h.pid, alive: !h.exit && isAlive(h.pid) };
  if (st.exists) st.shims = labProcesses(p.dir, p.cgroupParent).filter((x) => x.comm.startsWith('containerd-shim')).map((x) => x.pid);
  if (st.containerd.alive && st.containerd.state !== 'T') st.cri = await criCounts(p, o.timeoutMs ?? 2000);
  else if (st.containerd.state === 'T') st.cri = { answered: false, error: 'containerd is stopped (state T)' };
  return st;
}

/** What the lab's CRI answers: its pods and containers, counted. */
async function criCounts(p: LabPaths, timeoutMs: number): Promise<LabStatus['cri']> {
  const cri = openCri(criEndpoint(p), { timeoutMs });
  try {
    const pods = await cri.listPodSandbox();
    const ctrs = await cri.listContainers();
    return {
      answered: true,
      pods: pods.length,
      readyPods: pods.filter((x) => x.state === 'SANDBOX_READY').length,
      containers: ctrs.length,
      runningContainers: ctrs.filter((c) => c.state === 'CONTAINER_RUNNING').length,
    };
  } catch (err) {
    return { answered: false, error: (err as Error).message };
  } finally {
    cri.close();
  }
}

export interface LabLeftovers {
  processes: { pid: number; state: string; argv: string }[];
  mounts: string[];
  cgroups: string[];
  sockets: string[];
  dirExists: boolean;
}

/** What of the lab at dir is still on this machine (empty lists after a clean `down`). */
export function labLeftovers(dir: string, shimSockets: string[] = []): LabLeftovers {
  const p = labPaths(dir);
  return {
    processes: labProcesses(p.dir, p.cgroupParent).map((x) => ({ pid: x.pid, state: x.state, argv: x.argv.join(' ') })),
    mounts: labMounts(p.dir),
    cgroups: labCgroupRoots(p.cgroupParent),
    sockets: [...shimSockets, p.socket, p.debugSocket, p.supervisorSocket].filter((s) => existsSync(s)),
    dirExists: existsSync(p.dir),
  };
}
