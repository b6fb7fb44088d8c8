// The watch's change detection: pure functions over two successive views of the stack (no I/O).
// Properties: no change gives no line; each real change gives its line, once; and the cases a
// busy healthy node makes all day (a runc init that a start unparks within a poll, a D that lasts
// one read) give none.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ageMarks, changesBetween, nextView } from '../../src/watch/changes.ts';
import type { SeenParkedInit, SeenProcess, WatchView } from '../../src/watch/types.ts';
import type { WatchRole } from '../../src/snapshot/types/watch.ts';

const T0 = Date.parse('2026-12-03T12:00:00Z');
const O = { stuckAfterSec: 60, address: '/run/containerd/containerd.sock' };

function proc(pid: number, role: WatchRole, state = 'S', extra: Partial<SeenProcess> = {}): SeenProcess {
  return { pid, starttime: pid * 10, ppid: role === 'containerd' ? 1 : 100, role, comm: role, state, polls: 1, ...extra };
}

function view(at: number, o: { containerd?: number; answering?: boolean; apiSince?: number; procs?: SeenProcess[]; parked?: SeenParkedInit[]; runcIds?: string[] } = {}): WatchView {
  const procs = [...(o.containerd ? [proc(o.containerd, 'containerd')] : []), ...(o.procs ?? [])];
  return {
    at,
    containerd: o.containerd ? { pid: o.containerd, starttime: o.containerd * 10 } : undefined,
    api: { answering: o.answering, since: o.apiSince ?? T0 },
    processes: new Map(procs.map((p) => [`${p.pid}@${p.starttime}`, p])),
    parked: new Map((o.parked ?? []).map((x) => [x.key, x])),
    runcIds: new Set(o.runcIds ?? (o.parked ?? []).map((x) => x.key)),
  };
}

/** Views as the watch makes them: each observation carried over from the one before. */
function run(observations: WatchView[]): WatchView[] {
  const out: WatchView[] = [];
  for (const obs of observations) out.push(nextView(out.at(-1), obs));
  return out;
}

const kinds = (prev: WatchView | undefined, next: WatchView) => changesBetween(prev, next, O).map((l) => l.kind);

test('the first view says only what is wrong already: no containerd, a stopped process', () => {
  assert.deepEqual(kinds(undefined, nextView(undefined, view(T0, { containerd: 100, answering: true, procs: [proc(200, 'shim')] }))), []);
  const lines = changesBetween(undefined, nextView(undefined, view(T0, { procs: [proc(200, 'shim', 'T', { pod: 'ns/web-0', podSandboxId: 'abc' })] })), O);
  assert.deepEqual(lines.map((l) => l.kind), ['containerd-exit', 'process-state']);
  assert.match(lines[0].message, /no containerd serves \/run\/containerd\/containerd\.sock/);
  assert.equal(lines[1].pod, 'ns/web-0');
  assert.equal(lines[1].severity, 'critical');
  assert.match(lines[1].message, /shim 200 is stopped \(T: SIGSTOP or a debugger\)/);
});

test('a shim killed: its exit is said with its pod, and as soon as it is a zombie (init reaps it late)', () => {
  const shim = proc(200, 'shim', 'S', { pod: 'ns/web-0', podSandboxId: 'abc', shimId: 'abc' });
  const pause = proc(201, 'pause', 'S', { ppid: 200, pod: 'ns/web-0', podSandboxId: 'abc', containerId: 'abc', sandbox: true });
  const app = proc(202, 'container', 'S', { ppid: 200, pod: 'ns/web-0', podSandboxId: 'abc', container: 'app', containerId: 'def' });
  const [a, b, c, d] = run([
    view(T0, { containerd: 100, procs: [shim, pause, app] }),
    view(T0 + 2000, { containerd: 100, procs: [shim, pause, app] }),
    view(T0 + 4000, { containerd: 100, procs: [{ ...shim, state: 'Z' }, { ...pause, ppid: 1 }, { ...app, ppid: 1 }] }),
    view(T0 + 6000, { containerd: 100, procs: [{ ...pause, ppid: 1 }, { ...app, ppid: 1 }] }),
  ]);
  assert.deepEqual(kinds(a, b), []);
  const died = changesBetween(b, c, O);
  assert.deepEqual(died.map((l) => l.kind), ['shim-exit']);
  assert.equal(died[0].pod, 'ns/web-0');
  assert.match(died[0].message, /shim 200 exited; a poll before, 2 container processes ran under it/);
  assert.deepEqual(kinds(c, d), [], 'the zombie reaped later is no second exit, and a zombie shim is no state line');
});

test('a runc init: parked once two polls saw it, stuck as it crosses --stuck-after, then started; a normal start gives no line', () => {
  const init = (at: number): SeenParkedInit => ({ key: 'c1', pid: 300, pod: 'ns/hung-0', container: 'app', attempt: 3, containerId: 'c1', createdAtMs: at, polls: 1 });
  const created = T0 - 1000;
  const views = run([
    view(T0, { containerd: 100, parked: [init(created)] }),
    view(T0 + 2000, { containerd: 100, parked: [init(created)] }),
    view(T0 + 58_000, { containerd: 100, parked: [init(created)] }),
    view(T0 + 60_000, { containerd: 100, parked: [init(created)] }),
    view(T0 + 62_000, { containerd: 100, parked: [init(created)] }),
    view(T0 + 64_000, { containerd: 100, runcIds: ['c1'] }),
  ]);
  const lines = views.slice(1).map((v, i) => changesBetween(views[i], v, O));
  assert.deepEqual(lines.map((ls) => ls.map((l) => l.kind)), [['runc-init-parked'], [], ['runc-init-stuck'], [], ['runc-init-unparked']]);
  assert.equal(lines[0][0].attempt, 3);
  assert.match(lines[0][0].message, /runc init 300 parked on exec.fifo \(runc create, no start\) for 3s/);
  assert.match(lines[2][0].message, /still parked on exec.fifo after 1m \(--stuck-after\): stuck/);
  assert.match(lines[4][0].message, /no longer parked after 1m5s: started/);
  // created and started between two polls, or seen once in created: no line at all
  const normal = run([view(T0, { containerd: 100 }), view(T0 + 2000, { containerd: 100, parked: [init(T0 + 1900)] }), view(T0 + 4000, { containerd: 100, runcIds: ['c1'] })]);
  assert.deepEqual([kinds(normal[0], normal[1]), kinds(normal[1], normal[2])], [[], []]);
});

test('a parked init already old when the watch starts is said once, as stuck', () => {
  const x: SeenParkedInit = { key: 'c2', pid: 301, createdAtMs: T0 - 600_000, polls: 1 };
  const [a, b] = run([view(T0, { containerd: 100, parked: [x] }), view(T0 + 2000, { containerd: 100, parked: [x] })]);
  const lines = changesBetween(a, b, O);
  assert.deepEqual(lines.map((l) => [l.kind, l.severity]), [['runc-init-parked', 'critical']]);
  assert.match(lines[0].message, /for 10m2s: stuck \(past --stuck-after 1m\)/);
});

test('D and zombie only from the second poll; T at once; each said back when it clears', () => {
  const views = run([
    view(T0, { containerd: 100, procs: [proc(300, 'runc-init'), proc(400, 'container')] }),
    view(T0 + 2000, { containerd: 100, procs: [proc(300, 'runc-init', 'D'), proc(400, 'container', 'T')] }),
    view(T0 + 4000, { containerd: 100, procs: [proc(300, 'runc-init', 'D'), proc(400, 'container', 'T')] }),
    view(T0 + 6000, { containerd: 100, procs: [proc(300, 'runc-init', 'S'), proc(400, 'container', 'S')] }),
  ]);
  const lines = views.slice(1).map((v, i) => changesBetween(views[i], v, O).map((l) => `${l.kind}:${l.pid}`));
  assert.deepEqual(lines, [['process-state:400'], ['process-state:300'], ['process-state-cleared:300', 'process-state-cleared:400']]);
  // one read in D, then back: a fsync, not a hang
  const blip = run([view(T0, { procs: [proc(300, 'runc')] }), view(T0 + 2000, { procs: [proc(300, 'runc', 'D')] }), view(T0 + 4000, { procs: [proc(300, 'runc')] })]);
  assert.deepEqual(changesBetween(blip[1], blip[2], O).filter((l) => l.pid === 300), []);
});

test('containerd stopped, not answering, answering again; exited, started, restarted', () => {
  const [a, b, c, d] = run([
    view(T0, { containerd: 100, answering: true, apiSince: T0 }),
    view(T0 + 2000, { containerd: 100, answering: false, apiSince: T0 + 2000, procs: [proc(100, 'containerd', 'T')] }),
    view(T0 + 4000, { containerd: 100, answering: false, apiSince: T0 + 2000, procs: [proc(100, 'containerd', 'T')] }),
    view(T0 + 32_000, { containerd: 100, answering: true, apiSince: T0 + 32_000 }),
  ]);
  assert.deepEqual(kinds(a, b), ['containerd-unresponsive', 'process-state']);
  assert.deepEqual(kinds(b, c), []);
  const back = changesBetween(c, d, O);
  assert.deepEqual(back.map((l) => l.kind), ['containerd-answering', 'process-state-cleared']);
  assert.match(back[0].message, /answers again after 30s without an answer/);
  const [e, f, g, h] = run([view(T0, { containerd: 100 }), view(T0 + 2000, {}), view(T0 + 4000, { containerd: 101 }), view(T0 + 6000, { containerd: 102 })]);
  assert.deepEqual([kinds(e, f), kinds(f, g), kinds(g, h)], [['containerd-exit'], ['containerd-start'], ['containerd-restart']]);
  assert.match(changesBetween(g, h, O)[0].message, /containerd restarted: pid 101 -> 102/);
  // not answering while no containerd runs: the exit says it all
  assert.deepEqual(kinds(f, nextView(f, view(T0 + 3000, { answering: false }))), []);
});

test('ageMarks: --stuck-after first, then the longer marks, none below it', () => {
  assert.deepEqual(ageMarks(60), [60, 300, 900, 3600, 21600, 86400]);
  assert.deepEqual(ageMarks(600), [600, 900, 3600, 21600, 86400]);
  assert.deepEqual(ageMarks(300), [300, 900, 3600, 21600, 86400]);
});

// ---- properties ----

const roles: WatchRole[] = ['shim', 'runc', 'runc-init', 'pause', 'container'];
const arbProcs = fc.uniqueArray(fc.record({
  pid: fc.integer({ min: 200, max: 230 }),
  role: fc.constantFrom(...roles),
  state: fc.constantFrom('S', 'S', 'R', 'T', 't', 'D', 'Z'),
}), { selector: (p) => p.pid, maxLength: 8 });
const arbParked = fc.uniqueArray(fc.record({ key: fc.constantFrom('a', 'b', 'c', 'd'), ageSec: fc.integer({ min: 0, max: 7200 }) }), { selector: (x) => x.key, maxLength: 3 });
const arbObs = fc.record({
  containerd: fc.option(fc.constantFrom(100, 101), { nil: undefined }),
  answering: fc.option(fc.boolean(), { nil: undefined }),
  procs: arbProcs,
  parked: arbParked,
});
type Obs = typeof arbObs extends fc.Arbitrary<infer X> ? X : never;

/** A pid keeps its role, and a parked init its creation time, across observations (one process, one init). */
interface Keep { roleOf: Map<number, WatchRole>; createdOf: Map<string, number> }

function keepOf(...os: Obs[]): Keep {
  const roleOf = new Map<number, WatchRole>();
  const createdOf = new Map<string, number>();
  for (const o of os) {
    for (const p of o.procs) if (!roleOf.has(p.pid)) roleOf.set(p.pid, p.role);
    for (const x of o.parked) if (!createdOf.has(x.key)) createdOf.set(x.key, T0 - x.ageSec * 1000);
  }
  return { roleOf, createdOf };
}

function toView(o: Obs, at: number, k: Keep): WatchView {
  return view(at, {
    containerd: o.containerd,
    answering: o.answering,
    apiSince: T0,
    procs: o.procs.map((p) => proc(p.pid, k.roleOf.get(p.pid)!, p.state, { ppid: 100 })),
    parked: o.parked.map((x) => ({ key: x.key, pid: 500, createdAtMs: k.createdOf.get(x.key)!, polls: 1 })),
  });
}

test('property: no change, no line (the same observation again, at the same moment)', () => {
  fc.assert(fc.property(arbObs, (o) => {
    const k = keepOf(o);
    const views = run([toView(o, T0, k), toView(o, T0, k), toView(o, T0, k)]);
    assert.deepEqual(changesBetween(views[1], views[2], O), []);
  }), { numRuns: 300 });
});

const abnormal = (s: string | undefined) => s === 'T' || s === 't' || s === 'D' || s === 'Z';

test('property: a line per real change, and only those (from a settled view to the next)', () => {
  fc.assert(fc.property(arbObs, arbObs, (o1, o2) => {
    const k = keepOf(o1, o2);
    // settled: the first observation seen twice, so every D, Z and parked init in it is said already
    const [, settled, next] = run([toView(o1, T0, k), toView(o1, T0, k), toView(o2, T0 + 2000, k)]);
    const got = changesBetween(settled, next, O).map((l) => `${l.kind}:${l.pid ?? ''}`).sort();
    const want: string[] = [];
    const a = o1.containerd;
    const b = o2.containerd;
    if (a && !b) want.push(`containerd-exit:${a}`);
    else if (!a && b) want.push(`containerd-start:${b}`);
    else if (a && b && a !== b) want.push(`containerd-restart:${b}`);
    if (o2.answering === false && o1.answering !== false && b) want.push(`containerd-unresponsive:${b}`);
    if (o2.answering === true && o1.answering === false) want.push(`containerd-answering:${b ?? ''}`);
    const before = new Map(o1.procs.map((p) => [p.pid, p.state]));
    const after = new Map(o2.procs.map((p) => [p.pid, p.state]));
    const role = (pid: number) => k.roleOf.get(pid)!;
    // said: T or t at once, D or Z when the poll before saw the same; a zombie shim has exited (said as its exit)
    const said = (pid: number, s: string | undefined, sameBefore: boolean) => abnormal(s) && !(role(pid) === 'shim' && s === 'Z') && (s === 'T' || s === 't' || sameBefore);
    for (const pid of new Set([...before.keys(), ...after.keys()])) {
      const s1 = before.get(pid);
      const s2 = after.get(pid);
      const was = said(pid, s1, true);
      const now = said(pid, s2, s1 === s2);
      if (now && !was) want.push(`process-state:${pid}`);
      if (was && !now) want.push(`process-state-cleared:${pid}`);
      if (role(pid) === 'shim') {
        const alive1 = s1 !== undefined && s1 !== 'Z';
        const alive2 = s2 !== undefined && s2 !== 'Z';
        if (alive1 && !alive2) want.push(`shim-exit:${pid}`);
        if (s1 === undefined && alive2) want.push(`shim-start:${pid}`);
      }
    }
    const keys1 = new Set(o1.parked.map((x) => x.key));
    for (const x of o1.parked) if (!o2.parked.some((y) => y.key === x.key)) want.push('runc-init-unparked:500');
    for (const x of o2.parked) {
      if (!keys1.has(x.key)) continue; // new: said from its second poll on
      const ageBefore = (T0 - k.createdOf.get(x.key)!) / 1000;
      const ageNow = ageBefore + 2;
      if (ageMarks(O.stuckAfterSec).some((m) => ageBefore < m && ageNow >= m)) want.push('runc-init-stuck:500');
    }
    assert.deepEqual(got, want.sort());
  }), { numRuns: 500 });
});
