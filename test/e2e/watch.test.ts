// `ctrdoc watch` on the real lab, as a user runs it: one watch process (-o json) per lab follows
// it while the tests inject real faults, and each test judges the lines that fault should make.
// It runs on every containerd the lab runs (1.6, 1.7, 2.1 and the seed's 1.6.20 build): what a
// watch reads differs by version (CRI's events: none on 1.6, one channel on 1.7, every reader
// gets each on 2.1; task API v2 or v3 shims). On 1.7 and 2.1 a second describe checks that a
// kubelet-like reader of GetContainerEvents loses none to the watch. Kubelet cannot run here;
// nothing judged needs it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, ctrdocAsync, isRoot, labUp, type TestLab } from './cli-run.ts';
import { forVersions, versionDir, type LabVersion } from './versions.ts';
import type { WatchLine } from '../../src/snapshot/types/watch.ts';
import type { DoctorReport } from '../../src/report/doctor-report.ts';
import { askSupervisor } from '../../src/lab/supervisor.ts';
import { labPaths } from '../../src/lab/paths.ts';
import { startLabPod } from '../../src/lab/pods.ts';
import { openCri, type ContainerEventView } from '../../src/sources/cri/client.ts';

const DIR_BASE = '/tmp/ctrdoc-e2e-watch';
/** Every containerd the lab runs: the watch reads each differently. */
const VERSIONS: readonly LabVersion[] = ['1.6', '1.7', '2.1', 'seed'];
const skip = !isRoot && 'not root: the lab runs containerd and runc, which need root';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * What the watch says on stderr of CRI's events, by version: 1.6 has none; 1.7 serves them from
 * one channel (each event to one reader: with the watch reading, kubelet's reader got a
 * container's CREATED and never its DELETED, on 1.7.24), so the watch leaves them to kubelet;
 * 2.1 gives every reader each event.
 */
const CRI_EVENTS_NOTE: Record<LabVersion, RegExp> = {
  '1.6': /CRI's container events: not read \(containerd 1\.6[^)]* does not serve them\)/,
  seed: /CRI's container events: not read \(containerd 1\.6[^)]* does not serve them\)/,
  '1.7': /CRI's container events: not read \(containerd 1\.7[^)]*one channel: a second reader would take the events kubelet's Evented PLEG waits for\)/,
  '2.1': /CRI's container events: read too \(containerd 2\.1/,
};
const READS_CRI = (v: LabVersion) => v === '2.1';

/** Waits until pred holds (looked at every 100 ms), at most ms; fails saying what it waited for and what it saw. */
async function until(pred: () => boolean, ms: number, what: () => string): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`waited ${ms / 1000}s for ${what()}`);
    await sleep(100);
  }
}

/** A watch process and every line it printed, each parsed, with when it arrived. */
class WatchRun {
  readonly child: ChildProcess;
  readonly lines: WatchLine[] = [];
  /** when each line reached us (ms since the epoch), by index: when a user on the terminal sees it */
  readonly arrived: number[] = [];
  /** lines that were not JSON (the last test asserts there are none) */
  readonly bad: string[] = [];
  stderr = '';
  private buf = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(flags: string[], extra: string[] = ['--diagnose-every', '5s']) {
    this.child = spawn(process.execPath, [CLI, 'watch', ...flags, '-o', 'json', ...extra], {
      env: { ...process.env, CONTAINER_RUNTIME_ENDPOINT: '' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.setEncoding('utf8').on('data', (c: string) => this.take(c));
    this.child.stderr!.setEncoding('utf8').on('data', (c: string) => (this.stderr += c));
    this.exited = new Promise((r) => this.child.on('exit', (code, signal) => r({ code, signal })));
  }

  private take(chunk: string): void {
    this.buf += chunk;
    let i;
    while ((i = this.buf.indexOf('\n')) >= 0) {
      const text = this.buf.slice(0, i);
      this.buf = this.buf.slice(i + 1);
      try {
        this.lines.push(JSON.parse(text) as WatchLine);
        this.arrived.push(Date.now());
      } catch {
        this.bad.push(text);
      }
    }
  }

  private since(from: number): string {
    return `lines since: ${this.lines.slice(from).map((l) => `${l.kind} ${l.pod ?? ''} ${l.message}`).join(' | ')}; stderr: ${this.stderr}`;
  }

  /** The index of the first line from `from` on that matches, waiting at most ms; fails naming what it waited for. */
  async indexOf(what: string, pred: (l: WatchLine) => boolean, from = 0, ms = 60_000): Promise<number> {
    let at = -1;
    await until(() => (at = this.lines.findIndex((l, i) => i >= from && pred(l))) >= 0, ms, () => `a watch line ${what}; ${this.since(from)}`);
    return at;
  }

  async waitFor(what: string, pred: (l: WatchLine) => boolean, from = 0, ms = 60_000): Promise<WatchLine> {
    return this.lines[await this.indexOf(what, pred, from, ms)];
  }

  /** The lines from `from` on that match, once there are at least n. */
  async atLeast(n: number, what: string, pred: (l: WatchLine) => boolean, from: number, ms = 90_000): Promise<WatchLine[]> {
    const of = () => this.lines.slice(from).filter(pred);
    await until(() => of().length >= n, ms, () => `${n} lines ${what} (${of().length} so far); ${this.since(from)}`);
    return of();
  }

  /**
   * Up: containerd answered (the note on CRI's events follows the first ping, which follows the
   * first poll) and, with a diagnosis, the first one is in: from here each line is a change.
   */
  async up(diagnosis = true): Promise<void> {
    const ready = () => /CRI's container events/.test(this.stderr) && (!diagnosis || /first diagnosis: \d+ incidents? open/.test(this.stderr));
    await until(() => ready() || this.child.exitCode !== null, 90_000, () => `the watch to come up; stderr: ${this.stderr}`);
    assert.equal(this.child.exitCode, null, `the watch exited: ${this.stderr}`);
  }

  /** The incidents open now, as the lines say (opened, not closed since; the last severity). */
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

interface IncidentView { id: string; severity: string; layer: string; pods: string[] }
const incidentText = (i: IncidentView) => `${i.id} (${i.severity})`;

/**
 * The watch's open incidents agree with `doctor -o json`'s on this lab's own layers, by id and
 * severity: each round compares the two at one moment, and waits for the watch's next diagnosis
 * (every 5 s here) when they differ; a difference that outlasts ten rounds fails with both sets.
 * expect: one of the doctor's incidents must be so (the fault's), or the rounds go on.
 */
async function agreeWithDoctor(w: WatchRun, lab: TestLab, expect?: { what: string; test: (i: IncidentView) => boolean }): Promise<string[]> {
  let last = '';
  for (let round = 0; round < 10; round++) {
    const r = await ctrdocAsync(['doctor', ...lab.flags, '-o', 'json'], { timeoutMs: 60_000 });
    assert.ok(r.code === 0 || r.code === 1, `doctor exit ${r.code}: ${r.stderr}`);
    const found = (JSON.parse(r.stdout) as DoctorReport).incidents.filter((i) => OWN_LAYERS.has(i.layer));
    const doctor = found.map(incidentText).sort();
    const watch = [...w.openIncidents().values()].filter((i) => OWN_LAYERS.has(i.layer)).map(incidentText).sort();
    if (JSON.stringify(doctor) === JSON.stringify(watch) && (!expect || found.some(expect.test))) return doctor;
    last = `doctor: [${doctor.join(', ')}], watch: [${watch.join(', ')}]`;
    await sleep(6000);
  }
  throw new Error(`the watch's open incidents never matched the doctor's${expect ? ` (with ${expect.what})` : ''}: ${last}`);
}

/** A line at warning or worse that this lab's state made (an incident of a machine-wide layer is not this lab's). */
const alarm = (l: WatchLine) => (l.severity === 'warning' || l.severity === 'critical') && (!l.incident || OWN_LAYERS.has(l.incident.layer));

forVersions(VERSIONS, (v) => {
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
    if (w && w.child.exitCode === null) {
      w.child.kill('SIGKILL');
      await w.exited;
    }
    await fault(DIR, 'clear', '--all').catch(() => {});
    lab?.down();
  });

  test('a churn-like healthy stretch (pods created, exec\'d, stopped and removed; containers exiting 0): the watch follows it and says nothing at warning or worse', async (t) => {
    const from = w.lines.length;
    const cri = openCri(lab.endpoint, { timeoutMs: 30_000 });
    const p = labPaths(DIR);
    const pods = new Map<string, string>(); // pod sandbox id -> its app container's id
    let cycles = 0;
    let churning = true;
    let failed: unknown;
    const worker = async () => {
      while (churning) {
        const pod = await startLabPod(cri, p, { app: 'churn', command: ['sh', '-c', 'echo churn; sleep 1'] });
        pods.set(pod.podId, pod.containerId!);
        await cri.execSync(pod.containerId!, ['true'], 5).catch(() => undefined);
        // the container's own process (not the exec's) ends by itself, with 0
        const started = await w.waitFor(`task-start of churn container ${pod.containerId}`, (l) => l.kind === 'task-start' && l.containerId === pod.containerId, from, 30_000);
        await w.waitFor(`exit 0 of churn container ${pod.containerId}`, (l) => l.kind === 'task-exit' && l.pid === started.pid && l.exitStatus === 0, from, 30_000);
        // as kubelet does, the pod is stopped once CRI says the container exited (its PLEG's view):
        // a stop while containerd still handles the exit races the task's delete (ttrpc: closed)
        const end = Date.now() + 30_000;
        while ((await cri.containerStatus(pod.containerId!)).status.state !== 'CONTAINER_EXITED') {
          if (Date.now() > end) throw new Error(`CRI never said churn container ${pod.containerId} exited`);
          await sleep(100);
        }
        await cri.stopPodSandbox(pod.podId, 30_000);
        await cri.removePodSandbox(pod.podId, 30_000);
        cycles++;
      }
    };
    const t0 = Date.now();
    // a failed CRI call fails the test with what containerd logged of that container
    const logOf = (e: unknown) => {
      const id = /"([0-9a-f]{64})"/.exec(String(e))?.[1];
      const log = id ? readFileSync(join(DIR, 'containerd.log'), 'utf8').split('\n').filter((l) => l.includes(id)).slice(-15).join('\n') : '';
      return new Error(`${String(e)}${log ? `\ncontainerd's log of ${id}:\n${log}` : ''}`);
    };
    const workers = [worker(), worker()].map((x) => x.catch((e) => (failed ??= logOf(e))));
    try {
      // long enough for several of the watch's diagnoses (every 5 s, and soon after each shim's exit)
      await until(() => !!failed || (cycles >= 6 && Date.now() - t0 >= 20_000), 180_000, () => `6 churn cycles (${cycles} done)`);
    } finally {
      churning = false;
      await Promise.all(workers);
      cri.close();
    }
    if (failed) throw failed;
    // every churn pod's shim the poll saw start (a pod whose whole life fits between two polls is
    // only in the events) it sees go, within a poll or two of the pod's removal
    const shims = w.lines.slice(from).filter((l) => l.kind === 'shim-start' && pods.has(l.podSandboxId ?? ''));
    assert.ok(shims.length > 0, 'the poll saw churn pods\' shims');
    for (const s of shims) await w.waitFor(`shim-exit of churn shim ${s.pid}`, (l) => l.kind === 'shim-exit' && l.pid === s.pid && l.podSandboxId === s.podSandboxId, from, 30_000);
    const exits = w.lines.slice(from).filter((l) => l.kind === 'task-exit' && l.exitStatus === 0 && [...pods.values()].includes(l.containerId ?? ''));
    assert.ok(exits.every((l) => /^ctrdoc-lab\/churn-/.test(l.pod ?? '') && l.container === 'app'), 'churn containers\' exits named by pod and container');
    t.diagnostic(`${cycles} cycles in ${Math.round((Date.now() - t0) / 1000)} s; ${w.lines.length - from} lines; open on both after: ${(await agreeWithDoctor(w, lab)).join(', ') || 'none'}`);
    const churnAlarms = w.lines.slice(from).filter(alarm).map((l) => `${l.kind}: ${l.incident?.id ?? ''} ${l.message}`);
    assert.deepEqual(churnAlarms, [], 'a busy healthy stretch raises nothing at warning or worse (a shim disconnect after a normal removal is no alarm)');
  });

  test('a killed shim: a line naming its pod within 5 s of the kill, and its shim\'s exit', async (t) => {
    const from = w.lines.length;
    const t0 = Date.now();
    // t0 is before `lab fault` starts: the kill comes later, so this bounds kill-to-line from above
    const d = await fault(DIR, 'dead-shim');
    const podId = String(d.podId ?? '');
    const i = await w.indexOf('naming the pod', (l) => !!l.pod && l.podSandboxId === podId, from);
    const first = w.lines[i];
    assert.equal(first.pod, d.pod);
    const seen = w.arrived[i] - t0;
    t.diagnostic(`first line about the pod (${first.kind}) ${seen} ms after the fault began (line's own time: +${Date.parse(first.time) - t0} ms)`);
    assert.ok(seen <= 5000, `the first line about pod ${first.pod} came ${seen} ms after the fault began: ${first.kind} ${first.message}`);
    const exit = await w.waitFor('shim-exit', (l) => l.kind === 'shim-exit' && l.podSandboxId === podId, from);
    assert.equal(exit.pod, first.pod);
    assert.match(w.stderr, CRI_EVENTS_NOTE[v]);
    // where every reader gets CRI's events, the watch reads them: kubelet's view of the same death
    if (READS_CRI(v)) await w.waitFor('cri-stopped', (l) => l.source === 'cri' && l.kind === 'cri-stopped' && l.podSandboxId === podId, from);
    else assert.equal(w.lines.some((l) => l.source === 'cri'), false, `containerd ${v}: no CRI events read`);
    await fault(DIR, 'clear', 'dead-shim');
  });

  test('hung-start: a new parked runc init for each attempt the retry loop makes, named by pod; the watch and the doctor agree on the incident', async (t) => {
    const from = w.lines.length;
    const d = await fault(DIR, 'hung-start', '--period', '6s');
    const podId = String(d.podId);
    const isParked = (l: WatchLine) => l.kind === 'runc-init-parked' && l.podSandboxId === podId;
    const ls = await w.atLeast(3, 'runc-init-parked for the hung-start pod', isParked, from);
    assert.equal(new Set(ls.map((l) => l.pid)).size, ls.length, 'one line per init');
    for (const l of ls) {
      assert.match(l.pod!, /^ctrdoc-lab\/hung-start-/);
      assert.equal(l.container, 'app');
    }
    const gaps = ls.slice(1).map((l, k) => Date.parse(l.time) - Date.parse(ls[k].time));
    t.diagnostic(`parked lines ${gaps.map((g) => `${(g / 1000).toFixed(1)}`).join(', ')} s apart (retry period 6 s)`);
    // every attempt the loop logged with its runc init (but the newest, maybe not two polls old yet) has its line
    const attempts = readFileSync(join(DIR, 'faults', 'hung-start.log'), 'utf8').split('\n').filter((x) => x.includes('runcInitPid')).map((x) => JSON.parse(x) as { runcInitPid: number });
    assert.ok(attempts.length >= 3, `the loop logged ${attempts.length} attempts`);
    for (const a of attempts.slice(0, -1)) await w.waitFor(`parked for init ${a.runcInitPid}`, (l) => isParked(l) && l.pid === a.runcInitPid, from);
    const pod = ls[0].pod!;
    t.diagnostic(`open on both: ${(await agreeWithDoctor(w, lab, { what: `an incident naming ${pod}`, test: (i) => i.pods.includes(pod) })).join(', ')}`);
    await fault(DIR, 'clear', 'hung-start');
    await w.waitFor('unparked', (l) => l.kind === 'runc-init-unparked' && l.podSandboxId === podId, from);
  });

  test('SIGSTOP of containerd: it stopped answering (and is stopped, T); SIGCONT: it answers again', async (t) => {
    const from = w.lines.length;
    const t0 = Date.now();
    await fault(DIR, 'frozen-containerd');
    const i = await w.indexOf('containerd-unresponsive', (l) => l.kind === 'containerd-unresponsive', from);
    assert.equal(w.lines[i].pid, lab.containerdPid());
    await w.waitFor('containerd in T', (l) => l.kind === 'process-state' && l.role === 'containerd' && l.state === 'T' && l.pid === lab.containerdPid(), from);
    const mid = w.lines.length;
    const t1 = Date.now();
    await fault(DIR, 'clear', 'frozen-containerd');
    const j = await w.indexOf('containerd-answering', (l) => l.kind === 'containerd-answering', mid);
    assert.ok((w.lines[j].ageSec ?? 0) >= 1, w.lines[j].message);
    await w.waitFor('containerd no longer T', (l) => l.kind === 'process-state-cleared' && l.role === 'containerd', mid);
    t.diagnostic(`not answering said ${w.arrived[i] - t0} ms after the SIGSTOP began, answering again ${w.arrived[j] - t1} ms after the SIGCONT began`);
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
    const told = await w.waitFor('the new containerd', (l) => (l.kind === 'containerd-restart' || l.kind === 'containerd-start') && l.pid === now, from);
    assert.match(told.message, new RegExp(`${now}`));
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
    assert.deepEqual(w.bad, [], 'stdout lines that are not JSON');
    assert.ok(w.lines.length > 10, `${w.lines.length} lines`);
    for (const l of w.lines) {
      assert.match(l.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.equal(typeof l.kind, 'string');
      assert.equal(typeof l.message, 'string');
    }
  });
});
});

// The watch must take no CRI event from kubelet's Evented PLEG. On 2.1 every reader gets each
// event: a kubelet-like reader and the watch both get each of a container's events. On 1.7 (one
// channel: each event to one reader) the watch does not read them, and the kubelet-like reader
// gets them all while the watch names the tasks from containerd's own events.
forVersions(['1.7', '2.1'], (v) => {
const DIR = versionDir(`${DIR_BASE}-cri`, v);
describe(`ctrdoc watch on containerd ${v}: it takes no CRI event from kubelet`, { skip }, () => {
  let lab: TestLab;
  before(() => {
    lab = labUp(DIR, 1, v);
  });
  after(async () => {
    await fault(DIR, 'clear', '--all').catch(() => {});
    lab?.down();
  });

  test(READS_CRI(v) ? 'a kubelet-like GetContainerEvents reader and the watch both get each event of a container'
    : 'a kubelet-like GetContainerEvents reader gets each event of a container while the watch runs (and reads none)', async () => {
    const cri = openCri(lab.endpoint, { timeoutMs: 5000 });
    const got: ContainerEventView[] = [];
    const kubelet = cri.containerEvents((e) => got.push(e), 120_000);
    kubelet.done.catch(() => {});
    const w = new WatchRun(lab.flags, ['--diagnose-every', '0']);
    try {
      await w.up(false);
      assert.match(w.stderr, CRI_EVENTS_NOTE[v]);
      const from = w.lines.length;
      const d = await fault(DIR, 'stuck-init-task');
      const cid = (d.containers as string[])[0];
      await w.waitFor('task-create', (l) => l.kind === 'task-create' && l.containerId === cid && !!l.pod, from);
      await fault(DIR, 'clear', 'stuck-init-task');
      await w.waitFor('container-delete', (l) => l.kind === 'container-delete' && l.containerId === cid, from);
      const kinds = { CONTAINER_CREATED_EVENT: 'cri-created', CONTAINER_DELETED_EVENT: 'cri-deleted' } as const;
      const types = () => got.filter((e) => e.containerId === cid).map((e) => e.containerEventType);
      await until(() => types().includes('CONTAINER_CREATED_EVENT') && types().includes('CONTAINER_DELETED_EVENT'), 10_000, () => `kubelet's reader to get the container's created and deleted events (got ${types().join(', ')})`);
      if (!READS_CRI(v)) assert.equal(w.lines.some((l) => l.source === 'cri'), false, 'the watch read no CRI event');
      else for (const kind of Object.values(kinds)) await w.waitFor(`${kind} for ${cid}`, (l) => l.source === 'cri' && l.kind === kind && l.containerId === cid, from, 10_000);
      w.child.kill('SIGTERM');
      assert.equal((await w.exited).code, 0);
    } finally {
      if (w.child.exitCode === null) {
        w.child.kill('SIGKILL');
        await w.exited;
      }
      kubelet.cancel();
      cri.close();
    }
  });
});
});
