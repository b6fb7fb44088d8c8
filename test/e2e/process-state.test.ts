// The stack's processes stopped (T) on the real lab, and no such finding on a healthy lab or
// while pods come and go: a real `runc init` parked on exec.fifo, stopped with SIGSTOP while a
// real `runc start` waits for it, is named as the reason its container is stuck; after SIGCONT
// the finding is gone. The same through CRI (a container Created, its task's init stopped).
// The machine is shared: other labs' processes have the same names, so each test judges only
// the findings about its own pods, containers and pids.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { criJson, ctrdoc, ctrdocAsync, isRoot, labUp, type TestLab } from './cli-run.ts';
import type { DoctorReport } from '../../src/report/doctor-report.ts';
import type { Finding } from '../../src/snapshot/types/index.ts';
import { openCri } from '../../src/sources/cri/client.ts';
import { startLabPod } from '../../src/lab/pods.ts';
import { labPaths } from '../../src/lab/paths.ts';

const DIR = '/tmp/ctrdoc-e2e-procstate';
const STATE_RULES = ['RUNC_PROCESS_STATE', 'SHIM_PROCESS_STATE', 'CONTAINERD_PROCESS'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Signals a process of ours; one that is gone already is fine. */
function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/** The state letter of /proc/PID/stat ("pid (comm) S ..."; comm may hold spaces and parentheses). */
function procState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.charAt(stat.lastIndexOf(')') + 2);
  } catch {
    return undefined;
  }
}

describe('the stack\'s stopped processes on the lab', { skip: !isRoot && 'not root: the lab runs containerd and runc, which need root' }, () => {
  let lab: TestLab;
  const stopped = new Set<number>();
  before(() => {
    lab = labUp(DIR, 1);
  });
  after(() => {
    for (const pid of stopped) signal(pid, 'SIGCONT');
    ctrdoc(['lab', 'fault', 'clear', '--all', '--dir', DIR], { timeoutMs: 120_000 });
    lab?.down();
  });

  const fault = (...args: string[]): Record<string, unknown> => {
    const r = ctrdoc(['lab', 'fault', ...args, '--dir', DIR], { timeoutMs: 120_000 });
    assert.equal(r.code, 0, `lab fault ${args.join(' ')}: ${r.stderr}`);
    // the first line says what was done; `fault NAME` then prints its details as JSON
    const rest = r.stdout.slice(r.stdout.indexOf('\n') + 1).trim();
    return rest.startsWith('{') ? JSON.parse(rest) : {};
  };
  const doctorArgs = (extra: string[]) => ['doctor', ...lab.flags, '-o', 'json', ...extra];
  const report = (stdout: string, code: number | null, stderr: string): DoctorReport => {
    assert.ok(code === 0 || code === 1, `doctor exit ${code}: ${stderr}`);
    return JSON.parse(stdout) as DoctorReport;
  };
  const doctor = (...extra: string[]): DoctorReport => {
    const r = ctrdoc(doctorArgs(extra), { timeoutMs: 60_000 });
    return report(r.stdout, r.code, r.stderr);
  };
  const failing = (r: DoctorReport, rule: string): Finding[] => r.findings.filter((f) => f.rule === rule && f.status === 'fail');
  /** SIGSTOP, then wait until the kernel has stopped it (the signal is delivered when it next runs). */
  const stop = async (pid: number) => {
    signal(pid, 'SIGSTOP');
    stopped.add(pid);
    for (let i = 0; i < 250 && procState(pid) !== 'T'; i++) await sleep(20);
    assert.equal(procState(pid), 'T', `pid ${pid} is stopped`);
  };
  const cont = (pid: number) => {
    signal(pid, 'SIGCONT');
    stopped.delete(pid);
  };

  test('a healthy lab: no process of the stack is stopped or stuck, containerd included', () => {
    const r = doctor();
    const mine = new Set([lab.containerdPid()]);
    const pods = criJson(lab.endpoint, 'pods').items.map((p: { id: string }) => p.id);
    const about = r.findings.filter((f) => STATE_RULES.includes(f.rule) && f.status === 'fail' && (mine.has(f.subject?.pid ?? -1) || pods.includes(f.subject?.podSandboxId)));
    assert.deepEqual(about.map((f) => `${f.rule}: ${f.summary}`), []);
    assert.equal(r.findings.find((f) => f.rule === 'CONTAINERD_PROCESS')?.status, 'pass');
  });

  test('stuck-init, its runc init stopped while runc start waits on exec.fifo: the stopped init is named as the reason; SIGCONT ends it', async () => {
    const d = fault('stuck-init');
    const id = String(d.runcId);
    const initPid = Number(d.pid);
    await stop(initPid);
    const runcRoot = lab.flags.find((f) => f.startsWith('--runc-root='))!.slice('--runc-root='.length);
    // a real `runc start`, our child: it waits for the init to open its end of exec.fifo
    const start: ChildProcess = spawn('runc', ['--root', runcRoot, 'start', id], { stdio: 'ignore' });
    const started = new Promise<number | null>((resolve) => start.on('exit', (code) => resolve(code)));
    try {
      // runc start takes a moment to reach its open of exec.fifo on a loaded machine: a bounded
      // wait until the doctor sees it waiting there
      let r = doctor();
      const named = (x: DoctorReport) => failing(x, 'RUNC_PROCESS_STATE').some((f) => f.subject?.pid === initPid && f.summary.includes(`runc start ${start.pid} waits`));
      for (let i = 0; i < 40 && !named(r); i++) {
        await sleep(500);
        r = doctor();
      }
      const [f] = failing(r, 'RUNC_PROCESS_STATE').filter((x) => x.subject?.pid === initPid);
      assert.ok(f, `RUNC_PROCESS_STATE names runc init ${initPid}: ${JSON.stringify(failing(r, 'RUNC_PROCESS_STATE').map((x) => x.summary))}`);
      assert.equal(f.severity, 'critical');
      assert.match(f.summary, new RegExp(`^runc init ${initPid} of container ${id} is stopped \\(T: SIGSTOP or a debugger\\): the container cannot start; runc start ${start.pid} waits for it on exec\\.fifo$`));
      assert.equal(f.subject?.containerId, id);
      const ev = f.evidence.join('\n');
      assert.match(ev, new RegExp(`runc init: pid ${initPid} runc:\\[2:INIT\\] state T \\(stopped\\), wchan do_signal_stop`));
      assert.match(ev, /^runc: created \(/m);
      // which thread of runc start blocks in open(exec.fifo) is Go's choice: the process's own wchan may say epoll
      assert.match(ev, new RegExp(`^runc start: pid ${start.pid} runc state \\w\\b.*: waits for the init to open exec\\.fifo$`, 'm'));
      assert.match(f.nextStep ?? '', new RegExp(`^kill -CONT ${initPid} `));

      cont(initPid);
      // the init opens exec.fifo, runc start returns, the container's command runs and exits
      assert.equal(await Promise.race([started, sleep(30_000).then(() => 'still waiting')]), 0, 'runc start completes once the init runs on');
      const again = doctor();
      assert.deepEqual(failing(again, 'RUNC_PROCESS_STATE').filter((x) => x.subject?.pid === initPid || x.subject?.containerId === id), []);
    } finally {
      if (start.exitCode === null) start.kill('SIGKILL');
      cont(initPid);
      fault('clear', 'stuck-init');
    }
  });

  test('stuck-init-task, its init stopped: CRI\'s never-started container names the stopped init as the reason', async () => {
    const d = fault('stuck-init-task');
    const initPid = (d.pids as number[])[0];
    const containerId = (d.containers as string[])[0];
    await stop(initPid);
    try {
      // past --stuck-after, so the Created container is stuck by CRI's rule too: a bounded wait
      let r = doctor('--stuck-after', '2s');
      const seen = (x: DoctorReport) => failing(x, 'CRI_CONTAINER_NEVER_STARTED').some((f) => f.subject?.podSandboxId === d.podId);
      for (let i = 0; i < 40 && !seen(r); i++) {
        await sleep(500);
        r = doctor('--stuck-after', '2s');
      }
      const [cri] = failing(r, 'CRI_CONTAINER_NEVER_STARTED').filter((x) => x.subject?.podSandboxId === d.podId);
      assert.ok(cri, 'CRI_CONTAINER_NEVER_STARTED for the fault\'s pod');
      assert.equal(cri.subject?.containerId, containerId);
      assert.match(cri.summary, new RegExp(`: its runc init ${initPid} is stopped \\(T\\), so it cannot start$`));
      assert.match(cri.nextStep ?? '', new RegExp(`^kill -CONT ${initPid} `));
      // the shim is alive; it is asked over ttrpc only when containerd's task list does not vouch for it
      assert.match(cri.evidence.join('\n'), /shim: pid \d+ \(state S\) (answered ttrpc Connect|not asked over ttrpc)/);
      assert.match(cri.evidence.join('\n'), /containerd task: CREATED/);
      const [runc] = failing(r, 'RUNC_PROCESS_STATE').filter((x) => x.subject?.pid === initPid);
      assert.ok(runc, 'RUNC_PROCESS_STATE names the init');
      assert.equal(runc.subject?.podSandboxId, d.podId);
      assert.match(runc.summary, /: the container cannot start$/);

      cont(initPid);
      const again = doctor('--stuck-after', '2s');
      assert.deepEqual(failing(again, 'RUNC_PROCESS_STATE').filter((x) => x.subject?.pid === initPid), []);
      assert.doesNotMatch(failing(again, 'CRI_CONTAINER_NEVER_STARTED').find((x) => x.subject?.podSandboxId === d.podId)?.summary ?? '', /stopped/);
    } finally {
      cont(initPid);
      fault('clear', 'stuck-init-task');
    }
  });

  test('pods created, started, exec\'d, stopped and removed all the while: no stopped or stuck process finding', async () => {
    const cri = openCri(lab.endpoint, { timeoutMs: 30_000 });
    const p = labPaths(DIR);
    const podIds = new Set<string>();
    const containerIds = new Set<string>();
    let churning = true;
    let cycles = 0;
    const worker = async () => {
      while (churning) {
        const pod = await startLabPod(cri, p, { app: 'churn', command: ['sh', '-c', 'echo churn; sleep 2'] });
        podIds.add(pod.podId);
        if (pod.containerId) containerIds.add(pod.containerId);
        await cri.execSync(pod.containerId!, ['true'], 5).catch(() => undefined);
        await cri.stopPodSandbox(pod.podId, 30_000);
        await cri.removePodSandbox(pod.podId, 30_000);
        cycles++;
      }
    };
    const workers = [worker(), worker()];
    const reports: DoctorReport[] = [];
    try {
      for (let i = 0; i < 4; i++) {
        const r = await ctrdocAsync(doctorArgs([]), { timeoutMs: 60_000 });
        reports.push(report(r.stdout, r.code, r.stderr));
      }
    } finally {
      churning = false;
      await Promise.all(workers);
      cri.close();
    }
    assert.ok(cycles >= 2, `pods came and went while the doctor ran (${cycles} cycles)`);
    const mine = (f: Finding) => podIds.has(f.subject?.podSandboxId ?? '') || containerIds.has(f.subject?.containerId ?? '') || f.subject?.pid === lab.containerdPid();
    const alarms = reports.flatMap((r) => r.findings.filter((f) => STATE_RULES.includes(f.rule) && f.status === 'fail' && mine(f)));
    assert.deepEqual(alarms.map((f) => `${f.rule}: ${f.summary}`), []);
  });
});
