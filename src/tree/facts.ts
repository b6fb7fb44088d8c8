// Facts for the doctor from the joined tree: each names its subject (pod, container, pid) and
// the values and paths it rests on. The rules (src/rules/tree.ts) say what each means. Pure.
import { shortId } from '../ids.ts';
import type { ProcessInfo } from '../snapshot/types/proc.ts';
import type { RuncContainerState } from '../snapshot/types/runc.ts';
import type { ContainerRef, PodRef, ProcessTreeView, ShimView, TreeFact, TreeProcess } from '../snapshot/types/tree.ts';
import { containerRefOf, createdMsOf, podOfContainer, type Identities } from './identities.ts';
import type { TreeInputs } from './build.ts';

interface Ctx {
  procs: Map<number, ProcessInfo>;
  ids: Identities;
  now: number;
  stuckInitSec: number;
}

/** Is this process waiting to open a FIFO for writing (runc init on exec.fifo)? null: cannot tell. */
export function waitingInFifoOpen(p: ProcessInfo | undefined): { waiting: boolean | null; how: string } {
  if (!p) return { waiting: null, how: 'process not read' };
  if (p.kernelStack?.length) {
    const hit = p.kernelStack.find((f) => f === 'fifo_open' || f === 'wait_for_partner');
    return { waiting: !!hit, how: `kernel stack ${p.kernelStack.slice(0, 3).join(' < ')}` };
  }
  if (p.wchan) {
    const w = /fifo|wait_for_partner/.test(p.wchan);
    if (w) return { waiting: true, how: `wchan ${p.wchan}` };
  }
  if (p.fdTargets) {
    const fifo = Object.entries(p.fdTargets).find(([, t]) => t.endsWith('/exec.fifo'));
    if (fifo) return { waiting: true, how: `fd ${fifo[0]} -> ${fifo[1]}` };
  }
  if (p.wchan) return { waiting: false, how: `wchan ${p.wchan}` };
  return { waiting: null, how: 'no kernel stack, wchan or fd targets readable (not root?)' };
}

function sub<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

function median(xs: number[]): number {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const podName = (pod?: PodRef): string => (pod?.namespace && pod.name ? `${pod.namespace}/${pod.name}` : pod?.sandboxId ? `sandbox ${shortId(pod.sandboxId)}` : 'no pod');
const ctrName = (c?: ContainerRef): string => (c?.name ? `${c.name}${c.attempt !== undefined ? ` (attempt ${c.attempt})` : ''}` : c?.id ? shortId(c.id) : '?');

export function treeFacts(inp: TreeInputs, view: ProcessTreeView, ctx: Ctx): TreeFact[] {
  const facts: TreeFact[] = [];
  const runc = inp.runc?.containers ?? [];
  const byPid = new Map(view.processes.map((t) => [t.pid, t]));
  const { procs, ids } = ctx;

  // --- runc init parked on exec.fifo ---
  const parked: { pid?: number; pod?: PodRef; container: ContainerRef; ageSec: number; state?: RuncContainerState }[] = [];
  const stuckPids = new Set<number>();
  for (const r of runc) {
    if (r.status !== 'created' || !r.execFifo) continue;
    const p = r.initPid ? procs.get(r.initPid) : undefined;
    const container = containerRefOf(ids, r.id);
    const pod = podOfContainer(ids, r.id);
    const age = r.ageSec ?? p?.ageSec ?? 0;
    parked.push({ pid: r.initPid, pod, container, ageSec: age, state: r });
    if (age < ctx.stuckInitSec) continue;
    const w = waitingInFifoOpen(p);
    const frozen = p?.state === 'D' || p?.kernelStack?.includes('__refrigerator');
    if (w.waiting === false && !frozen) continue;
    if (r.initPid) stuckPids.add(r.initPid);
    facts.push({
      kind: 'stuck-runc-init',
      message: `runc init ${r.initPid ?? '?'} for ${podName(pod)} container ${ctrName(container)} is parked ${Math.round(age)}s after runc create: ${frozen ? 'its cgroup is frozen' : 'runc start never came'}`,
      subject: sub({ pod, container, pid: r.initPid, path: `${r.dir}/exec.fifo` }),
      evidence: sub({
        runcStatus: r.status, execFifo: `${r.dir}/exec.fifo`, created: r.created, ageSec: Math.round(age), thresholdSec: ctx.stuckInitSec,
        comm: p?.comm, state: p?.state, waitingInFifoOpen: w.waiting, waitEvidence: w.how, freezer: r.freezer,
      }) as TreeFact['evidence'],
    });
  }
  // runc init processes with no runc state we could match (another runc root, or the state is gone).
  for (const t of view.processes) {
    if (t.role !== 'runc-init' || stuckPids.has(t.pid) || runc.some((r) => r.initPid === t.pid)) continue;
    const p = procs.get(t.pid);
    if (!p || p.ageSec < ctx.stuckInitSec) continue;
    const w = waitingInFifoOpen(p);
    if (w.waiting !== true) continue;
    parked.push({ pid: t.pid, pod: t.pod, container: t.container ?? { id: '' }, ageSec: p.ageSec });
    facts.push({
      kind: 'stuck-runc-init',
      message: `${t.comm} ${t.pid} has waited ${Math.round(p.ageSec)}s to open its exec.fifo, and no runc state under ${inp.runc?.root ?? 'the runc root'} names it`,
      subject: sub({ pod: t.pod, container: t.container, pid: t.pid }),
      evidence: { comm: t.comm, state: t.stat, ageSec: Math.round(p.ageSec), thresholdSec: ctx.stuckInitSec, waitEvidence: w.how, runcRoot: inp.runc?.root ?? null },
    });
  }
  // --- the same pod container parked more than once (kubelet retried) ---
  const groups = new Map<string, typeof parked>();
  for (const x of parked) {
    const podKey = x.pod?.namespace && x.pod.name ? `${x.pod.namespace}/${x.pod.name}` : x.pod?.sandboxId;
    if (!podKey) continue;
    const key = `${podKey}\u0000${x.container.type === 'sandbox' ? '(sandbox)' : x.container.name ?? x.container.id}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(x);
  }
  for (const g of groups.values()) {
    if (g.length < 2) continue;
    g.sort((a, b) => b.ageSec - a.ageSec);
    const first = g[0];
    facts.push({
      kind: 'repeated-runc-init',
      message: `${g.length} runc inits parked for ${podName(first.pod)} ${first.container.type === 'sandbox' ? 'sandbox' : `container ${first.container.name ?? shortId(first.container.id)}`}: each retry left one behind`,
      subject: sub({ pod: first.pod, container: { ...first.container, id: first.container.id }, pid: first.pid }),
      evidence: {
        count: g.length,
        pids: g.map((x) => x.pid ?? '?').join(','),
        containerIds: g.map((x) => shortId(x.container.id)).join(','),
        attempts: g.map((x) => x.container.attempt ?? '?').join(','),
        agesSec: g.map((x) => Math.round(x.ageSec)).join(','),
      },
    });
  }

  // --- shims ---
  const liveShims = view.shims.filter((s) => s.state !== 'Z' && s.state !== 'X');
  const criPodIds = new Set((inp.cri?.pods ?? []).map((p) => p.id));
  for (const s of liveShims) {
    const kube = s.namespace === 'k8s.io' || (s.id !== undefined && criPodIds.has(s.id));
    // a shim with a runc child is in the middle of an operation (creating or deleting its
    // pause): no pause for that moment is normal; a runc that hangs is judged on its own
    const working = s.children.some((c) => byPid.get(c)?.role === 'runc');
    if (kube && !s.hasPause && s.ageSec >= 5 && !working) {
      facts.push({
        kind: 'shim-without-pause',
        message: `shim ${s.pid} for ${podName(s.pod)} has no pause process among its ${s.children.length} children`,
        subject: sub({ pod: s.pod, shimPid: s.pid }),
        evidence: sub({
          shimId: s.id, children: s.children.map((c) => `${c}:${byPid.get(c)?.role ?? '?'}`).join(',') || 'none',
          podKnownToCri: s.id ? criPodIds.has(s.id) : false, ageSec: Math.round(s.ageSec),
        }) as TreeFact['evidence'],
      });
    }
    if (s.probe && !s.probe.ok) {
      facts.push({
        kind: 'shim-unresponsive',
        message: `shim ${s.pid} for ${podName(s.pod)} did not answer ttrpc Connect on ${s.probe.socketPath}: ${s.probe.error ?? 'no answer'}`,
        subject: sub({ pod: s.pod, shimPid: s.pid, path: s.probe.socketPath }),
        evidence: sub({ socket: s.probe.socketPath, error: s.probe.error ?? null, latencyMs: s.probe.latencyMs, state: s.state }) as TreeFact['evidence'],
      });
    }
  }
  // a pod or container created while /proc was read, or after, may be missing from it: it is not
  // judged against the process table (on a busy node pods start all the time)
  const scanStart = Date.parse(inp.proc.takenAt) - (inp.proc.durationMs ?? 0) - 1000;
  const newerThanScan = (id: string | undefined): boolean => {
    const c = id === undefined ? undefined : createdMsOf(inp.cri, id);
    return c !== undefined && Number.isFinite(scanStart) && c > scanStart;
  };
  for (const pod of inp.cri?.pods ?? []) {
    if (pod.state !== 'SANDBOX_READY' || newerThanScan(pod.id)) continue;
    const hasShim = view.shims.some((s) => s.id === pod.id && s.state !== 'Z');
    if (hasShim) continue;
    const bundle = inp.bundles?.bundles.find((b) => b.id === pod.id);
    facts.push({
      kind: 'pod-without-shim',
      message: `pod ${pod.metadata?.namespace}/${pod.metadata?.name} is SANDBOX_READY in CRI but no live shim has -id ${shortId(pod.id)}`,
      subject: { pod: ids.podOfSandbox.get(pod.id) ?? { sandboxId: pod.id } },
      evidence: sub({ sandboxId: pod.id, criState: pod.state, bundleDir: bundle?.dir, shimPidFile: bundle?.shimPid, socket: bundle?.socketPath }) as TreeFact['evidence'],
    });
  }
  shimOutliers(liveShims, facts);

  // --- task bundles whose shim is gone, and stale sockets ---
  const cleaningUp = new Set(view.processes.filter((t) => t.shim?.action && t.shim.id).map((t) => t.shim!.id!));
  if (inp.bundles) {
    const liveIds = new Set(liveShims.map((s) => s.id).filter(Boolean));
    const liveShimPids = new Set(liveShims.map((s) => s.pid));
    const byAddress = new Map<string, typeof inp.bundles.bundles>();
    for (const b of inp.bundles.bundles) {
      const key = b.address ?? `(no address) ${b.id}`;
      let l = byAddress.get(key);
      if (!l) byAddress.set(key, (l = []));
      l.push(b);
    }
    const deadSockets = new Set<string>();
    for (const [address, group] of byAddress) {
      const alive = group.some((b) => liveIds.has(b.id) || (b.sandboxId && liveIds.has(b.sandboxId)) || (b.shimPid && liveShimPids.has(b.shimPid)));
      if (alive) continue;
      const sandbox = group.find((b) => b.sandboxId === b.id) ?? group.find((b) => b.shimPid) ?? group[0];
      if (newerThanScan(sandbox.sandboxId ?? sandbox.id)) continue;
      // a `shim start` or `shim delete` for one of its ids is running: containerd is creating it,
      // or cleaning up after its shim (after every normal removal on 1.6, asynchronously)
      if (group.some((b) => cleaningUp.has(b.id))) continue;
      const pod = ids.podOfSandbox.get(sandbox.sandboxId ?? sandbox.id) ?? { sandboxId: sandbox.sandboxId ?? sandbox.id };
      if (sandbox.socketPath && sandbox.socketExists) deadSockets.add(sandbox.socketPath);
      facts.push({
        kind: 'dead-shim-leftover',
        message: `${group.length} task bundle dir(s) for ${podName(pod)} remain but their shim is gone${sandbox.shimPid ? ` (shim.pid ${sandbox.shimPid} is not a live shim)` : ''}`,
        subject: sub({ pod, path: sandbox.dir, container: containerRefOf(ids, sandbox.id) }),
        evidence: sub({
          bundleDirs: group.map((b) => b.dir).join(','), address: address.startsWith('(no address)') ? undefined : address,
          socketExists: sandbox.socketExists, shimPidFile: sandbox.shimPid,
        }) as TreeFact['evidence'],
      });
    }
    for (const sock of inp.bundles.sockets) {
      const probe = inp.shimProbes?.find((p) => p.socketPath === sock.path);
      const refused = probe && !probe.ok && /refused|ENOENT|ECONNREFUSED/i.test(probe.error ?? '');
      if (!deadSockets.has(sock.path) && !refused) continue;
      facts.push({
        kind: 'stale-shim-socket',
        message: `shim socket ${sock.path} ${refused ? 'refuses connections' : 'belongs to a dead shim'}${sock.referenced ? '' : ' and no task bundle names it'}`,
        subject: { path: sock.path },
        evidence: sub({ socket: sock.path, referencedByBundle: sock.referenced, probeError: probe?.error }) as TreeFact['evidence'],
      });
    }
  }

  // --- orphans and zombies ---
  const orphanGroups = new Map<string, TreeProcess[]>();
  for (const t of view.processes) {
    if (t.role !== 'orphan') continue;
    const key = t.container?.id ?? `pid ${t.pid}`;
    let g = orphanGroups.get(key);
    if (!g) orphanGroups.set(key, (g = []));
    g.push(t);
  }
  for (const g of orphanGroups.values()) {
    const head = g[0];
    // a runc container containerd never knew never had a shim: that is a leak (reported as
    // leaked-runc-container), not an orphan
    if (head.container?.id && knownToContainerd(head.container.id, inp) === false) continue;
    const chain = ancestry(head.pid, procs);
    facts.push({
      kind: 'orphan-process',
      message: `${g.length} process(es) of ${podName(head.pod)} container ${ctrName(head.container)} run under no live shim (pid ${head.pid}, parent ${head.ppid})`,
      subject: sub({ pod: head.pod, container: head.container, pid: head.pid }),
      evidence: sub({ pids: g.map((t) => t.pid).join(','), ancestry: chain, matchedBy: head.matchedBy, command: head.command.slice(0, 200) }) as TreeFact['evidence'],
    });
  }
  const zombiesByParent = new Map<number, TreeProcess[]>();
  for (const t of view.processes) {
    if (t.role !== 'zombie') continue;
    const p = procs.get(t.pid)!;
    const defunctShim = !!t.shim || p.comm.startsWith('containerd-shim');
    const underShim = view.shims.some((s) => s.pid === t.ppid) || !!t.container;
    if (!defunctShim && !underShim) continue;
    // A shim daemonizes under init, so a dead shim is init's to reap, which it does in its own
    // time; nor can a zombie's empty command line tell whose containerd it served. It is a
    // finding when its parent is one that should have reaped it: containerd (run as PID 1 in a
    // container: containerd#5708) or a shim.
    if (defunctShim && !underShim && (t.ppid === 1 || procs.get(t.ppid)?.comm === 'systemd')) continue;
    // exited at most its age ago: one younger than the stuck threshold may be reaped any moment
    // (containerd waits on each `shim start` and `shim delete` it runs; on a busy node, a while)
    if (t.ageSec < ctx.stuckInitSec) continue;
    let g = zombiesByParent.get(t.ppid);
    if (!g) zombiesByParent.set(t.ppid, (g = []));
    g.push(t);
  }
  for (const [ppid, g] of zombiesByParent) {
    const shimParent = view.shims.find((s) => s.pid === ppid);
    const head = g[0];
    const defunctShims = g.filter((t) => t.shim || t.comm.startsWith('containerd-shim'));
    facts.push({
      kind: 'zombie',
      message: defunctShims.length
        ? `${defunctShims.length} defunct shim(s) not reaped by their parent ${ppid} (${procs.get(ppid)?.comm ?? 'gone'})`
        : `${g.length} zombie(s) under shim ${ppid} for ${podName(shimParent?.pod ?? head.pod)}: the shim has not reaped them`,
      subject: sub({ pod: shimParent?.pod ?? head.pod, container: head.container, pid: head.pid, shimPid: shimParent?.pid }),
      evidence: sub({ pids: g.map((t) => t.pid).join(','), parent: ppid, parentComm: procs.get(ppid)?.comm, comms: g.map((t) => t.comm).join(',') }) as TreeFact['evidence'],
    });
  }

  // --- runc states vs containerd and CRI ---
  const taskIds = new Set((inp.tasks ?? []).map((t) => t.id));
  for (const r of runc) {
    if (r.error) {
      facts.push({
        kind: 'runc-state-unreadable',
        message: `runc state of ${shortId(r.id)} cannot be used: ${r.error}`,
        subject: sub({ container: containerRefOf(ids, r.id), path: `${r.dir}/state.json` }),
        evidence: { dir: r.dir, error: r.error, execFifo: r.execFifo },
      });
    }
    if (r.initPid && r.initStart !== undefined && !r.initAlive && /reused/.test(r.statusReason)) {
      const p = procs.get(r.initPid);
      facts.push({
        kind: 'runc-pid-reused',
        message: `runc state of ${shortId(r.id)} names pid ${r.initPid}, now another process (${p?.comm ?? '?'}): the container's init is gone`,
        subject: sub({ container: containerRefOf(ids, r.id), pod: podOfContainer(ids, r.id), pid: r.initPid }),
        evidence: sub({ initProcessStart: r.initStart, procStarttime: p?.starttime, procComm: p?.comm, knownToContainerd: inp.tasks ? taskIds.has(r.id) : undefined }) as TreeFact['evidence'],
      });
    }
    const known = knownToContainerd(r.id, inp);
    if (known === false) {
      facts.push({
        kind: 'leaked-runc-container',
        message: `runc container ${shortId(r.id)} (${r.status}) is unknown to containerd${inp.cri ? ' and CRI' : ''}`,
        subject: sub({ container: containerRefOf(ids, r.id), pod: podOfContainer(ids, r.id), pid: r.initAlive ? r.initPid : undefined, path: r.dir }),
        evidence: sub({ status: r.status, initPid: r.initPid, initAlive: r.initAlive, created: r.created, bundle: r.bundle, runcRoot: inp.runc?.root }) as TreeFact['evidence'],
      });
    }
  }
  if (inp.runc && !inp.runc.error && inp.tasks) {
    const runcIds = new Set(runc.map((r) => r.id));
    for (const t of inp.tasks) {
      if (runcIds.has(t.id) || t.status === 'STOPPED' || t.status === 'UNKNOWN') continue;
      facts.push({
        kind: 'task-without-runc-state',
        message: `containerd task ${shortId(t.id)} is ${t.status} (pid ${t.pid}) but ${inp.runc.root} has no state for it`,
        subject: sub({ container: containerRefOf(ids, t.id), pod: podOfContainer(ids, t.id), pid: t.pid || undefined }),
        evidence: { taskStatus: t.status, taskPid: t.pid, runcRoot: inp.runc.root, pidAlive: procs.has(t.pid) },
      });
    }
  }
  // --- CRI's verbose pid vs what runs ---
  for (const [id, pid] of ids.criPid) {
    const claimed = [...ids.containerOfPid].find(([, v]) => v.id === id && v.matchedBy !== 'cri');
    const p = procs.get(pid);
    const created = createdMsOf(inp.cri, id);
    if (!p && newerThanScan(id)) continue;
    const stale = !p || (created !== undefined && Date.parse(p.startedAt) + 1000 < created);
    const differs = claimed && claimed[0] !== pid;
    if (!stale && !differs) continue;
    const ctr = inp.cri?.containers.find((c) => c.id === id);
    if (!differs && ctr && ctr.state !== 'CONTAINER_RUNNING') continue; // an exited container keeps its last pid: expected
    facts.push({
      kind: 'cri-pid-mismatch',
      message: differs
        ? `CRI says container ${ctrName(containerRefOf(ids, id))} is pid ${pid}, runc/containerd say ${claimed![0]}`
        : `CRI says container ${ctrName(containerRefOf(ids, id))} is pid ${pid}, ${p ? `but that process started before the container was created (${p.comm})` : 'but no such process exists'}`,
      subject: sub({ container: containerRefOf(ids, id), pod: podOfContainer(ids, id), pid }),
      evidence: sub({
        criPid: pid, otherPid: differs ? claimed![0] : undefined, otherSource: differs ? claimed![1].matchedBy : undefined,
        processStartedAt: p?.startedAt, containerCreatedAt: created !== undefined ? new Date(created).toISOString() : undefined, criState: ctr?.state,
      }) as TreeFact['evidence'],
    });
  }
  return facts;
}

/** true/false when containerd (tasks) or CRI could be asked; null when neither answered. */
export function knownToContainerd(id: string, inp: Pick<TreeInputs, 'tasks' | 'cri'>): boolean | null {
  if (!inp.tasks && !inp.cri) return null;
  if (inp.tasks?.some((t) => t.id === id)) return true;
  if (inp.cri?.containers.some((c) => c.id === id) || inp.cri?.pods.some((p) => p.id === id)) return true;
  return false;
}

function ancestry(pid: number, procs: Map<number, ProcessInfo>): string {
  const parts: string[] = [];
  const seen = new Set<number>();
  let cur: number | undefined = pid;
  while (cur && !seen.has(cur) && parts.length < 8) {
    seen.add(cur);
    const p = procs.get(cur);
    if (!p) { parts.push(`${cur}(gone)`); break; }
    parts.push(`${cur}(${p.comm})`);
    cur = p.ppid;
  }
  return parts.join(' < ');
}

/** A lifetime CPU average says little about a process younger than this: it is its start-up. */
const YOUNG_SHIM_SEC = 60;

/** A shim far above its peers' median in CPU, RSS, threads or fds (needs 3+ shims). */
function shimOutliers(shims: ShimView[], facts: TreeFact[]): void {
  if (shims.length < 3) return;
  const useRecent = shims.every((s) => s.cpuPercentRecent !== undefined);
  const metrics: { name: string; value: (s: ShimView) => number | undefined; factor: number; floor: number; unit: string }[] = [
    // 10%: a short sample counts whole clock ticks (10 ms), so one or two ticks of a shim reaping
    // a child are noise; three in a 300 ms window are work
    { name: useRecent ? 'cpuPercentRecent' : 'cpuPercent', value: (s) => (useRecent ? s.cpuPercentRecent : s.ageSec >= YOUNG_SHIM_SEC ? s.cpuPercent : undefined), factor: 3, floor: 10, unit: '%' },
    { name: 'rssKb', value: (s) => s.rssKb, factor: 2, floor: 20 * 1024, unit: ' kB' },
    { name: 'threads', value: (s) => s.threads, factor: 2, floor: 10, unit: '' },
    { name: 'fds', value: (s) => s.fds, factor: 2, floor: 50, unit: '' },
  ];
  for (const s of shims) {
    for (const m of metrics) {
      const v = m.value(s);
      if (v === undefined) continue;
      const peers = shims.filter((o) => o !== s).map(m.value).filter((x): x is number => x !== undefined);
      if (peers.length < 2) continue;
      const med = median(peers);
      if (v >= m.floor && v >= m.factor * med + m.floor / 2) {
        facts.push({
          kind: 'shim-outlier',
          message: `shim ${s.pid} for ${podName(s.pod)} uses ${v}${m.unit} ${m.name}, its ${peers.length} peers' median is ${Math.round(med * 10) / 10}${m.unit}`,
          subject: sub({ pod: s.pod, shimPid: s.pid }),
          evidence: { metric: m.name, value: v, peerMedian: med, peers: peers.length },
        });
      }
    }
  }
}
