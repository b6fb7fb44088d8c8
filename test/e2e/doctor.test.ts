// `ctrdoc doctor` on the real lab: healthy, then each lab fault (real processes, real files,
// real API answers), checking that the right finding names the right subject. kubelet cannot
// run here: its faults use the lab's stand-in process (a process with kubelet's flags, a real
// KubeletConfiguration and a klog-format log), as the lab says.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { criJson, ctrdoc, isRoot, labUp, type TestLab } from './cli-run.ts';
import { forVersions, versionDir } from './versions.ts';
import type { DoctorReport } from '../../src/report/doctor-report.ts';
import type { Finding } from '../../src/snapshot/types/index.ts';
import { openCri } from '../../src/sources/cri/client.ts';

const DIR_BASE = '/tmp/ctrdoc-e2e-doc';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

forVersions('version-dependent', (v) => {
const DIR = versionDir(DIR_BASE, v);
describe(`ctrdoc doctor on the lab (containerd ${v})`, { skip: !isRoot && 'not root: the lab runs containerd and runc, which need root' }, () => {
  let lab: TestLab;
  before(() => {
    lab = labUp(DIR, 3, v);
  });
  after(() => lab?.down());

  const fault = (...args: string[]) => {
    const r = ctrdoc(['lab', 'fault', ...args, '--dir', DIR], { timeoutMs: 120_000 });
    assert.equal(r.code, 0, `lab fault ${args.join(' ')}: ${r.stderr}`);
    return r;
  };
  /** The details `lab fault NAME` prints after its first line (pod ids, pids). */
  const details = (r: { stdout: string }): Record<string, unknown> => {
    const i = r.stdout.indexOf('\n');
    return i < 0 ? {} : JSON.parse(r.stdout.slice(i + 1));
  };
  const clear = (name: string) => fault('clear', name);
  const doctor = (...extra: string[]): { code: number | null; report: DoctorReport; stderr: string } => {
    const r = ctrdoc(['doctor', ...lab.flags, '--kubelet-log', `${DIR}/kubelet/kubelet.log`, '-o', 'json', '--stuck-after', '2s', ...extra], { timeoutMs: 60_000 });
    assert.ok(r.code === 0 || r.code === 1, `doctor exit ${r.code}: ${r.stderr}`);
    return { code: r.code, report: JSON.parse(r.stdout), stderr: r.stderr };
  };
  const failing = (r: DoctorReport, rule: string): Finding[] => r.findings.filter((f) => f.rule === rule && f.status === 'fail');
  /**
   * Runs the doctor until `ready` says what it waits for is there (a fault takes a moment to show
   * on a loaded machine: a runc init reaching its fifo, a retry, a log line), at most `tries`
   * times half a second apart; returns the last report either way, for the test to judge.
   */
  const doctorUntil = async (ready: (r: DoctorReport) => boolean, extra: string[] = [], tries = 40): Promise<DoctorReport> => {
    let r = doctor(...extra).report;
    for (let i = 1; i < tries && !ready(r); i++) {
      await sleep(500);
      r = doctor(...extra).report;
    }
    return r;
  };
  // The node layer judges this machine itself (load, memory, PSI), which the test suite loads:
  // the lab's health is everything above it.
  const bad = (r: DoctorReport) => r.findings.filter((f) => f.status === 'fail' && f.severity !== 'info' && f.layer !== 'node').map((f) => `${f.rule}: ${f.summary}`);

  test('a healthy lab: no finding at warning or worse, exit 0, every layer checked', () => {
    // the kubelet layer is judged on a stand-in of this test's own that names this lab (other
    // tests run theirs at the same time: it is named, never picked from the machine)
    const standIn = details(fault('kubelet', '--variant', 'ok')).pid as number;
    let code: number | null;
    let report: DoctorReport;
    try {
      ({ code, report } = doctor('--kubelet-pid', String(standIn)));
    } finally {
      clear('kubelet');
    }
    assert.deepEqual(bad(report), []);
    assert.equal(report.findings.find((f) => f.rule === 'KUBELET_RUNTIME_ENDPOINT')?.status, 'pass', 'the kubelet layer is checked, on our stand-in');
    const nodeFails = report.findings.filter((f) => f.status === 'fail' && f.layer === 'node' && f.severity !== 'info');
    assert.equal(code, nodeFails.length ? 1 : 0, 'exit 1 only for the machine\'s own node findings');
    assert.equal(report.findings.filter((f) => f.status === 'error').map((f) => f.rule).length, 0, 'nothing "could not check"');
    assert.ok(report.findings.some((f) => f.layer === 'runc' && f.status === 'pass'));
  });

  test('the canary passes on a healthy lab and leaves nothing behind', () => {
    const { report } = doctor('--canary');
    const canary = report.findings.find((f) => f.rule === 'CANARY_FAILED');
    assert.equal(canary?.status, 'pass', canary?.summary);
    const pods = criJson(lab.endpoint, 'pods').items;
    assert.equal(pods.filter((p: { metadata: { namespace: string } }) => p.metadata.namespace === 'ctrdoc-canary').length, 0);
  });

  test('frozen-containerd: stopped (T) named, CRI unresponsive, the report still comes out on time', () => {
    fault('frozen-containerd');
    try {
      const { report } = doctor('--timeout', '4s', '--canary');
      const proc = failing(report, 'CONTAINERD_PROCESS');
      assert.equal(proc.length, 1);
      assert.match(proc[0].summary, /is stopped \(T/);
      assert.equal(proc[0].subject?.pid, lab.containerdPid());
      assert.equal(failing(report, 'CRI_UNRESPONSIVE').length, 1);
      // the collection honours its overall deadline: the contract that makes doctor safe on a hung node
      assert.ok(report.durationMs <= 4000 + 500, `collected in ${report.durationMs} ms with a 4s deadline`);
      const canary = failing(report, 'CANARY_FAILED');
      assert.equal(canary.length, 1, 'the canary reports the node cannot start containers');
      assert.ok(report.probes.some((p) => p.probe === 'proc' && p.status === 'ok'), 'other layers still collected');
    } finally {
      clear('frozen-containerd');
    }
    const after = doctor();
    assert.deepEqual(failing(after.report, 'CONTAINERD_PROCESS'), []);
  });

  test('no-cni: NetworkReady=false with its reason', () => {
    fault('no-cni');
    try {
      const { report } = doctor();
      const f = failing(report, 'CRI_CONDITIONS');
      assert.equal(f.length, 1);
      assert.match(f[0].summary, /NetworkReady=false: NetworkPluginNotReady/);
    } finally {
      clear('no-cni');
    }
  });

  test('crashloop: the crashing pod\'s container, with rising attempts', async () => {
    fault('crashloop', '--period', '1s');
    try {
      // kubelet-like restarts every second: wait (bounded) until the attempts have risen past 1
      const rose = (r: DoctorReport) => failing(r, 'CRI_CRASHLOOP').some((x) => /attempt [2-9]/.test(x.summary));
      const f = failing(await doctorUntil(rose, ['--no-goroutines'], 60), 'CRI_CRASHLOOP');
      assert.equal(f.length, 1);
      assert.match(f[0].summary, /attempt [2-9]/);
      assert.ok(f[0].subject?.pod, 'names the pod');
      assert.ok(f[0].evidence.some((e) => /last exit code 1/.test(e)), f[0].evidence.join('\n'));
      // --pod: the crashing pod's doctor shows it; a healthy pod's exits 0 and counts it as left out
      const crashing = f[0].subject!.pod!;
      assert.equal(failing(doctor('--no-goroutines', '--pod', crashing.split('/')[1]).report, 'CRI_CRASHLOOP').length, 1);
      const web = criJson(lab.endpoint, 'pods').items
        .find((p: { metadata: { name: string } }) => p.metadata.name.startsWith('web-')) as { id: string };
      const other = doctor('--no-goroutines', '--pod', web.id.slice(0, 12));
      assert.deepEqual(failing(other.report, 'CRI_CRASHLOOP'), []);
      assert.ok(other.report.focus!.hidden >= 1, 'the crash loop is counted as left out');
    } finally {
      clear('crashloop');
    }
  });

  test('bad-config (drift): metrics address, the 1.6 shim-stats window, a missing sandbox image, SystemdCgroup drift', () => {
    fault('bad-config', '--variant', 'drift');
    try {
      const { report } = doctor();
      assert.equal(failing(report, 'CONFIG_METRICS_ADDRESS').length, 1);
      // no shim-stats timeout before 1.7.0: 1.7 and 2.1 have io.containerd.timeout.metrics.shimstats (VERSIONS.md#shimstats-timeout-1.6-only)
      assert.equal(failing(report, 'VERSION_NO_SHIMSTATS_TIMEOUT').length, v === '1.6' || v === 'seed' ? 1 : 0);
      assert.equal(failing(report, 'SANDBOX_IMAGE_MISSING').length, 1);
      assert.match(failing(report, 'CONFIG_DRIFT')[0].evidence.join('\n'), /SystemdCgroup/);
    } finally {
      clear('bad-config');
    }
  });

  // VERSIONS.md#config-v3-drift: a version 3 config (2.x) drifts in the same keys as a version 2
  // one, each named as that version's file spells it; the missing sandbox image is the one
  // containerd runs with (2.x: the file, unchanged since containerd started)
  test('bad-config (drift): the config drift names the same keys on a version 2 and a version 3 config', () => {
    fault('bad-config', '--variant', 'drift');
    try {
      const { report } = doctor('--no-goroutines');
      const [drift] = failing(report, 'CONFIG_DRIFT');
      assert.ok(drift, 'CONFIG_DRIFT fires');
      const v3 = v.startsWith('2.');
      const sandboxKey = v3 ? "[plugins.'io.containerd.cri.v1.images'] pinned_images.sandbox" : 'sandbox_image';
      for (const key of ['SystemdCgroup', 'restrict_oom_score_adj', '[metrics] address', '[debug] level', sandboxKey]) {
        assert.ok(drift.summary.includes(key), `${key} in: ${drift.summary}`);
      }
      assert.match(drift.evidence.join('\n'), /SystemdCgroup: false -> true/);
      const [missing] = failing(report, 'SANDBOX_IMAGE_MISSING');
      assert.ok(missing, 'SANDBOX_IMAGE_MISSING fires');
      assert.match(missing.summary, /ctrdoc\.local\/lab\/pause:does-not-exist/);
    } finally {
      clear('bad-config');
    }
  });

  test('bad-config (unapplied): config.toml edited, containerd not restarted: the file and the running CRI plugin disagree', () => {
    fault('bad-config', '--variant', 'unapplied');
    try {
      const { report } = doctor();
      const [f] = failing(report, 'CONFIG_NOT_APPLIED');
      assert.ok(f, 'CONFIG_NOT_APPLIED fires');
      assert.equal(f.severity, 'warning');
      const evidence = f.evidence.join('\n');
      assert.match(evidence, /SystemdCgroup: true in the file, false in the running containerd/);
      // named as the file's version spells it; 2.x's running one is the image CRI pins (VERSIONS.md#cri-status-config-v3)
      const key = v.startsWith('2.') ? /\[plugins\.'io\.containerd\.cri\.v1\.images'\] pinned_images\.sandbox/.source : 'sandbox_image';
      assert.match(evidence, new RegExp(`${key}: "registry\\.k8s\\.io/pause:3\\.9" in the file, "ctrdoc\\.local/lab/pause:1" in the running containerd`));
      assert.match(evidence, /modified .*after containerd started/);
      // what containerd runs with is judged, not the file: its own pause image is there
      assert.deepEqual(failing(report, 'SANDBOX_IMAGE_MISSING'), []);
    } finally {
      clear('bad-config');
    }
    const { report } = doctor();
    assert.equal(report.findings.find((x) => x.rule === 'CONFIG_NOT_APPLIED')?.status, 'pass', 'the file put back as containerd loaded it');
  });

  test('frozen-pod: the frozen cgroup is named with its pod and container, while CRI says Running', () => {
    const d = details(fault('frozen-pod'));
    try {
      const { report } = doctor();
      // frozen cgroups are the node's: another test may freeze one of its own at the same time
      const [f] = failing(report, 'NODE_FROZEN_CGROUP').filter((x) => x.subject?.containerId === d.containerId);
      assert.ok(f, 'NODE_FROZEN_CGROUP fires');
      assert.equal(f.severity, 'critical');
      assert.deepEqual([f.subject?.pod, f.subject?.container, f.subject?.containerId], [d.pod, 'app', d.containerId]);
      assert.match(f.summary, new RegExp(`^pod ${d.pod} container app: .* is FROZEN`));
      const cri = criJson<{ containers: { id: string; state: string }[] }>(lab.endpoint, 'ps').containers;
      assert.equal(cri.find((c) => c.id === d.containerId)?.state, 'CONTAINER_RUNNING', 'CRI does not see it');
    } finally {
      clear('frozen-pod');
    }
    assert.deepEqual(failing(doctor().report, 'NODE_FROZEN_CGROUP').filter((x) => x.subject?.containerId === d.containerId), [], 'thawed');
  });

  test('bad-config (broken): a config that does not load', () => {
    fault('bad-config', '--variant', 'broken');
    try {
      const { report } = doctor();
      const f = failing(report, 'CONFIG_LOAD_ERROR');
      assert.equal(f.length, 1);
      assert.match(f[0].summary, /TOML|parse|load/i);
    } finally {
      clear('bad-config');
    }
  });

  test('bad-config (blocking-runtime): listings stay green, the canary fails within its deadline and leaves nothing', async () => {
    fault('bad-config', '--variant', 'blocking-runtime');
    try {
      const { report } = doctor('--canary', '--timeout', '6s');
      assert.deepEqual(failing(report, 'CRI_UNRESPONSIVE'), [], 'CRI listings answer');
      const f = failing(report, 'CANARY_FAILED');
      assert.equal(f.length, 1);
      assert.match(f[0].summary, /canary failed at (run-sandbox|create|start)/);
      assert.ok(report.durationMs <= 6000 + 500, `collected in ${report.durationMs} ms with a 6s deadline`);
      assert.match(failing(report, 'CONFIG_DRIFT')[0].evidence.join('\n'), /BinaryName/);
      const pods = criJson(lab.endpoint, 'pods').items;
      assert.deepEqual(pods.filter((p: { metadata: { namespace: string } }) => p.metadata.namespace === 'ctrdoc-canary'), [], 'no canary pod left');
    } finally {
      clear('bad-config');
      // containerd restarted under a sandbox the canary had asked for: such a late leftover is
      // what the next canary's remove-stale step is for; here the next tests want a clean lab
      const cri = openCri(lab.endpoint, { timeoutMs: 5000 });
      try {
        for (const p of await cri.listPodSandbox()) {
          if (p.metadata.namespace !== 'ctrdoc-canary') continue;
          await cri.stopPodSandbox(p.id).catch(() => undefined);
          await cri.removePodSandbox(p.id);
        }
      } finally {
        cri.close();
      }
    }
  });

  const podOf = (name: string): { id: string; name: string } => {
    const items = criJson(lab.endpoint, 'pods').items as { id: string; metadata: { name: string } }[];
    const p = items.find((x) => x.metadata.name.startsWith(name));
    assert.ok(p, `a pod named ${name}*`);
    return { id: p.id, name: p.metadata.name };
  };

  test('hung-start (the seed\'s incident): parked runc inits for one pod with rising attempts, while CRI listings look healthy', async () => {
    fault('hung-start', '--period', '2s');
    try {
      const pod = podOf('hung-start');
      // a new parked init every 2 s: wait (bounded) until two are there, past --stuck-after, and
      // CRI's rule groups them over the attempts
      const report = await doctorUntil((r) => failing(r, 'RUNC_REPEATED_INIT').some((x) => x.subject?.podSandboxId === pod.id)
        && failing(r, 'RUNC_STUCK_INIT').some((x) => x.subject?.podSandboxId === pod.id)
        && failing(r, 'CRI_CONTAINER_NEVER_STARTED').some((x) => x.subject?.podSandboxId === pod.id && /: \d+ attempts/.test(x.summary)), [], 60);
      assert.deepEqual(failing(report, 'CRI_UNRESPONSIVE'), [], 'CRI answers: the listings look healthy');
      const repeated = failing(report, 'RUNC_REPEATED_INIT');
      assert.equal(repeated.length, 1);
      assert.equal(repeated[0].subject?.podSandboxId, pod.id);
      assert.match(repeated[0].evidence.join('\n'), /attempts: 0,1(,\d)*/);
      const stuck = failing(report, 'RUNC_STUCK_INIT').filter((f) => f.subject?.podSandboxId === pod.id);
      assert.equal(stuck.length, 1, 'one finding for the stuck pod container');
      assert.match(stuck[0].evidence.join('\n'), /waitingInFifoOpen: true/);
      const never = failing(report, 'CRI_CONTAINER_NEVER_STARTED').filter((f) => f.subject?.podSandboxId === pod.id);
      assert.equal(never.length, 1, failing(report, 'CRI_CONTAINER_NEVER_STARTED').map((f) => f.summary).join('; '));
      assert.match(never[0].summary, new RegExp(`${pod.name} container app: \\d+ attempts`));
    } finally {
      clear('hung-start');
    }
  });

  test('stuck-init (runc create without start, unknown to containerd): parked init and a leaked container', async () => {
    const d = details(fault('stuck-init'));
    try {
      // past --stuck-after 2s and parked on its fifo: a bounded wait on that state, in a run whose
      // CRI and containerd lists answered ("unknown to containerd" needs its list: on a loaded
      // machine a call can time out, and the leak is then not claimed)
      const listed = (r: DoctorReport) => ['cri.containers', 'containerd.containers'].every((n) => r.probes.some((x) => x.probe === n && x.status === 'ok'));
      const report = await doctorUntil((r) => failing(r, 'RUNC_STUCK_INIT').length > 0 && listed(r));
      const stuck = failing(report, 'RUNC_STUCK_INIT');
      assert.deepEqual(stuck.map((f) => [f.subject?.containerId, f.subject?.pid]), [[d.runcId, d.pid]], 'the one parked init, this lab\'s');
      assert.match(stuck[0].evidence.join('\n'), /exec\.fifo/);
      assert.ok(failing(report, 'RUNC_LEAKED_CONTAINER').some((f) => f.subject?.containerId === d.runcId), 'the stuck runc container is a leaked one too');
    } finally {
      clear('stuck-init');
    }
  });

  test('stuck-init-task (Tasks.Create through containerd, never started): CRI shows it Created, runc init parked under the pod\'s shim', async () => {
    const d = details(fault('stuck-init-task'));
    try {
      // past --stuck-after 2s: a bounded wait until both layers see it
      const report = await doctorUntil((r) => failing(r, 'CRI_CONTAINER_NEVER_STARTED').some((f) => f.subject?.podSandboxId === d.podId)
        && failing(r, 'RUNC_STUCK_INIT').some((f) => f.subject?.podSandboxId === d.podId));
      const never = failing(report, 'CRI_CONTAINER_NEVER_STARTED').filter((f) => f.subject?.podSandboxId === d.podId);
      assert.equal(never.length, 1, `never started in pod ${d.podId}`);
      const stuck = failing(report, 'RUNC_STUCK_INIT').filter((f) => f.subject?.podSandboxId === d.podId);
      assert.equal(stuck.length, 1);
      assert.equal(stuck[0].subject?.podSandboxId, never[0].subject?.podSandboxId, 'the same pod');
      const tree = JSON.parse(ctrdoc(['tree', ...lab.flags, '-o', 'json']).stdout) as { processes: { pid: number; parent: number; role: string; pod?: { sandboxId: string } }[] };
      const init = tree.processes.find((p) => p.role === 'runc-init' && p.pod?.sandboxId === never[0].subject?.podSandboxId);
      assert.ok(init, 'ctrdoc tree shows the parked runc init in that pod');
      assert.equal(tree.processes.find((p) => p.pid === init.parent)?.role, 'shim', 'under its pod\'s shim');
    } finally {
      clear('stuck-init-task');
    }
  });

  test('leaked-runc: a running runc container containerd does not know', () => {
    fault('leaked-runc');
    try {
      const f = failing(doctor().report, 'RUNC_LEAKED_CONTAINER');
      assert.equal(f.length, 1);
      assert.match(f[0].summary, /unknown to containerd/);
      assert.match(f[0].nextStep ?? '', /runc --root \S+ delete --force ctrdoc-fault-/);
    } finally {
      clear('leaked-runc');
    }
  });

  test('busy-shim: its shim is the CPU outlier among its peers', async () => {
    fault('busy-shim');
    try {
      const pod = podOf('busy-shim');
      // the writer needs a moment to get going: a few tries, as a person would look again
      let f: Finding[] = [];
      for (let i = 0; i < 6 && !f.some((x) => x.subject?.podSandboxId === pod.id); i++) {
        if (i) await sleep(1000);
        f = failing(doctor('--no-goroutines').report, 'SHIM_RESOURCE_OUTLIER');
      }
      assert.ok(f.some((x) => x.subject?.podSandboxId === pod.id), f.map((x) => x.summary).join('; ') || 'no outlier found');
    } finally {
      clear('busy-shim');
    }
  });

  test('dead-shim: containerd cleaned up; the pod is left without its shim and the log says why', async () => {
    const d = details(fault('dead-shim'));
    try {
      // containerd logs the disconnect once it has seen the shim go: a bounded wait for the line,
      // in a run whose CRI listing answered (on a loaded machine one can time out: the ids are
      // then said to be not named, and there is no pod to judge)
      const report = await doctorUntil((r) => failing(r, 'CONTAINERD_LOG_SHIM_DISCONNECTED').length > 0
        && r.probes.some((p) => p.probe === 'cri.pods' && p.status === 'ok'));
      assert.equal(failing(report, 'CONTAINERD_LOG_SHIM_DISCONNECTED').length, 1);
      const [shim] = failing(report, 'CONTAINERD_LOG_SHIM_DISCONNECTED');
      // named by the pod whose shim died, not only by ids
      assert.equal(shim.subject?.podSandboxId, d.podId, shim.summary);
      assert.match(shim.summary, /pod ctrdoc-lab\//);
      const pod = criJson(lab.endpoint, 'pods').items.find((p: { id: string }) => p.id === d.podId);
      assert.equal(pod?.state, 'SANDBOX_NOTREADY', 'the pod went NotReady');
    } finally {
      clear('dead-shim');
    }
  });

  test('orphan: containerd down when the shim died; its containers live on under no shim', () => {
    fault('orphan');
    try {
      const { report } = doctor('--timeout', '5s');
      assert.match(failing(report, 'CONTAINERD_PROCESS')[0]?.summary ?? '', /no containerd process/);
      const orphans = failing(report, 'PROC_ORPHAN');
      assert.ok(orphans.length >= 1, 'orphaned container processes found');
      assert.ok(orphans.some((f) => f.subject?.pod), 'named by their pod');
    } finally {
      clear('orphan');
    }
  });

  for (const [variant, rule, expect] of [
    ['wrong-endpoint', 'KUBELET_RUNTIME_ENDPOINT', /endpoint|socket/i],
    ['removed-flag', 'KUBELET_CONTAINER_RUNTIME_FLAG', /container-runtime/],
    ['cgroup-driver', 'KUBELET_CGROUP_DRIVER_MISMATCH', /cgroupDriver systemd/],
  ] as const) {
    test(`kubelet stand-in (${variant}): ${rule}`, () => {
      // this test's own stand-in: other tests run theirs at the same time
      const standIn = details(fault('kubelet', '--variant', variant)).pid as number;
      try {
        const f = failing(doctor('--kubeadm-flags', `${DIR}/kubelet/kubeadm-flags.env`, '--kubelet-pid', String(standIn)).report, rule);
        assert.equal(f.length, 1);
        assert.match(f[0].summary, expect);
        assert.ok(f[0].subject?.pid, 'names the kubelet process');
      } finally {
        clear('kubelet');
      }
    });
  }

  test('--format npd: one short line, exit 0 healthy and 1 with a problem', async () => {
    const healthy = ctrdoc(['doctor', ...lab.flags, '--format', 'npd', '--severity', 'critical']);
    assert.ok(healthy.code === 0 || healthy.code === 1, healthy.stderr);
    assert.equal(healthy.stdout.trim().split('\n').length, 1);
    assert.ok(healthy.stdout.trim().length <= 80);
    fault('stuck-init');
    try {
      // past --stuck-after 1s and parked: a bounded wait until the doctor says so
      await doctorUntil((r) => failing(r, 'RUNC_STUCK_INIT').length > 0);
      const sick = ctrdoc(['doctor', ...lab.flags, '--format', 'npd', '--stuck-after', '1s']);
      assert.equal(sick.code, 1);
      // the worst finding first: earlier tests' log episodes may outrank it, so any rule id
      assert.match(sick.stdout, /^[A-Z][A-Z0-9_]+: \S/);
      assert.ok(sick.stdout.trim().length <= 80);
    } finally {
      clear('stuck-init');
    }
  });
});
});
