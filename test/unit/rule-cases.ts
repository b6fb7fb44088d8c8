// The named cases the rule tables' samples point at ("samples": {"hit": [...], "miss": [...]}
// in rules/*.json): small hand-built Snapshots, each a healthy node with one thing changed.
// Rules are pure functions of the Snapshot, so this is all they need. `healthy` passes every
// shipped rule; a case name says what is wrong in it.
import type { Container, LogScan, NodeView, ProcessInfo, RuncContainerState, ShimView, Snapshot, TreeFactKind, TreeProcess } from '../../src/snapshot/types/index.ts';
import type { Rule } from '../../src/rules/rule.ts';
import { emptySnapshot, failed, ok } from './snapshot-fixture.ts';

export const POD = 'a'.repeat(64);
export const APP = 'b'.repeat(64);
/** the container whose runc init parks (created, never started) */
export const PARKED = 'c'.repeat(64);
const ROOT = '/run/containerd/runc/k8s.io';
const nanos = (iso: string) => String(BigInt(Date.parse(iso)) * 1_000_000n);
const minutesAgo = (s: Snapshot, m: number) => new Date(Date.parse(s.collectedAt) - m * 60_000).toISOString();

export function proc(pid: number, ppid: number, comm: string, cmdline: string[], more: Partial<ProcessInfo> = {}): ProcessInfo {
  return {
    pid, ppid, pgid: pid, sid: pid, comm, state: 'S', starttime: 1000 + pid, utime: 1, stime: 1, threads: 4, rssKb: 10_000, vszKb: 100_000,
    kernelThread: false, cmdline, startedAt: '2026-11-26T11:00:00.000Z', ageSec: 3600, cpuPercent: 0, ...more,
  };
}

function treeProc(p: ProcessInfo, role: TreeProcess['role'], more: Partial<TreeProcess> = {}): TreeProcess {
  return {
    pid: p.pid, ppid: p.ppid, depth: 1, parent: p.ppid, role, stat: p.state, cpuPercent: 0, rssKb: p.rssKb, threads: p.threads,
    ageSec: p.ageSec, starttime: p.starttime, comm: p.comm, command: p.cmdline.join(' '), ...more,
  };
}

const emptyScan = (source: string): LogScan => ({ source, linesRead: 10, bytesRead: 100, from: '', to: '', tail: [], episodes: [], truncated: false });

const POD_REF = { namespace: 'prod', name: 'web-0', uid: 'u1', sandboxId: POD };

function healthyNode(): NodeView {
  const calm = { avg10: 0, avg60: 0, avg300: 0 };
  return {
    cpus: 4, loadavg: [1, 1, 1], memTotalKb: 8_000_000, memAvailableKb: 6_000_000,
    psi: { cpu: { some: { avg10: 1, avg60: 1, avg300: 1 } }, memory: { some: calm, full: calm }, io: { some: calm, full: calm } },
    fileNr: { allocated: 1000, max: 100_000 }, pidMax: 32768, processCount: 200, threadCount: 900,
    inotify: { maxUserInstances: 128, byProcess: [{ pid: 1, comm: 'systemd', uid: 0, count: 4 }], byUser: [{ uid: 0, count: 4 }], sampled: 'all 200 processes (3000 fd links)' },
    dStateTasks: [], frozenCgroups: [], kernelLog: emptyScan('kmsg'), notes: [],
  };
}

function container(id: string, name: string, attempt: number, state: Container['state'], createdIso: string): Container {
  return { id, podSandboxId: POD, metadata: { name, attempt }, image: { image: 'app:1' }, imageRef: 'sha256:1', state, createdAt: nanos(createdIso), labels: {}, annotations: {} };
}

function runcState(id: string, status: RuncContainerState['status'], initPid: number, type: 'sandbox' | 'container'): RuncContainerState {
  return {
    id, dir: `${ROOT}/${id}`, status, statusReason: status === 'created' ? 'exec.fifo present: runc start has not run' : 'init alive', initPid, initStart: 1000 + initPid,
    created: '2026-11-26T11:00:00.000Z', ageSec: 3600, labels: {}, kube: { containerType: type, sandboxId: POD }, cgroupPaths: {}, execFifo: status === 'created', initAlive: true,
  };
}

/** One Ready pod (pause + app under one shim), kubelet, the node: all well. */
export function healthy(): Snapshot {
  const s = emptySnapshot();
  s.stack.debugAddress = '/run/containerd/debug.sock';
  s.stack.containerdPid = 100;
  s.containerd.config.data!.facts.debugAddress = '/run/containerd/debug.sock';
  s.canary = ok('canary', { ok: true, steps: [], cleanedUp: true });
  s.containerd.goroutines = ok('containerd.goroutines', { similarity: 'pointer', inputBytes: 1, passthroughBytes: 0, dumps: [], warnings: [] });
  s.kubelet = ok('kubelet', {
    pid: 900, argv: ['kubelet', '--config=/var/lib/kubelet/config.yaml'], version: 'v1.28.4', versionSource: 'hint',
    flags: { config: '/var/lib/kubelet/config.yaml' }, flagSources: { config: 'argv' }, configPath: '/var/lib/kubelet/config.yaml',
    config: { cgroupDriver: 'systemd', runtimeRequestTimeout: '2m0s', containerRuntimeEndpoint: 'unix:///run/containerd/containerd.sock' },
    cgroupDriver: 'systemd', cgroupDriverSource: 'config', runtimeEndpoint: 'unix:///run/containerd/containerd.sock', runtimeEndpointSource: 'config',
    endpointCheck: { ok: true, runtimeName: 'containerd', runtimeVersion: 'v1.7.13' },
    files: [{ path: '/var/lib/kubelet/config.yaml', present: true }], notes: [],
  });
  s.kubeletLog = ok('kubelet.log', emptyScan('journald:kubelet'));
  s.node = ok('node', healthyNode());
  const procs = [
    proc(100, 1, 'containerd', ['/usr/bin/containerd']),
    proc(200, 1, 'containerd-shim', ['/usr/bin/containerd-shim-runc-v2', '-namespace', 'k8s.io', '-id', POD, '-address', '/run/containerd/containerd.sock']),
    proc(210, 200, 'pause', ['/pause']),
    proc(220, 200, 'nginx', ['nginx']),
  ];
  s.proc = ok('proc', { procRoot: '/proc', takenAt: s.collectedAt, bootTime: '2026-11-26T00:00:00.000Z', uptimeSec: 43_200, clockTicks: 100, pageSizeKb: 4, processes: procs, vanished: 0, reused: 0, durationMs: 5 });
  const shim: ShimView = {
    pid: 200, starttime: 1200, namespace: 'k8s.io', id: POD, pod: POD_REF, state: 'S', children: [210, 220], containers: [POD, APP], hasPause: true,
    cpuPercent: 0, rssKb: 10_000, threads: 10, ageSec: 3600, subreaper: { value: true, how: 'test' },
    probe: { socketPath: '/run/containerd/s/1', ok: true, latencyMs: 2, shimPid: 200, taskPid: 0 },
  };
  s.tree = ok('tree', {
    builtAt: s.collectedAt,
    processes: [
      treeProc(procs[0], 'containerd'),
      treeProc(procs[1], 'shim', { pod: POD_REF, shim: { namespace: 'k8s.io', id: POD } }),
      treeProc(procs[2], 'pause', { pod: POD_REF, container: { id: POD, type: 'sandbox' } }),
      treeProc(procs[3], 'app', { pod: POD_REF, container: { id: APP, name: 'web', attempt: 0, type: 'container' } }),
    ],
    shims: [shim], facts: [],
    inputs: { proc: true, runc: true, cri: true, tasks: true, bundles: true, shimProbes: true }, thresholds: { stuckInitSec: 60 },
  });
  s.runc = ok('runc', { root: ROOT, readAt: s.collectedAt, containers: [runcState(POD, 'running', 210, 'sandbox'), runcState(APP, 'running', 220, 'container')] });
  s.cri.pods = ok('cri.pods', [{ id: POD, metadata: { name: 'web-0', uid: 'u1', namespace: 'prod', attempt: 0 }, state: 'SANDBOX_READY', createdAt: nanos('2026-11-26T11:00:00Z'), labels: {}, annotations: {}, runtimeHandler: '' }]);
  s.cri.containers = ok('cri.containers', [container(APP, 'web', 0, 'CONTAINER_RUNNING', '2026-11-26T11:00:00Z')]);
  s.containerd.tasks = ok('containerd.tasks', [{ id: POD, pid: 210, status: 'RUNNING', exitStatus: 0, exitedAt: '' }, { id: APP, pid: 220, status: 'RUNNING', exitStatus: 0, exitedAt: '' }]);
  return s;
}

// --- edits of the healthy node ---

const processOf = (s: Snapshot, pid: number): ProcessInfo => s.proc.data!.processes.find((p) => p.pid === pid)!;
const treeProcessOf = (s: Snapshot, pid: number): TreeProcess => s.tree.data!.processes.find((p) => p.pid === pid)!;

/** A process's state in the process scan and the tree; `nodeSawD` also puts it in the node scan's D list. */
function setState(s: Snapshot, pid: number, state: string, more: Partial<ProcessInfo> = {}, nodeSawD = false): Snapshot {
  Object.assign(processOf(s, pid), { state, ...more });
  treeProcessOf(s, pid).stat = state;
  // containerd's own view is read from the same scan
  if (s.containerd.process.data?.pid === pid) Object.assign(s.containerd.process.data, { state, wchan: more.wchan });
  if (nodeSawD) s.node.data!.dStateTasks.push({ pid, comm: processOf(s, pid).comm, wchan: more.wchan, kernelStack: more.kernelStack });
  return s;
}

const STOPPED = { wchan: 'do_signal_stop', kernelStack: ['do_signal_stop', 'get_signal', 'arch_do_signal_or_restart'] };
const IN_D = { wchan: 'io_schedule', kernelStack: ['io_schedule', 'folio_wait_bit_common', 'filemap_fault'] };
const PARKED_WAIT = { wchan: 'wait_for_partner', kernelStack: ['wait_for_partner', 'fifo_open', 'do_dentry_open'] };

/**
 * A container `app` (attempt 1) Created through CRI, its task created (runc init 300 parked on
 * exec.fifo under the pod's shim) and never started; optionally a `runc start` (pid 310) waiting.
 */
function parkedInit(s: Snapshot, o: { initState?: string; init?: Partial<ProcessInfo>; runcStart?: boolean; createdMinutesAgo?: number } = {}): Snapshot {
  const init = proc(300, 200, 'runc:[2:INIT]', ['runc', 'init'], { state: o.initState ?? 'S', ageSec: 600, ...PARKED_WAIT, ...o.init });
  const ref = { pod: POD_REF, container: { id: PARKED, name: 'app', attempt: 1, type: 'container' as const } };
  s.proc.data!.processes.push(init);
  s.tree.data!.processes.push(treeProc(init, 'runc-init', { ...ref, runcStage: 'runc:[2:INIT]' }));
  s.tree.data!.shims[0].containers.push(PARKED);
  if (o.runcStart) {
    const start = proc(310, 200, 'runc', ['runc', '--root', ROOT, '--log', '/run/x/log.json', 'start', PARKED], { ageSec: 30, wchan: 'wait_for_partner' });
    s.proc.data!.processes.push(start);
    s.tree.data!.processes.push(treeProc(start, 'runc', { runcAction: 'start' }));
  }
  s.runc.data!.containers.push(runcState(PARKED, 'created', 300, 'container'));
  s.containerd.tasks.data!.push({ id: PARKED, pid: 300, status: 'CREATED', exitStatus: 0, exitedAt: '' });
  s.cri.containers.data!.push(container(PARKED, 'app', 1, 'CONTAINER_CREATED', minutesAgo(s, o.createdMinutesAgo ?? 10)));
  return s;
}

/** containerd's log with one "starting containerd" this many minutes ago, each */
function withLogEpisodes(s: Snapshot, minutes: number[]): Snapshot {
  s.containerd.log.data!.episodes = minutes.map((m) => minutesAgo(s, m)).map((last) => ({ pattern: 'CONTAINERD_LOG_STARTED', first: last, last, count: 1, examples: [], captures: {} }));
  return s;
}

/** A runc process of the tree by role (for the cases that stop a `runc start`). */
function runcStartCase(): Snapshot {
  const s = parkedInit(healthy(), { runcStart: true });
  return setState(s, 310, 'T', STOPPED);
}

/** containerd's goroutine dump (from the debug socket): one goroutine in Tasks.Start for 3 minutes, waiting on a shim's ttrpc answer. */
function withStartWaiting(s: Snapshot): Snapshot {
  const frame = (func: string) => ({ func, args: '0xc000123456', file: '/build/x.go', line: 1 });
  s.containerd.goroutines = ok('containerd.goroutines', {
    similarity: 'pointer', inputBytes: 100, passthroughBytes: 0, warnings: [],
    dumps: [{
      index: 0, format: 'plain', origin: {}, startOffset: 0, endOffset: 100, goroutines: 120, states: { select: 1 }, similarity: 'pointer',
      buckets: [{
        id: 7, count: 1, state: 'select', lockedCount: 0, waitMinMinutes: 3, waitMaxMinutes: 3, waitingCount: 1, sampleIds: [4242], elided: false, stackUnavailable: false,
        frames: [frame('github.com/containerd/ttrpc.(*Client).dispatch'), frame('github.com/containerd/containerd/runtime/v2.(*shimTask).Start'), frame('github.com/containerd/containerd/services/tasks.(*local).Start')],
        topFunction: 'github.com/containerd/ttrpc.(*Client).dispatch',
      }],
      waitRanking: [7], lockContention: [], piles: [],
      findings: [{ id: 'task-start-waiting', severity: 'critical', title: 'Tasks.Start waiting on the shim', explanation: 'containerd\'s task Start is waiting for the shim to answer.', links: ['https://github.com/moby/moby/issues/36010'], count: 1, waitMaxMinutes: 3, buckets: [7], evidence: ['bucket 7: 1 goroutine in tasks.(*local).Start [select, 3 minutes]'] }],
    }],
  });
  return s;
}

type CaseBuilder = (rule: Rule) => Snapshot;

/** Every case a sample names, by that name. */
function treeFact(s: Snapshot, r: Rule): Snapshot {
  s.tree.data!.facts.push({
    kind: (r as Rule & { fact: TreeFactKind }).fact,
    message: `a ${(r as Rule & { fact: TreeFactKind }).fact} fact`,
    subject: { pod: POD_REF, container: { id: APP, name: 'web', attempt: 0 }, pid: 220, shimPid: 200, path: `${ROOT}/${APP}` },
    evidence: { ageSec: 300 },
  });
  return s;
}

export const CASES: Record<string, CaseBuilder> = {
  healthy: () => healthy(),

  // containerd
  'containerd stopped': () => setState(healthy(), 100, 'T', STOPPED),
  'containerd traced': () => setState(healthy(), 100, 't', { wchan: 'ptrace_stop' }),
  'containerd in D, seen twice': () => setState(healthy(), 100, 'D', IN_D, true),
  'containerd in D once': () => setState(healthy(), 100, 'D', IN_D),
  'containerd a zombie': () => setState(healthy(), 100, 'Z'),
  'no containerd serves the address': () => {
    const s = healthy();
    s.stack.containerdPid = undefined;
    s.containerd.process = failed('containerd.process', 'skipped', 'no containerd process serves this endpoint');
    return s;
  },
  'config does not load': () => {
    const s = healthy();
    s.containerd.config = ok('containerd.config', { path: '/etc/containerd/config.toml', dumpOk: false, loadError: 'failed to load TOML: (3, 1): parsing error', diff: [], facts: {} });
    return s;
  },
  'SystemdCgroup drifted from the default': () => {
    const s = healthy();
    s.containerd.config.data!.diff = [{ path: 'plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options.SystemdCgroup', default: 'false', actual: 'true' }];
    return s;
  },
  'SystemdCgroup edited, containerd not restarted': () => {
    const s = healthy();
    s.containerd.config.data!.facts.systemdCgroup = false;
    s.containerd.config.data!.modifiedAt = minutesAgo(s, 10);
    return s;
  },
  'config edited after containerd started': () => {
    const s = healthy();
    s.containerd.config.data!.modifiedAt = minutesAgo(s, 10);
    return s;
  },
  'sandbox image missing': () => {
    const s = healthy();
    s.cri.images = ok('cri.images', ['docker.io/library/nginx:1']);
    return s;
  },
  'the CRI plugin failed to initialise': () => {
    const s = healthy();
    s.containerd.plugins = ok('containerd.plugins', [{ type: 'io.containerd.grpc.v1', id: 'cri', status: 'error', initError: { code: 2, message: 'failed to create CRI service: invalid plugin config' } }]);
    return s;
  },
  'devmapper not configured': () => {
    const s = healthy();
    s.containerd.plugins = ok('containerd.plugins', [{ type: 'io.containerd.snapshotter.v1', id: 'devmapper', status: 'error', initError: { code: 2, message: 'devmapper not configured' } }]);
    return s;
  },
  'no debug socket': () => {
    const s = healthy();
    s.stack.debugAddress = undefined;
    s.containerd.config.data!.facts.debugAddress = '';
    return s;
  },
  'containerd near its fd limit': () => {
    const s = healthy();
    Object.assign(s.containerd.process.data!, { fds: 1000, fdLimit: 1024 });
    return s;
  },
  'three containerd starts within an hour': () => withLogEpisodes(healthy(), [10, 30, 50]),
  'containerd starts spread over hours': () => withLogEpisodes(healthy(), [10, 130, 250]),

  // CRI
  'CRI Version times out': () => {
    const s = healthy();
    s.cri.version = { ...failed('cri.version', 'timeout', 'containerd CRI RuntimeService/Version: no answer within 2s'), errorKind: 'deadline-exceeded' };
    return s;
  },
  'CRI Unimplemented': () => {
    const s = healthy();
    s.cri.version = { ...failed('cri.version', 'error', 'containerd CRI RuntimeService/Version: unknown service runtime.v1.RuntimeService'), errorKind: 'unimplemented' };
    return s;
  },
  'NetworkReady false': () => {
    const s = healthy();
    s.cri.status.data!.conditions[1] = { type: 'NetworkReady', status: false, reason: 'NetworkPluginNotReady', message: 'cni plugin not initialized' };
    return s;
  },
  'RuntimeReady false': () => {
    const s = healthy();
    s.cri.status.data!.conditions[0] = { type: 'RuntimeReady', status: false, reason: 'RuntimeNotReady', message: '' };
    return s;
  },
  'a container Created for 10 minutes': () => parkedInit(healthy()),
  'a container Created a moment ago': () => parkedInit(healthy(), { createdMinutesAgo: 0.1 }),
  'three attempts Created and never started': () => {
    const s = parkedInit(healthy());
    s.cri.containers.data!.push(container('d'.repeat(64), 'app', 2, 'CONTAINER_CREATED', minutesAgo(s, 5)), container('e'.repeat(64), 'app', 3, 'CONTAINER_CREATED', minutesAgo(s, 2)));
    return s;
  },
  'a Created container whose runc init is stopped': () => parkedInit(healthy(), { initState: 'T', init: STOPPED }),
  'a container exited at attempts 0-3': () => {
    const s = healthy();
    const list = [0, 1, 2, 3].map((a) => container(`f${a}`.padEnd(64, '0'), 'app', a, 'CONTAINER_EXITED', minutesAgo(s, 10 - a)));
    s.cri.containers.data!.push(...list);
    s.cri.containerDetails = ok('cri.containerDetails', [...(s.cri.containerDetails.data ?? []), ...list.map((c) => ({
      status: { id: c.id, metadata: c.metadata, state: c.state, createdAt: c.createdAt, startedAt: c.createdAt, finishedAt: c.createdAt, exitCode: 1, image: c.image, imageRef: c.imageRef, reason: 'Error', message: '', labels: {}, annotations: {}, logPath: `/var/log/pods/x/app/${c.metadata.attempt}.log` },
    }))]);
    return s;
  },
  'a crash-looping container removed between the listing and its statuses': () => {
    const s = healthy();
    s.cri.containers.data!.push(...[0, 1, 2].map((a) => container(`d${a}`.padEnd(64, '0'), 'app', a, 'CONTAINER_EXITED', minutesAgo(s, 3 - a))));
    return s;
  },
  'a container that exits 0 at each attempt': () => {
    const s = CASES['a container exited at attempts 0-3']({} as Rule);
    const last = s.cri.containers.data!.at(-1)!;
    s.cri.containerDetails = ok('cri.containerDetails', [{
      status: { id: last.id, metadata: last.metadata, state: 'CONTAINER_EXITED', createdAt: last.createdAt, startedAt: last.createdAt, finishedAt: last.createdAt, exitCode: 0, image: last.image, imageRef: last.imageRef, reason: 'Completed', message: '', labels: {}, annotations: {}, logPath: '/var/log/pods/x/app/3.log' },
    }]);
    return s;
  },
  'a container restarted by policy after each exit 0, its latest attempt running': () => {
    const s = healthy();
    const list = [0, 1, 2].map((a) => container(`e${a}`.padEnd(64, '0'), 'app', a, a < 2 ? 'CONTAINER_EXITED' : 'CONTAINER_RUNNING', minutesAgo(s, 3 - a)));
    s.cri.containers.data!.push(...list);
    s.cri.containerDetails = ok('cri.containerDetails', list.map((c) => ({
      status: { id: c.id, metadata: c.metadata, state: c.state, createdAt: c.createdAt, startedAt: c.createdAt, finishedAt: c.state === 'CONTAINER_EXITED' ? c.createdAt : '0', exitCode: 0, image: c.image, imageRef: c.imageRef, reason: c.state === 'CONTAINER_EXITED' ? 'Completed' : '', message: '', labels: {}, annotations: {}, logPath: `/var/log/pods/x/app/${c.metadata.attempt}.log` },
    })));
    return s;
  },
  'the canary failed at start': () => {
    const s = healthy();
    s.canary = ok('canary', { ok: false, failedStep: 'start', error: 'CRI StartContainer: no answer within 8s', steps: [{ step: 'start', ms: 8000, ok: false, error: 'no answer' }], cleanedUp: false });
    return s;
  },

  // goroutines
  'a goroutine dump: a task Start waits on its shim': () => withStartWaiting(healthy()),
  'a container Created for 10 minutes, its Start waiting in containerd': () => withStartWaiting(parkedInit(healthy(), { runcStart: true })),

  // kubelet
  'kubelet talks to another socket': () => {
    const s = healthy();
    Object.assign(s.kubelet.data!, { runtimeEndpoint: 'unix:///run/crio/crio.sock', endpointCheck: { ok: true, runtimeName: 'cri-o', runtimeVersion: '1.28.0' } });
    return s;
  },
  "kubelet's endpoint does not answer": () => {
    const s = healthy();
    Object.assign(s.kubelet.data!, { runtimeEndpoint: 'unix:///run/nothing.sock', endpointCheck: { ok: false, error: 'connect ENOENT /run/nothing.sock' } });
    return s;
  },
  'kubelet 1.28 with --container-runtime=remote': () => {
    const s = healthy();
    Object.assign(s.kubelet.data!, { flags: { ...s.kubelet.data!.flags, 'container-runtime': 'remote' }, flagSources: { ...s.kubelet.data!.flagSources, 'container-runtime': '/var/lib/kubelet/kubeadm-flags.env' } });
    return s;
  },
  'kubelet 1.26 with --container-runtime=remote': () => {
    const s = CASES['kubelet 1.28 with --container-runtime=remote']({} as Rule);
    s.kubelet.data!.version = 'v1.26.9';
    return s;
  },
  'kubelet systemd, containerd cgroupfs': () => {
    const s = healthy();
    (s.cri.status.data!.info.config as { containerd: { runtimes: { runc: { options: { SystemdCgroup: boolean } } } } }).containerd.runtimes.runc.options.SystemdCgroup = false;
    return s;
  },
  'runtimeRequestTimeout 30s': () => {
    const s = healthy();
    s.kubelet.data!.config!.runtimeRequestTimeout = '30s';
    return s;
  },
  'runtimeRequestTimeout 5m': () => {
    const s = healthy();
    s.kubelet.data!.config!.runtimeRequestTimeout = '5m';
    return s;
  },
  "kubelet's --config file is missing": () => {
    const s = healthy();
    s.kubelet.data!.files = [{ path: '/var/lib/kubelet/config.yaml', present: false }];
    return s;
  },

  // node
  'load 10 on 2 CPUs': () => { const s = healthy(); Object.assign(s.node.data!, { cpus: 2, loadavg: [10, 9, 8] }); return s; },
  '2% of memory available': () => { const s = healthy(); s.node.data!.memAvailableKb = 160_000; return s; },
  'CPU stalled 60% of the last minute': () => { const s = healthy(); s.node.data!.psi!.cpu = { some: { avg10: 70, avg60: 60, avg300: 40 } }; return s; },
  'I/O fully stalled 30% of the last minute': () => { const s = healthy(); s.node.data!.psi!.io = { some: { avg10: 90, avg60: 80, avg300: 50 }, full: { avg10: 40, avg60: 30, avg300: 20 } }; return s; },
  'file handles 95% used': () => { const s = healthy(); s.node.data!.fileNr = { allocated: 95_000, max: 100_000 }; return s; },
  'threads at 85% of pid_max': () => { const s = healthy(); s.node.data!.threadCount = 28_000; return s; },
  'uid 0 at its inotify limit': () => {
    const s = healthy();
    s.node.data!.inotify = { maxUserInstances: 128, byProcess: [{ pid: 9, comm: 'containerd-shim', uid: 0, count: 120 }], byUser: [{ uid: 0, count: 128 }], sampled: 'all' };
    return s;
  },
  'a process in D, seen twice': () => {
    const s = healthy();
    s.proc.data!.processes.push(proc(500, 1, 'jbd2/sda1-8', [], { state: 'D', ...IN_D }));
    s.node.data!.dStateTasks.push({ pid: 500, comm: 'jbd2/sda1-8', ...IN_D });
    return s;
  },
  'another containerd in D, seen twice': () => {
    // a second containerd on the node (Docker's, another lab's): not ours, so the node rule's
    const s = healthy();
    const other = proc(600, 1, 'containerd', ['/usr/bin/containerd', '--config', '/etc/docker-containerd.toml'], { state: 'D', ...IN_D });
    s.proc.data!.processes.push(other);
    s.tree.data!.processes.push(treeProc(other, 'containerd'));
    s.node.data!.dStateTasks.push({ pid: 600, comm: 'containerd', ...IN_D });
    return s;
  },
  'a process in D once': () => {
    // the node scan saw it in D; the process scan, a moment apart, saw it sleeping
    const s = healthy();
    s.proc.data!.processes.push(proc(500, 1, 'jbd2/sda1-8', []));
    s.node.data!.dStateTasks.push({ pid: 500, comm: 'jbd2/sda1-8', ...IN_D });
    return s;
  },
  'a frozen runc init in D, one read': () => {
    // no process scan (a bundle without one): the node's read is all there is
    const s = healthy();
    s.proc = failed('proc', 'skipped', 'not in this bundle');
    s.tree = failed('tree', 'skipped', 'no process table');
    s.node.data!.dStateTasks.push({ pid: 77, comm: 'runc:[2:INIT]', wchan: '__refrigerator', kernelStack: ['__refrigerator', 'unix_stream_read_generic'] });
    return s;
  },
  'a kubepods cgroup frozen (v1)': () => {
    const s = healthy();
    s.node.data!.frozenCgroups.push({ path: '/sys/fs/cgroup/freezer/kubepods/besteffort/pod1/abc', state: 'FROZEN', pids: [220] });
    return s;
  },
  'a cgroup frozen (v2)': () => {
    const s = healthy();
    s.node.data!.frozenCgroups.push({ path: '/sys/fs/cgroup/kubepods.slice/pod1/abc', state: 'cgroup.freeze=1', pids: [220] });
    return s;
  },

  // the stack's processes
  'a parked runc init stopped, runc start waiting': () => parkedInit(healthy(), { initState: 'T', init: STOPPED, runcStart: true }),
  'a parked runc init, not stopped': () => parkedInit(healthy(), { runcStart: true }),
  'runc start stopped': () => runcStartCase(),
  'a runc init traced': () => parkedInit(healthy(), { initState: 't', init: { wchan: 'ptrace_stop' } }),
  'a runc init in D, seen twice': () => {
    const s = parkedInit(healthy(), { initState: 'D', init: IN_D });
    s.node.data!.dStateTasks.push({ pid: 300, comm: 'runc:[2:INIT]', ...IN_D });
    return s;
  },
  'a runc init in D once': () => parkedInit(healthy(), { initState: 'D', init: IN_D }),
  "another runtime's runc init and runc start stopped": () => {
    // Docker's containerd (or another lab) on the same node: its runc root, its shim, not ours
    const s = healthy();
    const init = proc(700, 1, 'runc:[2:INIT]', ['runc', 'init'], { state: 'T', ...STOPPED });
    const start = proc(710, 1, 'runc', ['runc', '--root', '/run/docker/runtime-runc/moby', 'start', 'f'.repeat(64)], { state: 'T', ...STOPPED });
    s.proc.data!.processes.push(init, start);
    s.tree.data!.processes.push(treeProc(init, 'runc-init'), treeProc(start, 'runc', { runcAction: 'start' }));
    return s;
  },
  'a shim stopped': () => setState(healthy(), 200, 'T', STOPPED),
  'a pause process stopped': () => setState(healthy(), 210, 'T', STOPPED),
  'a shim traced': () => setState(healthy(), 200, 't', { wchan: 'ptrace_stop' }),
  'a shim in D, seen twice': () => setState(healthy(), 200, 'D', IN_D, true),
  'a shim in D once': () => setState(healthy(), 200, 'D', IN_D),

  // tree facts: a fact of the rule's own kind on the pod's app container
  'its tree fact': (r) => treeFact(healthy(), r),
  // ... with containerd down (the orphans of a shim that died while containerd was down)
  'its tree fact, containerd not running': (r) => {
    const s = treeFact(healthy(), r);
    s.containerd.process = failed('containerd.process', 'skipped', 'no containerd process serves this endpoint');
    return s;
  },
};
