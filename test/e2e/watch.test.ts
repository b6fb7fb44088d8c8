// `ctrdoc watch` on the real lab, as a user runs it: one watch process (-o json) per lab follows
// it while the tests inject real faults, and each test judges the lines that fault should make.
// Per version (test/e2e/versions.ts): the suite's 1.6 and 2.1; on 1.7, whose CRI events come
// from one channel, that a kubelet-like reader of GetContainerEvents loses none to the watch.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, ctrdocAsync, isRoot, labUp, type TestLab } from './cli-run.ts';
import { forVersions, versionDir } from './versions.ts';
import type { WatchLine } from '../../src/snapshot/types/watch.ts';
import type { DoctorReport } from '../../src/report/doctor-report.ts';
import { askSupervisor } from '../../src/lab/supervisor.ts';
import { labPaths } from '../../src/lab/paths.ts';
import { openCri, type ContainerEventView } from '../../src/sources/cri/client.ts';

const DIR_BASE = '/tmp/ctrdoc-e2e-watch';
const skip = !isRoot && 'not root: the lab runs containerd and runc, which need root';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A watch process and every line it printed, each parsed (a line that does not parse fails the test at once). */
class WatchRun {
  readonly child: ChildProcess;
  readonly lines: WatchLine[] = [];
  stderr = '';
  private buf = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(flags: string[], extra: string[] = []) {
    this.child = spawn(process.execPath, [CLI, 'watch', ...flags, '-o', 'json', '--diagnose-every', '5s', ...extra], {
      env: { ...process.env, CONTAINER_RUNTIME_ENDPOINT: '' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.setEncoding('utf8').on('data', (c: string) => {
      this.buf += c;
      let i;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        const text = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 1);
        this.lines.push(JSON.parse(text) as WatchLine);
      }
    });
    this.child.stderr!.setEncoding('utf8').on('data', (c: string) => (this.stderr += c));
    this.exited = new Promise((r) => this.child.on('exit', (code, signal) => r({ code, signal })));
  }

  /** Waits for the first line after `from` (an index) that matches, at most ms; fails naming what it waited for. */
  async waitFor(what: string, pred: (l: WatchLine) => boolean, from = 0, ms = 60_000): Promise<WatchLine> {
    const end = Date.now() + ms;
    for (;;) {
      const hit = this.lines.slice(from).find(pred);
      if (hit) return hit;
      if (Date.now() > end) throw new Error(`no watch line ${what} in ${ms / 1000}s; lines since: ${this.lines.slice(from).map((l) => `${l.kind} ${l.pod ?? ''} ${l.message}`).join(' | ')}; stderr: ${this.stderr}`);
      await sleep(100);
    }
  }

  /** Waits until the watch has said on stderr how it reads CRI's events: containerd answered, the watch is up. */
  async up(): Promise<void> {
    const end = Date.now() + 60_000;
    while (!/CRI's container events/.test(this.stderr)) {
      if (Date.now() > end || this.child.exitCode !== null) throw new Error(`the watch did not come up: ${this.stderr}`);
      await sleep(100);
    }
    // and its first polls are in
    await sleep(4500);
  }

  /** The incidents open now, as the lines say (opened, not closed since). */
  openIncidents(): Map<string, NonNullable<WatchLine['incident']>> {
    const open = new Map<string, NonNullable<WatchLine['incident']>>();
    for (const l of this.lines) {
      if (l.kind === 'incident-open' || l.kind === 'incident-update') open.set(l.incident!.id, l.incident!);
      if (l.kind === 'incident-close') open.delete(l.incident!.id);
    }
    return open;
  }
}

/** Machine-wide layers another engineer's or the node's state moves (load, PSI, kubelet stand-ins): not this lab's to judge. */
const OWN_LAYERS = new Set(['containerd', 'cri', 'shim', 'runc']);

async function fault(dir: string, ...args: string[]): Promise<Record<string, unknown>> {
  const r = await ctrdocAsync(['lab', 'fault', ...args, '--dir', dir], { timeoutMs: 120_000 });
  assert.equal(r.code, 0, `lab fault ${args.join(' ')}: ${r.stderr}`);
  const i = r.stdout.indexOf('\n');
  return i < 0 || args[0] === 'clear' ? {} : JSON.parse(r.stdout.slice(i + 1));
}

/**
 * The watch's open incidents agree with `doctor -o json`'s, on this lab's own layers: each round
 * compares the two at one moment, and waits for the watch's next diagnosis (every 5 s here) when
 * they differ; a difference that outlasts a minute fails with both sets.
 */
async function agreeWithDoctor(w: WatchRun, lab: TestLab, expect?: RegExp): Promise<string[]> {
  let last = '';
  for (let round = 0; round < 10; round++) {
    const r = await ctrdocAsync(['doctor', ...lab.flags, '-o', 'json'], { timeoutMs: 60_000 });
    assert.ok(r.code === 0 || r.code === 1, `doctor exit ${r.code}: ${r.stderr}`);
    const report = JSON.parse(r.stdout) as DoctorReport;
    const doctor = report.incidents.filter((i) => OWN_LAYERS.has(i.layer)).map((i) => i.id).sort();
    const watch = [...w.openIncidents().values()].filter((i) => OWN_LAYERS.has(i.layer)).map((i) => i.id).sort();
    if (JSON.stringify(doctor) === JSON.stringify(watch) && (!expect || doctor.some((id) => expect.test(id)))) return doctor;
    last = `doctor: [${doctor.join(', ')}], watch: [${watch.join(', ')}]`;
    await sleep(6000);
  }
  throw new Error(`the watch's open incidents never matched the doctor's${expect ? ` (with ${expect})` : ''}: ${last}`);
}

forVersions('suite', (v) => {
const DIR = versionDir(DIR_BASE, v);
describe(`ctrdoc watch on the lab (containerd ${v})`, { skip }, () => {
  let lab: TestLab;
  let w: WatchRun;
  before(async () => {
    lab = labUp(DIR, 2, v);
    w = new WatchRun(lab.flags);
    await w.up();
  });
  after(async () => {
    if (w && w.child.exitCode === null) w.child.kill('SIGKILL');
    await fault(DIR, 'clear', '--all').catch(() => {});
    lab?.down();
  });

  test('a killed shim: a line naming its pod within 5 s of the kill, and its shim\'s exit', async () => {
    const from = w.lines.length;
    const t0 = Date.now();
    const d = await fault(DIR, 'dead-shim');
    const podId = String(d.podId ?? d.pod ?? '');
    const first = await w.waitFor('naming the pod', (l) => !!l.pod && l.podSandboxId === podId, from);
    assert.equal(first.pod, d.pod);
    // the line's own time (containerd's event time, or the poll's): what a user reads on the screen
    assert.ok(Date.parse(first.time) - t0 <= 5000, `first line about the pod at ${first.time}, the kill at ${new Date(t0).toISOString()}`);
    const exit = await w.waitFor('shim-exit', (l) => l.kind === 'shim-exit' && l.podSandboxId === podId, from);
    assert.equal(exit.pod, first.pod);
    if (v === '2.1') {
      // 2.x gives every reader CRI's events: kubelet's view of the same death
      assert.match(w.stderr, /CRI's container events: read too/);
      await w.waitFor('cri-stopped', (l) => l.source === 'cri' && l.kind === 'cri-stopped' && l.podSandboxId === podId, from);
    } else {
      assert.match(w.stderr, /CRI's container events: not read \(containerd 1\.6[^)]* does not serve them\)/);
    }
    await fault(DIR, 'clear', 'dead-shim');
  });

  test('hung-start: a new parked runc init for each attempt the retry loop makes, named by pod; the watch and the doctor agree on the incident', async (t) => {
    const from = w.lines.length;
    const d = await fault(DIR, 'hung-start', '--period', '6s');
    const podId = String(d.podId);
    const parked = async (n: number) => {
      const end = Date.now() + 90_000;
      for (;;) {
        const ls = w.lines.slice(from).filter((l) => l.kind === 'runc-init-parked' && l.podSandboxId === podId);
        if (ls.length >= n) return ls;
        if (Date.now() > end) throw new Error(`${ls.length} parked-init lines for the hung-start pod, waited for ${n}: ${w.lines.slice(from).map((l) => l.kind).join(',')}`);
        await sleep(200);
      }
    };
    const ls = await parked(3);
    assert.equal(new Set(ls.map((l) => l.pid)).size, ls.length, 'one line per init');
    for (const l of ls) {
      assert.match(l.pod!, /^ctrdoc-lab\/hung-start-/);
      assert.equal(l.container, 'app');
    }
    // every attempt the loop logged with its runc init (but the newest, maybe not two polls old yet) has its line
    const attempts = readFileSync(join(DIR, 'faults', 'hung-start.log'), 'utf8').split('\n').filter((x) => x.includes('runcInitPid')).map((x) => JSON.parse(x) as { runcInitPid: number });
    assert.ok(attempts.length >= 3, `the loop logged ${attempts.length} attempts`);
    for (const a of attempts.slice(0, -1)) await w.waitFor(`parked for init ${a.runcInitPid}`, (l) => l.kind === 'runc-init-parked' && l.pid === a.runcInitPid, from);
    t.diagnostic(`open on both: ${(await agreeWithDoctor(w, lab, /.+/)).join(', ')}`);
    await fault(DIR, 'clear', 'hung-start');
    await w.waitFor('unparked', (l) => l.kind === 'runc-init-unparked' && l.podSandboxId === podId, from);
  });

  test('SIGSTOP of containerd: it stopped answering (and is stopped, T); SIGCONT: it answers again', async () => {
    const from = w.lines.length;
    await fault(DIR, 'frozen-containerd');
    const stopped = await w.waitFor('containerd-unresponsive', (l) => l.kind === 'containerd-unresponsive', from);
    assert.equal(stopped.pid, lab.containerdPid());
    await w.waitFor('containerd in T', (l) => l.kind === 'process-state' && l.role === 'containerd' && l.state === 'T', from);
    const mid = w.lines.length;
    await fault(DIR, 'clear', 'frozen-containerd');
    const back = await w.waitFor('containerd-answering', (l) => l.kind === 'containerd-answering', mid);
    assert.ok((back.ageSec ?? 0) >= 1, back.message);
    assert.equal(w.lines.slice(from).some((l) => l.kind === 'events-lost'), false, 'a stopped containerd keeps its event stream');
  });

  test('containerd restarted: the watch says so with the new pid, subscribes again and names the next event', async () => {
    const from = w.lines.length;
    const p = labPaths(DIR);
    const old = lab.containerdPid();
    await askSupervisor(p, { op: 'stop-containerd', signal: 'SIGTERM', graceMs: 10_000 }, 20_000);
    await askSupervisor(p, { op: 'start-containerd', config: p.config, waitMs: 30_000 }, 40_000);
    const now = lab.containerdPid();
    assert.notEqual(now, old);
    const said = await w.waitFor('the new containerd', (l) => (l.kind === 'containerd-restart' || l.kind === 'containerd-start') && l.pid === now, from);
    assert.match(said.message, new RegExp(`${now}`));
    await w.waitFor('events-resumed', (l) => l.kind === 'events-resumed', from);
    const mid = w.lines.length;
    const d = await fault(DIR, 'stuck-init-task');
    const cid = (d.containers as string[])[0];
    const created = await w.waitFor('task-create of the new container', (l) => l.kind === 'task-create' && l.containerId === cid, mid);
    assert.match(created.pod ?? '', /^ctrdoc-lab\//);
    await fault(DIR, 'clear', 'stuck-init-task');
  });

  test('after the faults are cleared the watch and the doctor agree again; SIGINT ends the watch with 0, every line was JSON', async (t) => {
    t.diagnostic(`open on both: ${(await agreeWithDoctor(w, lab)).join(', ') || 'none'}`);
    w.child.kill('SIGINT');
    const { code, signal } = await w.exited;
    assert.deepEqual({ code, signal }, { code: 0, signal: null }, w.stderr);
    assert.ok(w.lines.length > 10);
    for (const l of w.lines) {
      assert.match(l.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.equal(typeof l.kind, 'string');
      assert.equal(typeof l.message, 'string');
    }
  });
});
});

// 1.7 serves GetContainerEvents from ONE channel: each event goes to one reader. The watch must not
// be a reader there, or kubelet's Evented PLEG loses events. A kubelet-like reader here gets all.
forVersions(['1.7'], (v) => {
const DIR = versionDir(DIR_BASE, v);
describe(`ctrdoc watch on containerd ${v}: CRI's one events channel stays kubelet's`, { skip }, () => {
  let lab: TestLab;
  before(() => {
    lab = labUp(DIR, 1, v);
  });
  after(async () => {
    await fault(DIR, 'clear', '--all').catch(() => {});
    lab?.down();
  });

  test('a kubelet-like GetContainerEvents reader gets every event of a container while the watch runs; the watch names the tasks from containerd\'s own events', async () => {
    const cri = openCri(lab.endpoint, { timeoutMs: 5000 });
    const got: ContainerEventView[] = [];
    const kubelet = cri.containerEvents((e) => got.push(e), 120_000);
    kubelet.done.catch(() => {});
    const w = new WatchRun(lab.flags, ['--diagnose-every', '0']);
    try {
      await w.up();
      assert.match(w.stderr, /CRI's container events: not read \(containerd 1\.7[^)]*one channel: a second reader would take the events kubelet's Evented PLEG waits for\)/);
      const from = w.lines.length;
      const d = await fault(DIR, 'stuck-init-task');
      const cid = (d.containers as string[])[0];
      await w.waitFor('task-create', (l) => l.kind === 'task-create' && l.containerId === cid && !!l.pod, from);
      await fault(DIR, 'clear', 'stuck-init-task');
      await w.waitFor('container-delete', (l) => l.kind === 'container-delete' && l.containerId === cid, from);
      await sleep(1000);
      const types = got.filter((e) => e.containerId === cid).map((e) => e.containerEventType);
      assert.ok(types.includes('CONTAINER_CREATED_EVENT') && types.includes('CONTAINER_DELETED_EVENT'), `kubelet's reader got ${types.join(', ')}`);
      w.child.kill('SIGTERM');
      assert.equal((await w.exited).code, 0);
    } finally {
      if (w.child.exitCode === null) w.child.kill('SIGKILL');
      kubelet.cancel();
      cri.close();
    }
  });
});
});
