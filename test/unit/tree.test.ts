// The joins (src/tree) on fixture data: a node with containerd, shims, pause and app containers,
// a parked runc init (its /proc files are the real capture), retries, an orphan, zombies, a
// leaked runc container, a dead shim's leftovers, a stale CRI pid. Every fact names its subject.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseKernelStack, parseStat } from '../../src/sources/proc/parse.ts';
import { baseFromStat } from '../../src/sources/proc/scan.ts';
import { parseRuncStateJson, kubeLabelsOf, deriveRuncStatus } from '../../src/sources/runc/state.ts';
import { buildProcessTree, type TreeInputs } from '../../src/tree/build.ts';
import { parseShimArgs, runcAction } from '../../src/sources/proc/argv.ts';
import { knownToContainerd, waitingInFifoOpen } from '../../src/tree/facts/index.ts';
import type { ProcessInfo, ProcTable } from '../../src/snapshot/types/proc.ts';
import type { RuncContainerState } from '../../src/snapshot/types/runc.ts';
import type { Container, PodSandbox } from '../../src/snapshot/types/cri.ts';
import type { TreeFact } from '../../src/snapshot/types/tree.ts';

const NOW = Date.parse('2026-11-26T23:00:00Z');
const UPTIME = 10_000; // s
const BOOT = NOW - UPTIME * 1000;
const clock = { bootTimeMs: BOOT, uptimeSec: UPTIME, pageSizeKb: 4 };
const hex = (c: string): string => c.repeat(64).slice(0, 64);
const SB = hex('a'), SB2 = hex('b'), SB3 = hex('e'), APP = hex('c'), INIT1 = hex('d'), INIT2 = hex('f'), ORPH = hex('1'), LEAK = 'leaked-by-hand';
const STALE = hex('2'), NOSTATE = hex('3'), DEADSB = hex('4');
const ADDR = '/run/containerd/containerd.sock';

/** A process; starttime in ticks such that its age is ageSec. */
function proc(pid: number, ppid: number, comm: string, cmdline: string[], o: Partial<ProcessInfo> & { ageSec?: number } = {}): ProcessInfo {
  const ageSec = o.ageSec ?? 3600;
  const starttime = o.starttime ?? Math.round((UPTIME - ageSec) * 100);
  const st = { pid, comm, state: o.state ?? 'S', ppid, pgid: pid, sid: pid, flags: 0, utime: o.utime ?? 0, stime: 0, threads: o.threads ?? 1, starttime, vsizeBytes: 0, rssPages: 100 };
  return { ...baseFromStat(st, cmdline, clock, 4), ...o, starttime, ageSec: baseFromStat(st, cmdline, clock, 4).ageSec };
}

/** The real captured parked runc init, renumbered. */
function capturedInit(pid: number, ppid: number, ageSec: number): ProcessInfo {
  const dir = 'testdata/captures/proc/6.18.44/runc-init-parked';
  const st = parseStat(readFileSync(join(dir, 'stat'), 'utf8'))!;
  const p = baseFromStat({ ...st, pid, ppid, starttime: Math.round((UPTIME - ageSec) * 100) }, ['runc', 'init'], clock, 4);
  p.wchan = readFileSync(join(dir, 'wchan'), 'utf8').trim();
  p.kernelStack = parseKernelStack(readFileSync(join(dir, 'stack'), 'utf8'));
  p.fdTargets = { 5: `/run/containerd/runc/k8s.io/${INIT1}/exec.fifo` };
  return p;
}

const shimArgv = (id: string, address = ADDR) => ['/usr/bin/containerd-shim-runc-v2', '-namespace', 'k8s.io', '-id', id, '-address', address];

function runcState(id: string, pid: number | undefined, start: number | undefined, labels: Record<string, string>, o: { execFifo?: boolean; ageSec?: number; procs: Map<number, ProcessInfo> }): RuncContainerState {
  const text = JSON.stringify({ id, init_process_pid: pid ?? 0, init_process_start: start ?? 0, created: new Date(NOW - (o.ageSec ?? 3600) * 1000).toISOString(), config: { rootfs: '/r', labels: Object.entries(labels).map(([k, v]) => `${k}=${v}`) }, cgroup_paths: {} });
  const s = parseRuncStateJson(text);
  const p = pid ? o.procs.get(pid) : undefined;
  const d = deriveRuncStatus({ initPid: s.initPid, initStart: s.initStart, execFifo: !!o.execFifo, proc: p ? { starttime: p.starttime, state: p.state } : null });
  return {
    id, dir: `/run/containerd/runc/k8s.io/${id}`, status: d.status, statusReason: d.reason, initPid: s.initPid, initStart: s.initStart, created: s.created,
    ageSec: o.ageSec ?? 3600, labels: s.labels, kube: kubeLabelsOf(s.labels), cgroupPaths: {}, execFifo: !!o.execFifo, initAlive: d.initAlive,
  };
}

const kube = (type: string, sb: string, podName: string, name?: string) => ({
  'io.kubernetes.cri.container-type': type, 'io.kubernetes.cri.sandbox-id': sb, 'io.kubernetes.cri.sandbox-name': podName,
  'io.kubernetes.cri.sandbox-namespace': 'default', ...(name ? { 'io.kubernetes.cri.container-name': name } : {}),
});

function pod(id: string, name: string, state: PodSandbox['state'] = 'SANDBOX_READY'): PodSandbox {
  return { id, metadata: { name, namespace: 'default', uid: `uid-${name}`, attempt: 0 }, state, createdAt: String(BigInt(NOW - 7200_000) * 1_000_000n), labels: {}, annotations: {}, runtimeHandler: '' };
}
function ctr(id: string, sb: string, name: string, attempt: number, state: Container['state'], createdAgoSec = 3700): Container {
  return { id, podSandboxId: sb, metadata: { name, attempt }, image: { image: 'app:1' }, imageRef: 'sha256:x', state, createdAt: String(BigInt(NOW - createdAgoSec * 1000) * 1_000_000n), labels: {}, annotations: {} };
}

function fixture(): TreeInputs {
  const list: ProcessInfo[] = [
    proc(1, 0, 'init', ['/sbin/init']),
    proc(100, 1, 'containerd', ['/usr/bin/containerd']),
    proc(200, 1, 'containerd-shim', shimArgv(SB), { threads: 11, utime: 3600 * 100 * 0.5 }), // 50% CPU: the busy one
    proc(210, 200, 'pause', ['/pause']),
    proc(220, 200, 'app', ['/app', '--serve']),
    proc(221, 220, 'worker', ['/app', 'worker']),
    capturedInit(230, 200, 600),
    capturedInit(231, 200, 300),
    proc(232, 200, 'runc', ['runc', '--root', '/run/containerd/runc/k8s.io', '--log', '/x/log.json', 'create', '--bundle', '/b', INIT2]),
    proc(240, 220, 'defunct', [], { state: 'Z' }),
    proc(250, 100, 'containerd-shim', [], { state: 'Z' }), // its parent, containerd, does not reap it
    proc(251, 1, 'containerd-shim', [], { state: 'Z' }), // init's to reap, in its own time: no fact
    proc(300, 1, 'app', ['/app', '--serve'], { cgroup: [{ hierarchy: '4', controllers: 'memory', path: `/kubepods/pod1/${ORPH}` }] }),
    proc(310, 1, 'sleep', ['sleep', '1000']), // the leaked runc container's init
    proc(400, 1, 'containerd-shim', shimArgv(SB3), { threads: 11 }),
    proc(410, 400, 'pause', ['/pause']),
    proc(500, 1, 'containerd-shim', shimArgv(hex('9')), { threads: 11 }), // no pause under it
    proc(600, 1, 'containerd-shim', shimArgv(hex('8'), '/other/containerd.sock')), // another containerd's
    proc(700, 1, 'bash', ['bash']),
  ];
  const procs = new Map(list.map((p) => [p.pid, p]));
  const table: ProcTable = { procRoot: '/proc', takenAt: new Date(NOW).toISOString(), bootTime: new Date(BOOT).toISOString(), uptimeSec: UPTIME, clockTicks: 100, pageSizeKb: 4, processes: list, vanished: 0, reused: 0, durationMs: 1 };
  const runc: RuncContainerState[] = [
    runcState(SB, 210, procs.get(210)!.starttime, kube('sandbox', SB, 'web-0'), { procs }),
    runcState(APP, 220, procs.get(220)!.starttime, kube('container', SB, 'web-0', 'app'), { procs }),
    runcState(INIT1, 230, procs.get(230)!.starttime, kube('container', SB, 'web-0', 'sidecar'), { procs, execFifo: true, ageSec: 600 }),
    runcState(INIT2, 231, procs.get(231)!.starttime, kube('container', SB, 'web-0', 'sidecar'), { procs, execFifo: true, ageSec: 300 }),
    runcState(ORPH, 300, procs.get(300)!.starttime, kube('container', SB2, 'db-0', 'db'), { procs }),
    runcState(LEAK, 310, procs.get(310)!.starttime, {}, { procs }),
    runcState(STALE, 700, 12345, kube('container', SB3, 'cache-0', 'cache'), { procs }), // pid 700 is now bash
    runcState(SB3, 410, procs.get(410)!.starttime, kube('sandbox', SB3, 'cache-0'), { procs }),
  ];
  return {
    proc: table,
    runc: { root: '/run/containerd/runc/k8s.io', readAt: '', containers: runc },
    cri: {
      pods: [pod(SB, 'web-0'), pod(SB2, 'db-0'), pod(SB3, 'cache-0'), pod(DEADSB, 'gone-0')],
      containers: [
        ctr(APP, SB, 'app', 3, 'CONTAINER_RUNNING'),
        ctr(INIT1, SB, 'sidecar', 1, 'CONTAINER_CREATED', 600),
        ctr(INIT2, SB, 'sidecar', 2, 'CONTAINER_CREATED', 300),
        ctr(ORPH, SB2, 'db', 0, 'CONTAINER_RUNNING'),
        ctr(STALE, SB3, 'cache', 0, 'CONTAINER_RUNNING', 60),
      ],
      containerDetails: [
        { status: { id: APP } as never, info: { pid: 220 } },
        { status: { id: STALE } as never, info: { pid: 700 } }, // bash started before the container was created
      ],
    },
    tasks: [
      { id: SB, pid: 210, status: 'RUNNING', exitStatus: 0, exitedAt: '' },
      { id: APP, pid: 220, status: 'RUNNING', exitStatus: 0, exitedAt: '' },
      { id: NOSTATE, pid: 9999, status: 'RUNNING', exitStatus: 0, exitedAt: '' },
    ],
    bundles: {
      dir: '/run/containerd/io.containerd.runtime.v2.task/k8s.io',
      bundles: [
        { namespace: 'k8s.io', id: SB, dir: `/b/${SB}`, address: 'unix:///run/containerd/s/live', socketPath: '/run/containerd/s/live', socketExists: true, shimPid: 200, sandboxId: SB, hasConfig: true },
        { namespace: 'k8s.io', id: DEADSB, dir: `/b/${DEADSB}`, address: 'unix:///run/containerd/s/dead', socketPath: '/run/containerd/s/dead', socketExists: true, shimPid: 999, sandboxId: DEADSB, hasConfig: true },
      ],
      sockets: [{ path: '/run/containerd/s/live', referenced: true }, { path: '/run/containerd/s/dead', referenced: true }],
    },
    shimProbes: [
      { socketPath: '/run/containerd/s/live', ok: true, latencyMs: 1.2, shimPid: 200, taskPid: 210 },
      { socketPath: '/run/containerd/s/dead', ok: false, error: 'connection refused (stale socket: no shim listens)' },
    ],
    containerdPid: 100,
    containerdAddress: ADDR,
    stuckInitSec: 60,
    now: NOW,
  };
}

const factsOf = (facts: TreeFact[], kind: TreeFact['kind']) => facts.filter((f) => f.kind === kind);

test('every process is placed: containerd → shim (pod) → pause → app → child, with roles and names', () => {
  const v = buildProcessTree(fixture());
  const by = new Map(v.processes.map((t) => [t.pid, t]));
  assert.equal(v.processes[0].pid, 100);
  assert.equal(by.get(100)!.role, 'containerd');
  const shim = by.get(200)!;
  assert.equal(shim.role, 'shim');
  assert.equal(shim.depth, 1);
  assert.equal(shim.parent, 100, 'a shim hangs under its containerd although its ppid is 1');
  assert.deepEqual(shim.pod, { namespace: 'default', name: 'web-0', uid: 'uid-web-0', sandboxId: SB });
  assert.equal(by.get(210)!.role, 'pause');
  assert.equal(by.get(210)!.container?.type, 'sandbox');
  assert.equal(by.get(220)!.role, 'app');
  assert.deepEqual(by.get(220)!.container, { id: APP, name: 'app', attempt: 3, type: 'container' });
  assert.equal(by.get(220)!.matchedBy, 'runc-state');
  assert.equal(by.get(221)!.role, 'child');
  assert.equal(by.get(221)!.container?.id, APP);
  assert.equal(by.get(221)!.depth, 3);
  assert.equal(by.get(230)!.role, 'runc-init');
  assert.equal(by.get(230)!.runcStage, 'runc:[2:INIT]');
  assert.equal(by.get(230)!.container?.name, 'sidecar');
  assert.equal(by.get(232)!.role, 'runc');
  assert.equal(by.get(232)!.runcAction, 'create');
  assert.equal(by.get(240)!.role, 'zombie');
  assert.equal(by.get(300)!.role, 'orphan');
  assert.equal(by.get(300)!.pod?.name, 'db-0');
  assert.equal(by.get(300)!.matchedBy, 'runc-state');
  assert.ok(!by.has(600), "another containerd's shim is left out");
  assert.ok(!by.has(700) && !by.has(1), 'unrelated processes are left out');
  // parents before children
  const index = new Map(v.processes.map((t, i) => [t.pid, i]));
  for (const t of v.processes) if (t.parent) assert.ok(index.get(t.parent)! < index.get(t.pid)!, `${t.pid} after its parent`);
});

test('--all keeps every process exactly once', () => {
  const inp = fixture();
  const v = buildProcessTree({ ...inp, all: true });
  assert.deepEqual(v.processes.map((t) => t.pid).sort((a, b) => a - b), inp.proc.processes.map((p) => p.pid).sort((a, b) => a - b));
});

test('facts: stuck and repeated runc init, with the fifo evidence from the real capture', () => {
  const v = buildProcessTree(fixture());
  const stuck = factsOf(v.facts, 'stuck-runc-init');
  assert.deepEqual(stuck.map((f) => f.subject.pid).sort(), [230, 231]);
  const s = stuck.find((f) => f.subject.pid === 230)!;
  assert.equal(s.subject.pod?.name, 'web-0');
  assert.equal(s.subject.container?.name, 'sidecar');
  assert.equal(s.evidence.waitingInFifoOpen, true);
  assert.match(String(s.evidence.waitEvidence), /wait_for_partner < fifo_open/);
  const rep = factsOf(v.facts, 'repeated-runc-init');
  assert.equal(rep.length, 1);
  assert.equal(rep[0].evidence.count, 2);
  assert.equal(rep[0].evidence.attempts, '1,2');
  // Under the threshold: nothing is stuck yet.
  const young = buildProcessTree({ ...fixture(), stuckInitSec: 3600 });
  assert.equal(factsOf(young.facts, 'stuck-runc-init').length, 0);
});

test('facts: shims (no pause, outlier, unresponsive), pods without shim, dead-shim leftovers, stale sockets', () => {
  const v = buildProcessTree(fixture());
  assert.deepEqual(factsOf(v.facts, 'shim-without-pause').map((f) => f.subject.shimPid), [500]);
  const out = factsOf(v.facts, 'shim-outlier');
  assert.ok(out.some((f) => f.subject.shimPid === 200 && f.evidence.metric === 'cpuPercent'), JSON.stringify(out));
  const noShim = factsOf(v.facts, 'pod-without-shim').map((f) => f.subject.pod?.name).sort();
  assert.deepEqual(noShim, ['db-0', 'gone-0']);
  const dead = factsOf(v.facts, 'dead-shim-leftover');
  assert.equal(dead.length, 1);
  assert.equal(dead[0].subject.pod?.name, 'gone-0');
  assert.equal(dead[0].subject.path, `/b/${DEADSB}`);
  assert.deepEqual(factsOf(v.facts, 'stale-shim-socket').map((f) => f.subject.path), ['/run/containerd/s/dead']);
  const shim = v.shims.find((s) => s.pid === 200)!;
  assert.equal(shim.hasPause, true);
  assert.equal(shim.probe?.ok, true);
  assert.equal(shim.socket, '/run/containerd/s/live');
  assert.equal(shim.subreaper.value, true);
  assert.equal(v.shims.find((s) => s.pid === 500)!.subreaper.value, null);
  assert.ok(!v.shims.some((s) => s.pid === 600));
});

test('facts: orphans, zombies (defunct shim, zombie under a shim), leaked runc, task without state, reused pid, stale CRI pid', () => {
  const v = buildProcessTree(fixture());
  const orphan = factsOf(v.facts, 'orphan-process');
  assert.ok(orphan.some((f) => f.subject.container?.id === ORPH && f.subject.pod?.name === 'db-0' && f.subject.pid === 300));
  const z = factsOf(v.facts, 'zombie');
  assert.ok(z.some((f) => f.subject.pid === 250 && /defunct shim/.test(f.message)));
  assert.ok(!z.some((f) => f.subject.pid === 251), 'a dead shim under init is not a fact');
  assert.ok(!v.shims.some((x) => x.pid === 251), 'nor one of our shims: its empty command line cannot say whose it was');
  assert.ok(v.shims.some((x) => x.pid === 250), 'a dead shim whose parent is our containerd is ours');
  assert.ok(z.some((f) => f.subject.pid === 240 && f.subject.pod?.name === 'web-0'));
  const leaked = factsOf(v.facts, 'leaked-runc-container');
  assert.deepEqual(leaked.map((f) => f.subject.container?.id), [LEAK]);
  assert.deepEqual(factsOf(v.facts, 'task-without-runc-state').map((f) => f.subject.container?.id), [NOSTATE]);
  const reused = factsOf(v.facts, 'runc-pid-reused');
  assert.equal(reused.length, 1);
  assert.equal(reused[0].subject.pid, 700);
  assert.equal(reused[0].evidence.procComm, 'bash');
  const cri = factsOf(v.facts, 'cri-pid-mismatch');
  assert.deepEqual(cri.map((f) => f.subject.container?.id), [STALE]);
  assert.ok(!v.processes.find((t) => t.pid === 700), 'a stale CRI pid does not pull bash into the tree');
  assert.equal(knownToContainerd(LEAK, fixture()), false);
  assert.equal(knownToContainerd(APP, fixture()), true);
  assert.equal(knownToContainerd(APP, {}), null);
  for (const f of v.facts) assert.ok(f.message && Object.keys(f.subject).length > 0, `${f.kind} names a subject`);
});

test('without CRI or tasks: runc labels still name pods, and nothing is called leaked', () => {
  const inp = fixture();
  const v = buildProcessTree({ ...inp, cri: undefined, tasks: undefined });
  const by = new Map(v.processes.map((t) => [t.pid, t]));
  assert.equal(by.get(220)!.pod?.name, 'web-0');
  assert.equal(by.get(220)!.container?.name, 'app');
  assert.equal(factsOf(v.facts, 'leaked-runc-container').length, 0);
  assert.equal(v.inputs.cri, false);
});

test('parsers for shim and runc command lines; fifo wait evidence', () => {
  assert.deepEqual(parseShimArgs(['containerd-shim-runc-v2', '-namespace', 'k8s.io', '-address', '/a.sock', '-publish-binary', '/usr/bin/containerd', '-id', 'x', 'start']),
    { namespace: 'k8s.io', address: '/a.sock', id: 'x', action: 'start' });
  assert.deepEqual(parseShimArgs(['containerd-shim-runc-v2', '--id=y']), { id: 'y' });
  assert.equal(runcAction(['runc', '--root', '/r', '--log', '/l', '--log-format', 'json', 'delete', '--force', 'x']), 'delete');
  assert.equal(runcAction(['runc']), undefined);
  assert.equal(waitingInFifoOpen(undefined).waiting, null);
  assert.equal(waitingInFifoOpen(proc(5, 1, 'x', [], { wchan: 'do_wait' })).waiting, false);
  assert.equal(waitingInFifoOpen(proc(5, 1, 'x', [], { fdTargets: { 5: '/run/containerd/runc/k8s.io/x/exec.fifo' } })).waiting, true);
});

test('a pod or container created while /proc was read, or after, is not judged against it (a busy node starts pods all the time)', () => {
  const inp = fixture();
  // the two pods without a shim, and a running container with a CRI pid no process has, were all created just now
  const justNow = String(BigInt(Date.parse(inp.proc.takenAt) + 200) * 1_000_000n);
  for (const p of inp.cri!.pods) if (p.id === SB2 || p.id === DEADSB) p.createdAt = justNow;
  inp.cri!.containers.push({ ...ctr(hex('e'), SB, 'job', 0, 'CONTAINER_RUNNING'), createdAt: justNow });
  inp.cri!.containerDetails!.push({ status: { id: hex('e') } as never, info: { pid: 4242 } });
  const v = buildProcessTree(inp);
  assert.deepEqual(factsOf(v.facts, 'pod-without-shim'), []);
  assert.deepEqual(factsOf(v.facts, 'dead-shim-leftover'), []);
  assert.ok(!factsOf(v.facts, 'cri-pid-mismatch').some((f) => f.subject.pid === 4242));
  // the same, created an hour before the scan: judged
  const old = buildProcessTree(fixture());
  assert.equal(factsOf(old.facts, 'pod-without-shim').length, 2);
});

test('a busy node\'s moments: a shim running runc has no pause for a moment, a `shim delete` cleans up a removed pod\'s bundle, a young zombie is reaped soon', () => {
  const inp = fixture();
  // shim 500 (no pause) is running `runc delete`; pod gone-0's shim is gone while `shim delete` for it runs
  inp.proc.processes.push(
    proc(510, 500, 'runc', ['runc', '--root', '/run/containerd/runc/k8s.io', 'delete', hex('9')], { ageSec: 1 }),
    proc(520, 100, 'containerd-shim', [...shimArgv(DEADSB), 'delete'], { ageSec: 1 }),
  );
  // the defunct shim under containerd (pid 250) exited a second ago: containerd has yet to wait on it
  const z = inp.proc.processes.findIndex((p) => p.pid === 250);
  inp.proc.processes[z] = proc(250, 100, 'containerd-shim', [], { state: 'Z', ageSec: 1 });
  const v = buildProcessTree(inp);
  assert.deepEqual(factsOf(v.facts, 'shim-without-pause'), []);
  assert.deepEqual(factsOf(v.facts, 'dead-shim-leftover'), []);
  assert.ok(!factsOf(v.facts, 'zombie').some((f) => f.subject.pid === 250), JSON.stringify(factsOf(v.facts, 'zombie')));
  // without those moments, the fixture's faults stand
  const plain = buildProcessTree(fixture());
  assert.equal(factsOf(plain.facts, 'shim-without-pause').length, 1);
  assert.equal(factsOf(plain.facts, 'dead-shim-leftover').length, 1);
  assert.ok(factsOf(plain.facts, 'zombie').some((f) => f.evidence.pids === '250' || String(f.evidence.pids).includes('250')));
});

test('a shim\'s peers\' median, from one sorted list without its own value (property, against sorting the peers)', async () => {
  const { medianWithout } = await import('../../src/tree/facts/shims.ts');
  const fc = (await import('fast-check')).default;
  const naive = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    const m = s.length >> 1;
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
  };
  fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 3, maxLength: 30 }), fc.nat(), (xs, k) => {
    const i = k % xs.length;
    return medianWithout([...xs].sort((a, b) => a - b), xs[i]) === naive(xs.filter((_, j) => j !== i));
  }), { numRuns: 500 });
});

// Two runtimes on one node (Docker's containerd beside Kubernetes', or two labs): another runc
// root's parked init hangs under init once its `runc create` has exited, with no shim to say
// whose it is; its exec.fifo does. It and another root's runc calls are not this stack's.
test('another runc root\'s parked init and runc call are left out and judged by nothing; their pids are listed as foreign', () => {
  const inp = fixture();
  const other = capturedInit(800, 1, 900);
  other.fdTargets = { 5: `/var/lib/other/runc/k8s.io/${hex('7')}/exec.fifo` };
  const otherRunc = proc(810, 1, 'runc', ['runc', '--root', '/var/lib/other/runc/k8s.io', 'state', hex('7')]);
  const ours = capturedInit(820, 1, 900); // a raw `runc create` in our own root: ours, stateless or not
  ours.fdTargets = { 5: `/run/containerd/runc/k8s.io/${hex('6')}/exec.fifo` };
  inp.proc.processes.push(other, otherRunc, ours);
  const v = buildProcessTree(inp);
  const shown = new Set(v.processes.map((t) => t.pid));
  assert.ok(!shown.has(800) && !shown.has(810), 'another runc root\'s processes are not shown');
  assert.ok(shown.has(820));
  const stuck = factsOf(v.facts, 'stuck-runc-init').map((f) => f.subject.pid);
  assert.ok(!stuck.includes(800), JSON.stringify(stuck));
  assert.ok(stuck.includes(820), 'our own stateless parked init is still judged');
  // 600 is another containerd's shim, 251 a defunct shim our containerd is not the parent of
  assert.deepEqual(v.foreignPids, [251, 600, 800, 810]);
  // --all shows them and still judges none of them
  const all = buildProcessTree({ ...inp, all: true });
  assert.ok(all.processes.some((t) => t.pid === 800));
  assert.ok(!factsOf(all.facts, 'stuck-runc-init').some((f) => f.subject.pid === 800));
  assert.ok(!all.facts.some((f) => f.subject.shimPid === 600));
});
