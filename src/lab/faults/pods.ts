// Faults that live in pods, made through CRI the way kubelet makes pods, plus containerd's own
// task API where the seed's state needs it:
//  - stuck-init-task: CreateContainer via CRI, then Tasks.Create via containerd and no Start.
//  - hung-start: the same, repeated by a kubelet-like retry loop with attempt + 1 every period.
//  - crashloop: an app that exits 1, restarted kubelet-style with rising attempts.
//  - busy-shim: an app writing stdout as fast as it can (its shim burns CPU copying IO).
//  - no-cni: the CNI config taken away: NetworkReady=false, a pod-network sandbox fails.
import { execFileSync } from 'node:child_process';
import { existsSync, copyFileSync, statSync, truncateSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CtrdocError } from '../../errors.ts';
import type { CriClient } from '../../sources/cri/client.ts';
import type { ContainerdClient } from '../../sources/containerd/client.ts';
import { CNI_CONFIG_FILE, CRI_NAMESPACE, type LabPaths } from '../paths.ts';
import { APP_IMAGE } from '../images.ts';
import { startLabPod, containerConfig, LAB_POD_LABEL } from '../pods.ts';
import { askSupervisor, selfCommand, recordedBinaries } from '../supervisor.ts';
import { FAULT_LABEL, sleep, waitFor, type FaultContext, type FaultRecord } from './context.ts';
import { parseDuration } from '../../deadline.ts';

/** The mounts of a container's snapshot, read with `ctr snapshots mounts` (the API client has no Snapshots service). */
export function snapshotMounts(p: LabPaths, key: string, snapshotter = 'overlayfs'): { type: string; source: string; options: string[] }[] {
  const out = execFileSync(recordedBinaries(p).ctr, ['-a', p.socket, '-n', CRI_NAMESPACE, 'snapshots', '--snapshotter', snapshotter, 'mounts', '/rootfs', key], { encoding: 'utf8', timeout: 10_000 });
  const mounts: { type: string; source: string; options: string[] }[] = [];
  for (const line of out.split('\n')) {
    const m = /^mount -t (\S+) (\S+) \S+(?: -o (\S+))?\s*$/.exec(line.trim());
    if (m) mounts.push({ type: m[1], source: m[2], options: m[3] ? m[3].split(',') : [] });
  }
  if (mounts.length === 0) throw new CtrdocError('internal', `no mounts for snapshot ${key}: ${out.trim()}`);
  return mounts;
}

/** The sandbox config CRI stored for a pod (verbose status), as CreateContainer wants it. */
export async function storedSandboxConfig(cri: CriClient, podId: string): Promise<{ config: Record<string, any>; name: string; namespace: string; uid: string }> {
  const st = await cri.rawPodSandboxStatus(podId, true);
  const info = st.info.info as { config?: Record<string, any> } | undefined;
  // containerd marshals the stored config with Go's json: snake_case names; the client wants camelCase
  const config = camelKeys(info?.config) as Record<string, any> | undefined;
  if (!config?.metadata) throw new CtrdocError('internal', `CRI's verbose status of pod ${podId} has no config`);
  return { config, name: config.metadata.name, namespace: config.metadata.namespace, uid: config.metadata.uid };
}

function camelKeys(v: unknown, parentKey = ''): unknown {
  if (Array.isArray(v)) return v.map((x) => camelKeys(x));
  if (!v || typeof v !== 'object') return v;
  if (parentKey === 'labels' || parentKey === 'annotations') return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => {
    const ck = k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    return [ck, camelKeys(x, ck)];
  }));
}

/** One kubelet attempt that never starts: CreateContainer (CRI) + Tasks.Create (containerd), no Start. */
export async function createNeverStarted(cri: CriClient, ctd: ContainerdClient, p: LabPaths, podId: string, attempt: number, fault: string): Promise<{ containerId: string; pid: number; attempt: number }> {
  const sb = await storedSandboxConfig(cri, podId);
  const cc = containerConfig({ name: 'app', attempt, image: APP_IMAGE, pod: sb, labels: { [FAULT_LABEL]: fault } });
  const containerId = await cri.createContainer(podId, cc, sb.config, 30_000);
  const rootfs = snapshotMounts(p, containerId);
  const { pid } = await ctd.createTask({ containerId, rootfs }, 30_000);
  return { containerId, pid, attempt };
}

async function resolvePod(ctx: FaultContext, pod: string | undefined): Promise<string> {
  const pods = await ctx.cri().listPodSandbox({ state: 'SANDBOX_READY' });
  const found = pods.find((x) => x.id.startsWith(pod ?? '\0') || x.metadata.name === pod);
  if (!found) throw new CtrdocError('not-found', `no ready pod "${pod}" in the lab`, 'see `ctrdoc cri pods` with the lab flags');
  return found.id;
}

/** A pod of the fault's own (labelled), so clear can remove it and nothing else. */
async function faultPod(ctx: FaultContext, fault: string, o: { command?: string[]; start?: boolean; withContainer?: boolean; resources?: Record<string, number> } = {}) {
  return startLabPod(ctx.cri(), ctx.p, { app: fault, labels: { [FAULT_LABEL]: fault }, command: o.command, start: o.start, withContainer: o.withContainer, resources: o.resources });
}

export async function applyStuckInitTask(ctx: FaultContext, o: { pod?: string }): Promise<FaultRecord['details']> {
  const own = !o.pod;
  const podId = own ? (await faultPod(ctx, 'stuck-init-task', { withContainer: false })).podId : await resolvePod(ctx, o.pod);
  const attempt = own ? 0 : 100;
  const r = await createNeverStarted(ctx.cri(), ctx.containerd(), ctx.p, podId, attempt, 'stuck-init-task');
  ctx.log(`container ${r.containerId.slice(0, 13)} created, runc init pid ${r.pid} parked on exec.fifo; no Start will come`);
  return { podId, ownPod: own, containers: [r.containerId], pids: [r.pid] };
}

export async function applyHungStart(ctx: FaultContext, o: { pod?: string; period?: string }): Promise<FaultRecord['details']> {
  const periodMs = o.period ? parseDuration(o.period) : 20_000;
  const own = !o.pod;
  const podId = own ? (await faultPod(ctx, 'hung-start', { withContainer: false })).podId : await resolvePod(ctx, o.pod);
  const startAttempt = own ? 0 : 1;
  const argv = [...selfCommand(), 'lab', 'fault-loop', 'hung-start', '--dir', ctx.p.dir, '--pod', podId, '--period', `${periodMs}ms`, '--attempt', String(startAttempt)];
  const { pid } = await askSupervisor(ctx.p, { op: 'spawn', name: 'hung-start', argv, log: join(ctx.p.faults, 'hung-start.log') });
  // the first attempt comes at once: wait until its runc init is parked
  await waitFor('the first hung-start attempt', 30_000, async () => {
    const cs = await ctx.cri().listContainers({ podSandboxId: podId, labelSelector: { [FAULT_LABEL]: 'hung-start' } });
    return cs.length > 0 ? cs : undefined;
  });
  ctx.log(`kubelet-like retry loop pid ${pid}: a new never-started attempt every ${periodMs} ms in pod ${podId.slice(0, 13)}`);
  return {
    podId, ownPod: own, loopPid: pid, periodMs,
    note: 'containerd 1.6.20 with a runtime wrapper (BinaryName) that blocks runc start/create: the CRI call runs into its deadline and containerd cleans up (kills the parked runc init), so the wrapper variants leave no parked init behind — only the seed\'s deadlock inside task creation does, which this fault reproduces with Tasks.Create and no Start.',
  };
}

/** Removes the fault's containers (kill + delete the task, then CRI remove) and its own pod. */
export async function clearPodFault(ctx: FaultContext, d: FaultRecord['details'], fault: string, helper?: string): Promise<void> {
  if (helper) await askSupervisor(ctx.p, { op: 'stop-helper', name: helper, graceMs: LOOP_STOP_GRACE_MS }, LOOP_STOP_GRACE_MS + 5000).catch((e) => ctx.log(e.message));
  const cri = ctx.cri();
  const podId = String(d.podId);
  const clearContainers = async () => {
    for (const c of await cri.listContainers({ podSandboxId: podId })) {
      if (!d.ownPod && c.labels[FAULT_LABEL] !== fault) continue;
      // CRI stops what it started; a task created behind its back and never started it does not
      // see, so that one is killed through containerd. Killing a running one that way instead
      // leaves CRI saying Running until it has handled the exit (a busy container's output takes
      // a while to drain), and RemoveContainer refuses "container is still running".
      if (c.state === 'CONTAINER_CREATED') await ctd_killDelete(ctx, c.id);
      await cri.stopContainer(c.id, 0, 15_000).catch((e) => ctx.log(`stop ${c.id.slice(0, 13)}: ${e.message}`));
      await waitFor(`container ${c.id.slice(0, 13)} to leave Running`, 15_000, async () => ((await cri.containerStatus(c.id)).status.state !== 'CONTAINER_RUNNING' ? true : undefined))
        .catch((e) => ctx.log(e.message));
      await cri.removeContainer(c.id, 10_000).catch((e) => ctx.log(`remove ${c.id.slice(0, 13)}: ${e.message}`));
    }
  };
  await clearContainers();
  if (d.ownPod) {
    const st = await cri.rawPodSandboxStatus(podId, false).catch(() => undefined);
    // A retry loop stopped mid-attempt can finish one more Tasks.Create after the containers were
    // listed: then the pod still holds a task; clear its containers again and retry.
    for (let pass = 1; pass <= 3; pass++) {
      await cri.stopPodSandbox(podId, 15_000).catch((e) => ctx.log(`stop pod: ${e.message}`));
      const err = await cri.removePodSandbox(podId, 15_000).then(() => undefined, (e: Error) => e);
      if (!err) break;
      if (pass === 3) ctx.log(`remove pod: ${err.message}`);
      else await clearContainers();
    }
    const logDir = (st?.status as { metadata?: { name: string; namespace: string; uid: string } } | undefined)?.metadata;
    if (logDir) rmSync(join(ctx.p.pods, `${logDir.namespace}_${logDir.name}_${logDir.uid}`), { recursive: true, force: true });
  }
}

/**
 * Kills and deletes the task of every container CRI lists as Created (hung-start's attempts,
 * a stuck init): CRI's StopPodSandbox leaves them, and RemovePodSandbox then fails with
 * "cannot delete running task".
 */
export async function killNeverStartedTasks(ctx: FaultContext): Promise<number> {
  const created = (await ctx.cri().listContainers()).filter((c) => c.state === 'CONTAINER_CREATED');
  await Promise.all(created.map((c) => ctd_killDelete(ctx, c.id)));
  return created.length;
}

/** A task created but never started is not stopped by CRI (it thinks nothing runs): kill and delete it. */
async function ctd_killDelete(ctx: FaultContext, id: string): Promise<void> {
  const ctd = ctx.containerd();
  try {
    const t = await ctd.getTask(id);
    if (t.status !== 'STOPPED') {
      await ctd.killTask(id, 9, false, 10_000).catch(() => {});
      await waitFor(`task ${id.slice(0, 13)} stopped`, 10_000, async () => ((await ctd.getTask(id)).status === 'STOPPED' ? true : undefined)).catch(() => {});
    }
    await ctd.deleteTask(id, 10_000).catch(() => {});
  } catch { /* no task */ }
}

export async function applyCrashloop(ctx: FaultContext, o: { period?: string }): Promise<FaultRecord['details']> {
  const periodMs = o.period ? parseDuration(o.period) : 5000;
  const pod = await faultPod(ctx, 'crashloop', { withContainer: false });
  const argv = [...selfCommand(), 'lab', 'fault-loop', 'crashloop', '--dir', ctx.p.dir, '--pod', pod.podId, '--period', `${periodMs}ms`];
  const { pid } = await askSupervisor(ctx.p, { op: 'spawn', name: 'crashloop', argv, log: join(ctx.p.faults, 'crashloop.log') });
  await waitFor('the first crashloop attempt', 30_000, async () => ((await ctx.cri().listContainers({ podSandboxId: pod.podId })).length ? true : undefined));
  return { podId: pod.podId, ownPod: true, loopPid: pid, periodMs, logDirectory: pod.logDirectory };
}

const BUSY_LINE = 'busy-shim: writing to stdout as fast as the container can '.repeat(4);

export async function applyBusyShim(ctx: FaultContext): Promise<FaultRecord['details']> {
  // a CPU quota keeps the machine usable: the writer gets 40% of a core; one write per line keeps the shim busy, and its shim
  // burns what it takes to move that much output. At 15% the shim's CPU over the doctor's 300 ms samples ranged 0-40% on a
  // loaded machine (10 runs on 2.1), around the outlier's 10% floor, and the second look dropped it in 2 of 10: a fault that
  // sits on the threshold shows nothing about the rule. A 20 ms period spreads the quota evenly over each sample.
  const pod = await faultPod(ctx, 'busy-shim', { command: ['/bin/sh', '-c', `while :; do echo "${BUSY_LINE}"; done`], resources: { cpuPeriod: 20_000, cpuQuota: 8_000, cpuShares: 512, oomScoreAdj: 1000 } });
  const argv = [...selfCommand(), 'lab', 'fault-loop', 'busy-shim', '--dir', ctx.p.dir, '--pod', pod.podId, '--period', '1s'];
  const { pid } = await askSupervisor(ctx.p, { op: 'spawn', name: 'busy-shim', argv, log: join(ctx.p.faults, 'busy-shim.log') });
  return { podId: pod.podId, ownPod: true, containerId: pod.containerId, rotatorPid: pid, note: 'a kubelet-like log rotator truncates the log at 8 MiB so the disk does not fill' };
}

export async function applyNoCni(ctx: FaultContext): Promise<FaultRecord['details']> {
  const conf = join(ctx.p.cniConfDir, CNI_CONFIG_FILE);
  const saved = join(ctx.p.faults, CNI_CONFIG_FILE + '.no-cni');
  // delete and (on clear) create: CRI's config watcher reloads on both; a rename back is missed
  if (existsSync(conf)) {
    copyFileSync(conf, saved);
    rmSync(conf);
  }
  const cri = ctx.cri();
  const cond = await waitFor('CRI to report NetworkReady=false', 20_000, async () => {
    const st = await cri.status(false);
    const n = st.conditions.find((c) => c.type === 'NetworkReady');
    return n && !n.status ? n : undefined;
  });
  let sandboxError = '';
  try {
    const pod = await startLabPod(cri, ctx.p, { app: 'no-cni', network: 'POD', withContainer: false, labels: { [FAULT_LABEL]: 'no-cni' }, timeoutMs: 20_000 });
    sandboxError = `unexpected: pod-network sandbox ${pod.podId} started`;
  } catch (err) {
    sandboxError = (err as Error).message;
  }
  ctx.log(`NetworkReady=false (${cond.reason}); pod-network sandbox: ${sandboxError}`);
  return { savedConfig: saved, config: conf, reason: cond.reason, message: cond.message, sandboxError };
}

export async function clearNoCni(ctx: FaultContext, d: FaultRecord['details']): Promise<void> {
  if (existsSync(String(d.savedConfig))) {
    copyFileSync(String(d.savedConfig), String(d.config));
    rmSync(String(d.savedConfig));
  }
  const cri = ctx.cri();
  await waitFor('CRI to report NetworkReady=true again', 20_000, async () => {
    const st = await cri.status(false);
    return st.conditions.find((c) => c.type === 'NetworkReady')?.status ? true : undefined;
  });
  // the failed sandbox (SANDBOX_UNKNOWN) can be torn down once CNI answers DEL again
  await waitFor('the failed pod-network sandbox removed', 20_000, async () => {
    const left = await cri.listPodSandbox({ labelSelector: { [FAULT_LABEL]: 'no-cni' } });
    for (const pod of left) {
      await cri.stopPodSandbox(pod.id, 10_000).catch(() => {});
      await cri.removePodSandbox(pod.id, 10_000).catch(() => {});
    }
    return left.length === 0 ? true : undefined;
  });
}

// ---- the background loops (run by `ctrdoc lab fault-loop NAME`, children of the supervisor) ----

/**
 * How long a loop may take to finish the step it is in when told to stop. A step cut short (a
 * StartContainer whose client vanished) leaves CRI's container "in starting state" and a runc
 * init behind (seen on 1.7), so a SIGTERM ends the loop only between steps.
 */
export const LOOP_STOP_GRACE_MS = 15_000;

export async function runFaultLoop(name: string, p: LabPaths, o: { pod: string; periodMs: number; attempt: number }, ctx: FaultContext): Promise<never> {
  let stop = false;
  let busy = false;
  const exit = () => { ctx.close(); process.exit(0); };
  process.on('SIGTERM', () => { stop = true; if (!busy) exit(); });
  const line = (msg: Record<string, unknown>) => process.stdout.write(JSON.stringify({ at: new Date().toISOString(), loop: name, ...msg }) + '\n');
  let attempt = o.attempt;
  while (!stop) {
    busy = true;
    try {
      if (name === 'hung-start') {
        // kubelet: StartContainer timed out, so the next sync creates attempt + 1
        const r = await createNeverStarted(ctx.cri(), ctx.containerd(), p, o.pod, attempt, 'hung-start');
        line({ attempt, containerId: r.containerId, runcInitPid: r.pid });
        attempt++;
      } else if (name === 'crashloop') {
        await crashloopStep(ctx, o.pod, line);
      } else if (name === 'busy-shim') {
        await rotateLogs(ctx, o.pod, line);
      } else {
        throw new CtrdocError('invalid-argument', `unknown fault loop ${name}`);
      }
    } catch (err) {
      line({ error: (err as Error).message });
      if ((err as CtrdocError).kind === 'invalid-argument') process.exit(2);
    }
    busy = false;
    if (stop) break;
    await sleep(o.periodMs);
  }
  return exit() as never;
}

async function crashloopStep(ctx: FaultContext, podId: string, line: (m: Record<string, unknown>) => void): Promise<void> {
  const cri = ctx.cri();
  const cs = (await cri.listContainers({ podSandboxId: podId })).sort((a, b) => b.metadata.attempt - a.metadata.attempt);
  const latest = cs[0];
  if (latest && latest.state !== 'CONTAINER_EXITED') return;
  const attempt = latest ? latest.metadata.attempt + 1 : 0;
  const sb = await storedSandboxConfig(cri, podId);
  const cc = containerConfig({
    name: 'app', attempt, image: APP_IMAGE, pod: sb, labels: { [FAULT_LABEL]: 'crashloop' },
    command: ['/bin/sh', '-c', `echo "crashloop: attempt ${attempt} starting"; echo "crashloop: fatal: cannot reach the database" >&2; exit 1`],
  });
  const id = await cri.createContainer(podId, cc, sb.config, 30_000);
  await cri.startContainer(id, 30_000);
  line({ attempt, containerId: id });
  // kubelet keeps one dead container per container name; older attempts are removed (their log files stay)
  for (const old of cs.slice(1)) await cri.removeContainer(old.id, 10_000).catch(() => {});
}

const MAX_LOG = 8 * 1024 * 1024;

async function rotateLogs(ctx: FaultContext, podId: string, line: (m: Record<string, unknown>) => void): Promise<void> {
  for (const c of await ctx.cri().listContainers({ podSandboxId: podId })) {
    const st = await ctx.cri().containerStatus(c.id, false);
    const path = st.status.logPath;
    try {
      if (path && statSync(path).size > MAX_LOG) {
        truncateSync(path, 0); // CRI opens the log with O_APPEND, so writing simply restarts at 0
        line({ truncated: path });
      }
    } catch { /* not there yet */ }
  }
}

export { LAB_POD_LABEL };
