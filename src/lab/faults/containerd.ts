// Faults of containerd and the shims, made with real signals and real config files:
//  - frozen-containerd: SIGSTOP (state T); clear: SIGCONT.
//  - dead-shim: SIGKILL a pod's shim with containerd up; containerd cleans up at once.
//  - orphan: SIGKILL containerd, then a pod's shim: its containers live on, reparented;
//    containerd stays down until clear starts it (and it cleans up the dead shim).
//  - bad-config: containerd restarted with risky drift from its default config, or with a
//    config that fails to load; clear restores the lab's config and restarts it.
import { readFileSync, writeFileSync, copyFileSync, existsSync, rmSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { CtrdocError } from '../../errors.ts';
import { askSupervisor, readLabRecord, recordedBinaries } from '../supervisor.ts';
import { labConfigText, brokenConfigText } from '../config.ts';
import { listProcesses, isAlive, readProcess, signal, waitGone } from '../host.ts';
import { readBase, readSystemClock } from '../../sources/proc/scan.ts';
import { waitForCri } from '../lab.ts';
import { startLabPod, LAB_POD_LABEL } from '../pods.ts';
import { waitFor, freeLoopbackPort, type FaultContext, type FaultRecord } from './context.ts';
import type { LabPaths } from '../paths.ts';

function containerdPid(p: LabPaths): number {
  const rec = readLabRecord(p);
  if (!rec?.containerd || rec.containerd.exit || !isAlive(rec.containerd.pid)) throw new CtrdocError('failed-precondition', 'the lab\'s containerd is not running', 'ctrdoc lab up');
  return rec.containerd.pid;
}

export async function applyFrozen(ctx: FaultContext): Promise<FaultRecord['details']> {
  const pid = containerdPid(ctx.p);
  await askSupervisor(ctx.p, { op: 'signal-containerd', signal: 'SIGSTOP' });
  await waitFor('containerd in state T', 5000, () => (readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('T') ? true : undefined));
  return { containerdPid: pid };
}

export async function clearFrozen(ctx: FaultContext, d: FaultRecord['details']): Promise<void> {
  signal(Number(d.containerdPid), 'SIGCONT');
}

/** The shim serving a pod: the process with `-id <podId>` and our containerd address. */
export function shimOfPod(p: LabPaths, podId: string): number | undefined {
  return listProcesses().find((x) => x.comm.startsWith('containerd-shim') && x.state !== 'Z' && x.argv.includes(podId) && x.argv.includes(p.socket))?.pid;
}

export async function pickPod(ctx: FaultContext, pod: string | undefined): Promise<{ id: string; name: string; namespace: string }> {
  const pods = await ctx.cri().listPodSandbox({ state: 'SANDBOX_READY', labelSelector: { [LAB_POD_LABEL]: 'true' } });
  const found = pod ? pods.find((x) => x.id.startsWith(pod) || x.metadata.name === pod) : pods.find((x) => x.labels.app === 'web');
  if (!found) throw new CtrdocError('not-found', pod ? `no ready lab pod "${pod}"` : 'no ready web pod in the lab', 'ctrdoc lab up --pods 1');
  return { id: found.id, name: found.metadata.name, namespace: found.metadata.namespace };
}

function childrenOf(pid: number): number[] {
  const all = listProcesses();
  const out: number[] = [];
  const walk = (pp: number) => all.filter((x) => x.ppid === pp && x.state !== 'Z').forEach((x) => { out.push(x.pid); walk(x.pid); });
  walk(pid);
  return out;
}

export async function applyDeadShim(ctx: FaultContext, o: { pod?: string }): Promise<FaultRecord['details']> {
  const pod = await pickPod(ctx, o.pod);
  const shim = shimOfPod(ctx.p, pod.id);
  if (!shim) throw new CtrdocError('not-found', `no shim for pod ${pod.name}`);
  const children = childrenOf(shim);
  signal(shim, 'SIGKILL');
  await waitGone([shim], 5000);
  // containerd's cleanup: "shim disconnected" → "cleaning up dead shim" → the pod's task exits
  await waitFor('CRI to see the pod NotReady', 15_000, async () => {
    const st = await ctx.cri().podSandboxStatus(pod.id, false);
    return st.status.state === 'SANDBOX_NOTREADY' ? true : undefined;
  }).catch((e) => ctx.log(e.message));
  // NotReady can be reported before `shim delete` has finished killing the containers: the fault
  // is set once they are gone (or the deadline says they were not, recorded below).
  const left = await waitGone(children, 10_000);
  const b = recordedBinaries(ctx.p);
  if (left.length) ctx.log(`containerd ${b.labVersion}: container processes still alive after the shim's death, with no shim above them: ${left.join(' ')}`);
  const note = left.length === 0
    ? `containerd ${b.labVersion} (${b.packageVersion}) killed the containers of the killed shim at once (runc delete --force via \`shim delete\`); the pod shows NotReady and its containers Exited`
    : `containerd ${b.labVersion} (${b.packageVersion}) killed the pod's pause (the pod shows NotReady) but left ${left.length} container process(es) running with no shim above them (pids ${left.join(' ')}), while CRI says the containers Exited: deleting their task failed (ttrpc: closed). Clear kills them.`;
  return { podId: pod.id, pod: `${pod.namespace}/${pod.name}`, shimPid: shim, containerPids: children, containerPidsAlive: left, note };
}

export async function applyOrphan(ctx: FaultContext, o: { pod?: string }): Promise<FaultRecord['details']> {
  const pod = await pickPod(ctx, o.pod);
  const shim = shimOfPod(ctx.p, pod.id);
  if (!shim) throw new CtrdocError('not-found', `no shim for pod ${pod.name}`);
  const cdPid = containerdPid(ctx.p);
  const children = childrenOf(shim);
  ctx.cri().close();
  await askSupervisor(ctx.p, { op: 'stop-containerd', signal: 'SIGKILL', graceMs: 5000 });
  signal(shim, 'SIGKILL');
  await waitGone([shim], 5000);
  const orphans = children.filter(isAlive);
  // the fault is set once the orphans show their new parent (the kernel finishes the shim's exit)
  await waitFor('the orphans to be reparented', 5000, () => (orphans.every((pid) => readProcess(pid)?.ppid !== shim) ? true : undefined))
    .catch((e) => ctx.log(e.message));
  ctx.log(`containerd ${cdPid} and shim ${shim} killed; ${orphans.length} container processes live on: ${orphans.join(' ')}`);
  return { podId: pod.id, pod: `${pod.namespace}/${pod.name}`, shimPid: shim, containerdPid: cdPid, orphanPids: orphans, note: 'containerd stays down; clear starts it, it cleans up the dead shim and kills the orphans. CRI verbose status keeps the old pid afterwards.' };
}

async function replacePod(ctx: FaultContext, podId: string): Promise<void> {
  const cri = ctx.cri();
  await cri.stopPodSandbox(podId, 15_000).catch((e) => ctx.log(`stop pod: ${e.message}`));
  await cri.removePodSandbox(podId, 15_000).catch((e) => ctx.log(`remove pod: ${e.message}`));
  await startLabPod(cri, ctx.p, {});
}

export async function clearDeadShim(ctx: FaultContext, d: FaultRecord['details']): Promise<void> {
  for (const pid of (d.containerPids as number[]) ?? []) if (isAlive(pid)) signal(pid, 'SIGKILL');
  await replacePod(ctx, String(d.podId));
}

async function startContainerd(ctx: FaultContext): Promise<void> {
  await askSupervisor(ctx.p, { op: 'start-containerd', config: ctx.p.config, waitMs: 30_000 }, 40_000);
  ctx.cri().close();
  ctx.containerd().close();
}

export async function clearOrphan(ctx: FaultContext, d: FaultRecord['details']): Promise<void> {
  const fresh = await restartedContext(ctx);
  const orphans = ((d.orphanPids as number[]) ?? []);
  // containerd's cleanup of the dead shim kills them; whatever is left is killed by pid
  await waitGone(orphans, 10_000);
  for (const pid of orphans) if (isAlive(pid)) signal(pid, 'SIGKILL');
  await waitGone(orphans, 5000);
  await replacePod(fresh, String(d.podId));
}

/** Stops containerd (SIGTERM, SIGKILL after 10 s, as systemd would) and starts it again: a context with fresh clients. */
export async function restartContainerd(ctx: FaultContext): Promise<FaultContext> {
  await askSupervisor(ctx.p, { op: 'stop-containerd', signal: 'SIGTERM', graceMs: 10_000 }, 20_000);
  return restartedContext(ctx);
}

/** Starts containerd and returns a context with fresh clients (old channels point at a dead server). */
async function restartedContext(ctx: FaultContext): Promise<FaultContext> {
  await startContainerd(ctx);
  const { faultContext } = await import('./context.ts');
  const fresh = faultContext(ctx.p, ctx.log);
  await waitForCri(fresh.cri(), 30_000, ctx.p);
  const parent = ctx.close;
  ctx.close = () => { parent(); fresh.close(); };
  return fresh;
}

/** `config default` of the binary the lab runs, saved by lab up (config.default.toml). */
export function labDefaultConfig(p: LabPaths): string {
  return readFileSync(p.defaultConfig, 'utf8');
}

/**
 * A runtime wrapper (the runc runtime's BinaryName) that blocks on `create` and passes every
 * other runc command through: containerd can no longer start a container, while everything it
 * already runs, and every listing, stays healthy.
 */
export function blockingRuntimeScript(): string {
  return `#!/bin/sh
# ctrdoc lab bad-config (blocking-runtime): blocks "runc create" forever, passes the rest to runc
for a in "$@"; do
  # exec: the blocked call is the sleep itself, so containerd's kill at its deadline (SIGKILL,
  # which no trap sees) leaves no child behind
  if [ "$a" = create ]; then exec sleep infinity; fi
done
exec runc "$@"
`;
}

export const BAD_CONFIG_VARIANTS = ['drift', 'broken', 'blocking-runtime', 'unapplied'] as const;

export async function applyBadConfig(ctx: FaultContext, o: { variant?: string }): Promise<FaultRecord['details']> {
  const variant = o.variant ?? 'drift';
  if (!(BAD_CONFIG_VARIANTS as readonly string[]).includes(variant)) {
    throw new CtrdocError('invalid-argument', `bad-config variant "${variant}"`, `use --variant ${BAD_CONFIG_VARIANTS.join(', ')}`);
  }
  const saved = join(ctx.p.faults, 'config.toml.lab');
  if (!existsSync(saved)) copyFileSync(ctx.p.config, saved);
  if (variant === 'unapplied') {
    // kubeadm's advice followed halfway: the file edited, containerd not restarted
    const edit = { systemdCgroup: true, sandboxImage: 'registry.k8s.io/pause:3.9' };
    // an edit comes after the start: a containerd started a moment ago gets 3 s first, so the
    // file's mtime is clearly later than what it loaded
    const age = readBase('/proc', containerdPid(ctx.p), readSystemClock(), false)?.ageSec ?? 3;
    if (age < 3) await new Promise((r) => setTimeout(r, (3 - age) * 1000));
    const mtime = statSync(ctx.p.config).mtime;
    writeFileSync(ctx.p.config, labConfigText(ctx.p, labDefaultConfig(ctx.p), edit));
    return { variant, savedConfig: saved, savedMtime: mtime.toISOString(), edit, note: 'config.toml now has SystemdCgroup = true and another sandbox image (sandbox_image in a version 2 config, pinned_images.sandbox in version 3); containerd still runs with the old values (crictl info shows them) until it restarts' };
  }
  const drift = { systemdCgroup: true, metricsAddress: `127.0.0.1:${await freeLoopbackPort()}`, sandboxImage: 'ctrdoc.local/lab/pause:does-not-exist', debugLevel: 'trace' };
  const wrapper = join(ctx.p.faults, 'runc-blocking-create');
  if (variant === 'blocking-runtime') writeFileSync(wrapper, blockingRuntimeScript(), { mode: 0o755 });
  const def = labDefaultConfig(ctx.p);
  writeFileSync(ctx.p.config, variant === 'drift' ? labConfigText(ctx.p, def, drift)
    : variant === 'blocking-runtime' ? labConfigText(ctx.p, def, { runtimeBinary: wrapper })
      : brokenConfigText(def));
  await askSupervisor(ctx.p, { op: 'stop-containerd', signal: 'SIGTERM', graceMs: 10_000 }, 20_000);
  let startError = '';
  try {
    await startContainerd(ctx);
  } catch (err) {
    startError = (err as Error).message;
  }
  if (variant !== 'broken' && startError) throw new CtrdocError('internal', `containerd did not start with the ${variant} config: ${startError}`);
  if (variant !== 'broken') await waitForCri((await import('./context.ts')).faultContext(ctx.p, ctx.log).cri(), 30_000, ctx.p);
  if (variant === 'blocking-runtime') {
    return { variant, savedConfig: saved, wrapper, startError, note: 'BinaryName is a wrapper that blocks `runc create`: new containers (and pods) never start; CRI StartContainer/RunPodSandbox run into their deadline, then containerd cleans up; running pods and listings stay healthy' };
  }
  return { variant, savedConfig: saved, drift: variant === 'drift' ? drift : undefined, startError, note: variant === 'drift' ? 'SystemdCgroup=true while the kubelet stand-in and the pods use cgroupfs; [metrics] address set (the seed\'s precondition on 1.6.0-1.6.2); a sandbox image that does not exist (sandbox_image in a version 2 config, pinned_images.sandbox in version 3); debug level trace. Diff config.toml against config.default.toml.' : 'containerd fails to load its config and exits; CRI is unavailable' };
}

export async function clearBadConfig(ctx: FaultContext, d: FaultRecord['details']): Promise<void> {
  copyFileSync(String(d.savedConfig), ctx.p.config);
  rmSync(String(d.savedConfig), { force: true });
  if (d.variant === 'unapplied') {
    // the file as containerd loaded it, mtime included: no restart needed, none left to explain
    const at = new Date(String(d.savedMtime));
    utimesSync(ctx.p.config, at, at);
    return;
  }
  if (d.wrapper) rmSync(String(d.wrapper), { force: true });
  await restartContainerd(ctx);
}
