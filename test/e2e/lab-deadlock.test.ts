// The seed's own incident, for real: containerd#6772 on the seed build (Debian 12's containerd
// with 1.6.0-1.6.2's lock order restored). `lab fault deadlock-6772` is proven here from outside,
// independently of ctrdoc's own readers: /v1/metrics does not answer, a CRI call that needs a
// Tasks.Create does not return, listings still answer with every pod Ready, and containerd's own
// goroutine dump (debug socket) shows the two stacks of the lock-order inversion. `clear`
// restarts containerd and the running containers survive. On any other version the fault
// refuses (lab-faults.test.ts checks that).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join, dirname } from 'node:path';
import { labUp, labDown } from '../../src/lab/lab.ts';
import { labPaths, criEndpoint } from '../../src/lab/paths.ts';
import { applyFault, clearFault, clearAllFaults } from '../../src/lab/faults/index.ts';
import { readProcess, isAlive, listProcesses } from '../../src/lab/host.ts';
import { readLabRecord } from '../../src/lab/supervisor.ts';
import { sandboxConfig } from '../../src/lab/pods.ts';
import { scrapeMetrics } from '../../src/lab/faults/deadlock.ts';
import { FAULT_LABEL } from '../../src/lab/faults/context.ts';
import { openCri } from '../../src/sources/cri/client.ts';
import { testVersions } from './versions.ts';

const root = process.getuid?.() === 0;

/** GET over the debug socket (unix), raw text: containerd's own pprof goroutine dump. */
function debugGet(sock: string, path: string, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: sock, path, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error(`debug socket: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** The goroutines (blank-line separated) whose stack has every one of the frames, in any order. */
const goroutinesWith = (dump: string, ...frames: string[]) => dump.split(/\n\s*\n/).filter((g) => frames.every((f) => g.includes(f)));

for (const v of testVersions('seed')) {
  describe(`deadlock-6772 on containerd ${v} (the seed build)`, { skip: !root && 'not root: the lab runs containerd' }, () => {
    const dir = root ? join(mkdtempSync('/tmp/ctd-'), 'lab') : '/nonexistent';
    const p = labPaths(dir);
    before(async () => {
      await labUp({ dir, pods: 2, containerd: v });
    });
    after(async () => {
      await clearAllFaults(p).catch(() => {});
      const r = await labDown({ dir });
      assert.deepEqual(r.left, { processes: [], mounts: [], cgroups: [] }, 'down after the deadlock left something');
      rmSync(dirname(dir), { recursive: true, force: true });
    });

    test('set: /v1/metrics hangs, a RunPodSandbox never returns, ListPodSandbox answers with every pod Ready, the dump shows both stacks; clear restarts containerd and the containers survive', async () => {
      const rec = await applyFault(p, 'deadlock-6772', {});
      const d = rec.details as { metricsAddress: string; proof: { tasksCreate: { returned: boolean } } };
      assert.equal(d.proof.tasksCreate.returned, false);
      const cdPid = readLabRecord(p)!.containerd!.pid;

      // a scrape of our own: connected, no answer within 5 s
      const scrape = await scrapeMetrics(d.metricsAddress, 5000);
      assert.equal(scrape.answered, false, `scrape answered: ${JSON.stringify(scrape)}`);
      assert.match(scrape.error ?? '', /no answer within 5000 ms/);

      const cri = openCri(criEndpoint(p), { timeoutMs: 5000 });
      try {
        // the in-memory listing answers, every lab pod Ready: what kubelet's PLEG and crictl see
        const pods = await cri.listPodSandbox({ labelSelector: { app: 'web' } });
        assert.equal(pods.length, 2);
        assert.ok(pods.every((x) => x.state === 'SANDBOX_READY'));
        // a pod of our own: RunPodSandbox needs a Tasks.Create for its pause, and never returns
        const uid = `dl-test-${process.pid}`;
        const sc = sandboxConfig(p, { name: `dl-test-${process.pid}`, namespace: 'ctrdoc-lab', uid, app: 'dl-test', labels: { [FAULT_LABEL]: 'deadlock-6772' } });
        await assert.rejects(cri.runPodSandbox(sc, '', 8000), /no answer within 8s|deadline/i);
      } finally {
        cri.close();
      }

      // containerd's own dump: the victim (task creation) and the culprit (the scrape)
      const dump = await debugGet(p.debugSocket, '/debug/pprof/goroutine?debug=2');
      const victims = goroutinesWith(dump, '(*Namespace).WithConstLabels', '(*Collector).Add', '(*cgroupsMonitor).Monitor', 'tasks.(*local).Create');
      const culprits = goroutinesWith(dump, 'sync.(*RWMutex).RLock', '(*Collector).Collect', '(*Namespace).Collect');
      assert.ok(victims.length >= 1, 'Collector.Add <- Monitor <- tasks.(*local).Create waiting in Namespace.WithConstLabels');
      assert.ok(victims.some((g) => /sync\.\(\*Mutex\)\.Lock|semacquire/.test(g)), 'the victim waits on the namespace mutex');
      assert.ok(culprits.length >= 1, 'Collector.Collect <- Namespace.Collect waiting in RWMutex.RLock');
      // each attempt leaves a runc init parked on its exec.fifo: the seed's "many runc init"
      const parked = listProcesses().filter((x) => x.comm === 'runc:[2:INIT]' && Object.values(x.cgroups).some((c) => c.includes(p.cgroupParent)));
      assert.ok(parked.length >= 1, 'parked runc inits under the lab');

      // clear: containerd restarted, as an SRE would; the running containers keep their pids
      // the lab's running app containers as CRI lists them (its listings answer on a deadlocked
      // containerd), with their pids: the ones the restart must keep (a scan of the lab's cgroup,
      // on a loaded machine, also caught the app shells of pods the fault's attempts had made)
      const listing = openCri(criEndpoint(p), { timeoutMs: 10_000 });
      let before: number[];
      try {
        const web = new Set((await listing.listPodSandbox({ labelSelector: { app: 'web' } })).map((x) => x.id));
        const running = (await listing.listContainers({ state: 'CONTAINER_RUNNING' })).filter((c) => web.has(c.podSandboxId));
        before = await Promise.all(running.map(async (c) => Number((await listing.containerStatus(c.id, true)).info?.pid)));
      } finally {
        listing.close();
      }
      assert.equal(before.length, 2, `the two web pods' app containers: ${before.join(' ')}`);
      assert.ok(before.every((pid) => pid > 0 && readProcess(pid)?.argv.join(' ').includes('app: tick')), 'each a live app process');
      const said: string[] = [];
      await clearFault(p, 'deadlock-6772', (l) => said.push(l));
      assert.notEqual(readLabRecord(p)!.containerd!.pid, cdPid, 'a new containerd');
      assert.equal(isAlive(cdPid), false);
      assert.ok(before.every((pid) => isAlive(pid) && readProcess(pid)!.argv.join(' ').includes('app: tick')), 'the app containers survived the restart');
      // every running container CRI listed (the lab's two, and any the fault's own attempts left running)
      assert.match(said.join('\n'), /(\d+) of \1 running containers survived with their pids/);
      assert.ok(!parked.some((x) => isAlive(x.pid)), 'the parked inits are gone');
      assert.doesNotMatch(readFileSync(p.config, 'utf8'), /address = "127\.0\.0\.1:/, 'the lab\'s config again: no metrics address');
      const after = openCri(criEndpoint(p), { timeoutMs: 5000 });
      try {
        assert.deepEqual((await after.listPodSandbox()).map((x) => x.labels.app).sort(), ['web', 'web'], 'only the lab\'s pods are left');
      } finally {
        after.close();
      }
      // and new pods start again
      const up = await labUp({ dir, pods: 3 });
      assert.equal(up.readyPods, 3);
    });
  });
}
