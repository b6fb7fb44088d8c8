// `ctrdoc lab fault list | NAME [--pod P] | clear NAME|--all`: every failure the seed describes,
// reproduced with the real binaries, recorded in DIR/faults/state.json, tagged so that `clear`
// undoes exactly one fault and nothing else.
import { CtrdocError } from '../../errors.ts';
import { labPaths, type LabPaths } from '../paths.ts';
import { faultContext, readFaults, writeFault, type FaultContext, type FaultRecord } from './context.ts';
import { applyStuckInit, applyLeakedRunc, clearRuncContainer } from './runc.ts';
import { applyStuckInitTask, applyHungStart, clearPodFault, applyCrashloop, applyBusyShim, applyNoCni, clearNoCni, runFaultLoop } from './pods.ts';
import { applyFrozen, clearFrozen, applyDeadShim, clearDeadShim, applyOrphan, clearOrphan, applyBadConfig, clearBadConfig, BAD_CONFIG_VARIANTS } from './containerd.ts';
import { applyKubelet, clearKubelet, KUBELET_VARIANTS } from './kubelet.ts';
import { applyFrozenPod, clearFrozenPod } from './freeze.ts';
import { applyDeadlock6772, clearDeadlock6772, runDeadlockLoop, DEADLOCK_FAULT } from './deadlock.ts';
import { parseDuration } from '../../deadline.ts';

export interface FaultOptions {
  pod?: string;
  period?: string;
  variant?: string;
}

export interface FaultDef {
  name: string;
  /** what the fault does */
  does: string;
  /** what a person would see on a real node */
  seen: string;
  variants?: readonly string[];
  apply(ctx: FaultContext, o: FaultOptions): Promise<FaultRecord['details']>;
  clear(ctx: FaultContext, d: FaultRecord['details']): Promise<void>;
}

export const FAULTS: FaultDef[] = [
  {
    name: 'stuck-init',
    does: 'runc create without start in the lab runc root (unknown to containerd): a real runc init parked on exec.fifo',
    seen: 'ps: runc:[2:INIT] in state S, wchan fifo_open; runc list: created for minutes; exec.fifo present',
    apply: (ctx) => applyStuckInit(ctx),
    clear: (ctx, d) => clearRuncContainer(ctx, d),
  },
  {
    name: 'stuck-init-task',
    does: 'CreateContainer through CRI, then Tasks.Create through containerd, never Start (--pod P: in that pod)',
    seen: 'crictl ps -a: Created, pid 0; ctr tasks ls: CREATED; runc init under the pod\'s shim parked on exec.fifo',
    apply: (ctx, o) => applyStuckInitTask(ctx, o),
    clear: (ctx, d) => clearPodFault(ctx, d, 'stuck-init-task'),
  },
  {
    name: 'hung-start',
    does: 'the seed\'s incident: a kubelet-like loop creates a never-started attempt (attempt+1) every --period (default 20s)',
    seen: 'a new parked runc init every period for one pod, old ones stay; crictl ps -a: Created with rising ATTEMPT; pods look Ready',
    apply: (ctx, o) => applyHungStart(ctx, o),
    clear: (ctx, d) => clearPodFault(ctx, d, 'hung-start', 'hung-start'),
  },
  {
    name: 'dead-shim',
    does: 'SIGKILL one pod\'s shim (--pod P, default a web pod) with containerd up',
    seen: 'containerd log: shim disconnected, cleaning up after shim disconnected, cleaning up dead shim; pod NotReady, containers Exited. On 1.6 and 1.7 the containers die with the shim; on 2.1 the app container\'s process lives on under init (no shim) while CRI says Exited (its task delete fails: ttrpc: closed)',
    apply: (ctx, o) => applyDeadShim(ctx, o),
    clear: (ctx, d) => clearDeadShim(ctx, d),
  },
  {
    name: 'frozen-containerd',
    does: 'SIGSTOP containerd; clear sends SIGCONT',
    seen: 'every CRI call (crictl, kubelet) hangs until its deadline; containerd in state T',
    apply: (ctx) => applyFrozen(ctx),
    clear: (ctx, d) => clearFrozen(ctx, d),
  },
  {
    name: 'frozen-pod',
    does: 'freeze one pod\'s app container cgroup (freezer.state FROZEN, v2 cgroup.freeze; --pod P, default a web pod); clear thaws it',
    seen: 'the container\'s processes in D with wchan __refrigerator; crictl ps still says Running, probes time out; on systemd-driver v1 nodes runc can leave a cgroup this way',
    apply: (ctx, o) => applyFrozenPod(ctx, o),
    clear: (ctx, d) => clearFrozenPod(ctx, d),
  },
  {
    name: 'crashloop',
    does: 'a pod whose app exits 1, restarted kubelet-style every --period (default 5s) with a rising attempt',
    seen: 'crictl ps -a: Exited, ATTEMPT rising; one log file per attempt (app/0.log, app/1.log, ...)',
    apply: (ctx, o) => applyCrashloop(ctx, o),
    clear: (ctx, d) => clearPodFault(ctx, d, 'crashloop', 'crashloop'),
  },
  {
    name: 'busy-shim',
    does: 'a pod whose app writes stdout as fast as it can (CPU-capped at half a core; logs rotated at 8 MiB)',
    seen: 'top: that pod\'s containerd-shim-runc-v2 (and containerd) busy copying IO, its peers idle',
    apply: (ctx) => applyBusyShim(ctx),
    clear: (ctx, d) => clearPodFault(ctx, d, 'busy-shim', 'busy-shim'),
  },
  {
    name: 'no-cni',
    does: 'take the lab\'s CNI config away; a pod-network sandbox then fails',
    seen: 'crictl info: NetworkReady=false (NetworkPluginNotReady, cni plugin not initialized); RunPodSandbox fails for pod-network pods',
    apply: (ctx) => applyNoCni(ctx),
    clear: (ctx, d) => clearNoCni(ctx, d),
  },
  {
    name: 'bad-config',
    does: 'restart containerd with risky drift (--variant drift: SystemdCgroup, [metrics] address, missing sandbox image, trace), a config that fails to load (--variant broken), or a runtime wrapper that blocks `runc create` (--variant blocking-runtime); or edit config.toml without a restart (--variant unapplied: SystemdCgroup, sandbox_image)',
    seen: 'config.toml differs from config.default.toml; new pods fail (cgroupsPath format, sandbox image); broken: containerd exits at start; blocking-runtime: listings healthy, no new container ever starts; unapplied: the file says one thing, crictl info another',
    variants: [...BAD_CONFIG_VARIANTS],
    apply: (ctx, o) => applyBadConfig(ctx, o),
    clear: (ctx, d) => clearBadConfig(ctx, d),
  },
  {
    name: 'leaked-runc',
    does: 'a running runc container in the lab runc root that containerd does not know',
    seen: 'runc list shows an id absent from ctr containers ls / crictl ps; its process has no shim parent',
    apply: (ctx) => applyLeakedRunc(ctx),
    clear: (ctx, d) => clearRuncContainer(ctx, d),
  },
  {
    name: 'orphan',
    does: 'SIGKILL containerd, then a pod\'s shim: the containers live on, reparented; containerd stays down until clear',
    seen: 'container processes whose parent is init/a subreaper, no shim; CRI unavailable; later CRI keeps the dead pid',
    apply: (ctx, o) => applyOrphan(ctx, o),
    clear: (ctx, d) => clearOrphan(ctx, d),
  },
  {
    name: DEADLOCK_FAULT,
    does: 'the seed\'s incident for real, on the seed build only (lab up --containerd seed): [metrics] address on, 4 Prometheus-like scrape loops and 2 kubelet-like pod creators until containerd deadlocks (containerd#6772); set once a scrape gets no answer in 5 s, a Tasks.Create does not return and CRI ListPodSandbox still answers; clear restarts containerd and checks the running containers survive',
    seen: 'every RunPodSandbox/StartContainer hangs (a parked runc init per attempt), /v1/metrics hangs, pods cannot terminate; crictl pods answers at once with every pod Ready; goroutine dump: Collector.Add <- cgroupsMonitor.Monitor <- tasks.(*local).Create waiting in Namespace.WithConstLabels, Collector.Collect <- Namespace.Collect waiting in RLock',
    apply: (ctx, o) => applyDeadlock6772(ctx, o),
    clear: (ctx, d) => clearDeadlock6772(ctx, d),
  },
  {
    name: 'kubelet',
    does: 'a kubelet STAND-IN process (kubelet cannot run here) with kubelet flags, KubeletConfiguration, kubeadm-flags.env and a klog log',
    seen: 'ps: kubelet --config=... --container-runtime-endpoint=...; log: DeadlineExceeded, PLEG is not healthy, failed to reserve sandbox name',
    variants: KUBELET_VARIANTS,
    apply: (ctx, o) => applyKubelet(ctx, o),
    clear: (ctx) => clearKubelet(ctx),
  },
];

export function faultByName(name: string): FaultDef {
  const f = FAULTS.find((x) => x.name === name);
  if (!f) throw new CtrdocError('invalid-argument', `unknown fault "${name}"`, `one of: ${FAULTS.map((x) => x.name).join(', ')}`);
  return f;
}

export async function applyFault(p: LabPaths, name: string, o: FaultOptions, log: (l: string) => void = () => {}): Promise<FaultRecord> {
  const def = faultByName(name);
  if (readFaults(p)[name]) throw new CtrdocError('failed-precondition', `fault ${name} is already set in ${p.dir}`, `ctrdoc lab fault clear ${name} --dir ${p.dir}`);
  if (o.variant && !def.variants?.includes(o.variant)) throw new CtrdocError('invalid-argument', `fault ${name} has no variant "${o.variant}"`, def.variants ? `use one of ${def.variants.join(', ')}` : 'this fault has no variants');
  const ctx = faultContext(p, log);
  try {
    const details = await def.apply(ctx, o);
    const rec: FaultRecord = { name, appliedAt: new Date().toISOString(), details };
    writeFault(p, rec, name);
    return rec;
  } finally {
    ctx.close();
  }
}

export async function clearFault(p: LabPaths, name: string, log: (l: string) => void = () => {}): Promise<boolean> {
  const def = faultByName(name);
  const rec = readFaults(p)[name];
  if (!rec) return false;
  const ctx = faultContext(p, log);
  try {
    await def.clear(ctx, rec.details);
  } finally {
    ctx.close();
  }
  writeFault(p, undefined, name);
  return true;
}

/** Faults that stop containerd from answering: cleared before any other, which needs it. */
const UNBLOCK_FIRST = ['frozen-containerd', DEADLOCK_FAULT];

/** Clears every fault set in the lab, last set first (a frozen or deadlocked containerd first of all). */
export async function clearAllFaults(p: LabPaths, log: (l: string) => void = () => {}): Promise<string[]> {
  const first = (n: string) => (UNBLOCK_FIRST.includes(n) ? 0 : 1);
  const set = Object.values(readFaults(p)).sort((a, b) => first(a.name) - first(b.name) || b.appliedAt.localeCompare(a.appliedAt));
  const cleared: string[] = [];
  for (const f of set) {
    try {
      if (await clearFault(p, f.name, log)) cleared.push(f.name);
    } catch (err) {
      log(`clear ${f.name}: ${(err as Error).message}`);
    }
  }
  return cleared;
}

export async function faultLoopCommand(args: string[], o: { dir: string; pod?: string; period?: string; attempt?: string }): Promise<number> {
  const [name] = args;
  const p = labPaths(o.dir);
  if (name === DEADLOCK_FAULT) return runDeadlockLoop(p, parseDuration(o.period ?? '2s'), faultContext(p, (l) => process.stderr.write(l + '\n'), 30_000));
  if (!name || !o.pod) throw new CtrdocError('invalid-argument', 'fault-loop NAME --pod ID --period D');
  return runFaultLoop(name, p, { pod: o.pod, periodMs: parseDuration(o.period ?? '20s'), attempt: Number(o.attempt ?? 0) }, faultContext(p, (l) => process.stderr.write(l + '\n')));
}
