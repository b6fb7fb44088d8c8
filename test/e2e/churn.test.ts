// A busy healthy node gives no false alarm: `ctrdoc lab churn` runs pods through the lab's real
// containerd (pods started and removed, execs, log rotation, exits 0, restarts by policy), and
// `ctrdoc doctor`, pointed at the lab, runs several times during the churn and once after it.
// No finding at warning or worse, except what the lab lacks by design (CHURN_NOT_JUDGED in
// src/lab/churn.ts, each entry with its reason: this machine's node state, shared with other
// labs and tests; a kubelet the lab cannot run). Then the churn leaves nothing: no pod, container,
// process, mount or cgroup of its own, also when SIGTERM stops it mid-way. On every version the
// lab runs, and on the seed build without its fault.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, criJson, ctrdoc, isRoot, labUp, type TestLab } from './cli-run.ts';
import { forVersions, versionDir, MATRIX } from './versions.ts';
import type { DoctorReport } from '../../src/report/doctor-report.ts';
import type { Snapshot } from '../../src/snapshot/types/index.ts';
import { notJudged, CHURN_NOT_JUDGED, type ChurnResult } from '../../src/lab/churn.ts';
import { labPaths } from '../../src/lab/paths.ts';
import { labProcesses, labMounts, labCgroupRoots } from '../../src/lab/host.ts';

const DIR_BASE = '/tmp/ctrdoc-e2e-churn';

interface Running {
  stop(): void;
  done: Promise<{ code: number | null; result?: ChurnResult; stderr: string }>;
}

/** `lab churn -o json` as a child of the test: its counts when it ends. */
function startChurn(dir: string, ...args: string[]): Running {
  const child = spawn(process.execPath, [CLI, 'lab', 'churn', '--dir', dir, '-o', 'json', ...args], { env: { ...process.env, CONTAINER_RUNTIME_ENDPOINT: '' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b) => (stdout += b));
  child.stderr.on('data', (b) => (stderr += b));
  // a bound, so a churn that never ends fails the test instead of hanging the suite
  const bound = setTimeout(() => child.kill('SIGKILL'), 5 * 60_000);
  return {
    stop: () => child.kill('SIGTERM'),
    done: new Promise((resolve) => child.on('close', (code) => {
      clearTimeout(bound);
      let result: ChurnResult | undefined;
      try {
        result = JSON.parse(stdout);
      } catch { /* said by the assertion on it */ }
      resolve({ code, result, stderr });
    })),
  };
}

/** Every cgroup directory under the lab's parent, in every controller. */
function cgroupDirs(parent: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    out.push(d);
    for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(join(d, e.name));
  };
  for (const root of labCgroupRoots(parent)) if (statSync(root).isDirectory()) walk(root);
  return out.sort();
}

forVersions([...MATRIX['version-dependent'], ...MATRIX.seed], (v) => {
const DIR = versionDir(DIR_BASE, v);
describe(`lab churn: no false alarm on a busy healthy node (containerd ${v})`, { skip: !isRoot && 'not root: the lab runs containerd and runc, which need root' }, () => {
  let lab: TestLab;
  const p = labPaths(DIR);
  before(() => {
    lab = labUp(DIR, 2, v);
  });
  after(() => lab?.down());

  const podIds = (): string[] => criJson<{ items: { id: string }[] }>(lab.endpoint, 'pods').items.map((x) => x.id).sort();
  /** What is the lab's now: its pods, processes, mounts and cgroups. */
  const state = () => ({
    pods: podIds(),
    processes: labProcesses(p.dir, p.cgroupParent),
    mounts: labMounts(p.dir).sort(),
    cgroups: cgroupDirs(p.cgroupParent),
  });
  /**
   * The processes of the lab now that were not there before and are no child of one that was:
   * what the churn left (a shim, a pause, an app, a runc init). The lab's own apps start a
   * `sleep` now and then: those are their children, not leftovers.
   */
  const leftProcesses = (before: ReturnType<typeof state>, now: ReturnType<typeof state>): string[] => {
    const was = new Set(before.processes.map((x) => `${x.pid}/${x.startTicks}`));
    const wasPid = new Set(before.processes.map((x) => x.pid));
    return now.processes.filter((x) => !was.has(`${x.pid}/${x.startTicks}`) && !wasPid.has(x.ppid)).map((x) => `${x.pid} (parent ${x.ppid}) ${x.argv.join(' ').slice(0, 120)}`);
  };

  /** One doctor run on the lab: the findings at warning or worse that are judged, and whether CRI answered. */
  /** The doctor's second looks at tree facts (src/collect/second-look.ts): how many were taken, what they dropped. */
  const secondLooks = { taken: 0, late: 0, dropped: 0, outOfD: 0 };
  const doctor = (): { bad: string[]; criAnswered: boolean; leftOut: string[] } => {
    // the lab has no kubelet log: this path does not exist, so the kubelet log rules are skipped rather than read the machine's journal
    const saved = join(DIR, 'churn-snapshot.json');
    const r = ctrdoc(['doctor', ...lab.flags, '--kubelet-log', join(DIR, 'kubelet', 'kubelet.log'), '-o', 'json', '--snapshot', saved], { timeoutMs: 60_000 });
    assert.ok(r.code === 0 || r.code === 1, `doctor exit ${r.code}: ${r.stderr}`);
    const report = JSON.parse(r.stdout) as DoctorReport;
    const look = (JSON.parse(readFileSync(saved, 'utf8')) as Snapshot).tree.data?.secondLook;
    if (look && !look.note) {
      secondLooks.taken++;
      if (look.lateDelayMs) secondLooks.late++;
      secondLooks.dropped += look.dropped.length;
      secondLooks.outOfD += look.notInDAgain?.length ?? 0;
    }
    const failing = report.findings.filter((f) => f.status === 'fail' && f.severity !== 'info');
    const bad = failing.filter((f) => !notJudged(f)).map((f) => `${f.rule} ${f.severity}: ${f.summary}\n    ${f.evidence.slice(0, 4).join('\n    ')}`);
    const leftOut = failing.filter((f) => notJudged(f)).map((f) => `${f.rule} (${notJudged(f)!.what})`);
    const criAnswered = report.probes.some((x) => x.probe === 'cri.pods' && x.status === 'ok') && report.probes.some((x) => x.probe === 'containerd.log' && x.status === 'ok');
    return { bad, criAnswered, leftOut };
  };

  test('during and after the churn: no warning or critical finding but what the lab lacks by design', async (t) => {
    const before = state();
    const churn = startChurn(DIR, '--rate', '1', '--for', '40s');
    let ended = false;
    void churn.done.then(() => (ended = true));
    const during: string[] = [];
    let judged = 0;
    const leftOut = new Set<string>();
    // the doctor starts once the churn has pods in flight (bounded: 20 s)
    for (let i = 0; i < 100 && !ended && podIds().length <= before.pods.length; i++) await new Promise((r) => setTimeout(r, 200));
    while (!ended) {
      const d = doctor();
      if (ended) break; // this run may have seen the churn's end: it counts as neither
      during.push(...d.bad);
      d.leftOut.forEach((x) => leftOut.add(x));
      if (d.criAnswered) judged++;
      await new Promise((r) => setTimeout(r, 1500));
    }
    const { code, result, stderr } = await churn.done;
    assert.equal(code, 0, `lab churn: ${stderr}`);
    assert.ok(result, `lab churn printed its counts: ${stderr}`);
    const c = result!.counts;
    // the churn really churned while the doctor looked
    assert.ok(c.podsStarted >= 10 && c.podsRemoved === c.podsStarted, JSON.stringify(c));
    assert.ok(c.execs >= 3 && c.logRotations >= 2 && c.restarts >= 2 && c.exitedZero >= 10, JSON.stringify(c));
    assert.equal(c.errors, 0, result!.errors.join('\n'));
    assert.ok(judged >= 3, `${judged} doctor runs during the churn had CRI and the containerd log answer`);
    assert.deepEqual(during, [], `during the churn (left out by design, CHURN_NOT_JUDGED: ${[...leftOut].join(', ') || 'nothing'}; the list: ${CHURN_NOT_JUDGED.map((x) => x.what).join(', ')})`);
    t.diagnostic(`containerd ${v}: ${JSON.stringify(c)}; ${judged} doctor runs judged during the churn; left out by CHURN_NOT_JUDGED: ${[...leftOut].join(', ') || 'nothing'}; second looks: ${secondLooks.taken} taken (${secondLooks.late} with a late look), ${secondLooks.dropped} fact(s) dropped, ${secondLooks.outOfD} process(es) of the stack out of D again`);
    const afterRun = doctor();
    assert.ok(afterRun.criAnswered, 'the doctor after the churn had CRI and the containerd log');
    assert.deepEqual(afterRun.bad, [], 'after the churn');
    // and nothing of the churn's is left: the lab is as it was
    const now = state();
    assert.deepEqual(now.pods, before.pods, 'the lab\'s own pods, no other');
    assert.deepEqual(now.mounts, before.mounts);
    assert.deepEqual(now.cgroups, before.cgroups);
    assert.deepEqual(leftProcesses(before, now), []);
  });

  test('SIGTERM mid-churn: the pods alive finish between calls and are removed; nothing is left', async () => {
    const before = state();
    const churn = startChurn(DIR, '--rate', '2');
    // stop it once pods are in flight: it has started some and not removed them all
    for (let i = 0; i < 100 && podIds().length <= before.pods.length; i++) await new Promise((r) => setTimeout(r, 200));
    assert.ok(podIds().length > before.pods.length, 'churn pods were alive when the signal came');
    churn.stop();
    const { code, result, stderr } = await churn.done;
    assert.equal(code, 0, `lab churn: ${stderr}`);
    assert.match(stderr, /SIGTERM: no new pods; the pods alive finish and are removed/);
    assert.equal(result?.stoppedBy, 'signal');
    assert.equal(result!.counts.errors, 0, result!.errors.join('\n'));
    assert.deepEqual(result!.left, { pods: [], cgroups: [], logDirs: [] });
    const now = state();
    assert.deepEqual(now.pods, before.pods);
    assert.deepEqual(now.mounts, before.mounts);
    assert.deepEqual(now.cgroups, before.cgroups);
    assert.deepEqual(leftProcesses(before, now), []);
    // no container of the churn's is left "in starting state" or Created: CRI lists none
    const ctrs = criJson<{ containers: { podSandboxId: string }[] }>(lab.endpoint, 'ps', '-a').containers;
    assert.ok(ctrs.every((x) => before.pods.includes(x.podSandboxId)));
  });
});
});
