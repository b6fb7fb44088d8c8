// The fleet path with the real parts, on a lab of this file's own: Debian 12's node_exporter 1.5
// (prometheus-node-exporter) reads `ctrdoc doctor -o prometheus` through its textfile collector
// and serves every series, with no error in its log; Debian 12's Prometheus 2.42 (prometheus)
// scrapes `ctrdoc serve` and, with the alerting rules shipped in deploy/, fires an alert naming
// the incident's cause and pod when a lab fault is set, and resolves it when the fault is cleared.
// Each daemon is this test's child on a free loopback port, stopped by its pid. kubelet cannot
// run here: the lab's kubelet stand-in (a process with kubelet's flags and a klog-format log)
// gives the kubelet log episodes, as the lab says.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, ctrdoc, isRoot, labUp, type TestLab } from './cli-run.ts';

const DIR = '/tmp/ctrdoc-e2e-fleet';
const ROOT = join(import.meta.dirname, '..', '..');
const NODE_EXPORTER = '/usr/bin/prometheus-node-exporter';
const PROMETHEUS = '/usr/bin/prometheus';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const skipWhy = !isRoot ? 'not root: the lab runs containerd and runc, which need root'
  : !existsSync(NODE_EXPORTER) || !existsSync(PROMETHEUS) ? `${NODE_EXPORTER} or ${PROMETHEUS} is missing (apt-get install -y prometheus prometheus-node-exporter; scripts/setup.sh does)` : false;

/** A loopback port nobody listens on now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer().once('error', reject).listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

interface Daemon {
  child: ChildProcess;
  log: () => string;
  stop: () => Promise<void>;
}

/** Starts a daemon as our child; its stdout and stderr are kept; stop() sends SIGTERM to its pid, then SIGKILL. */
function startDaemon(bin: string, args: string[]): Daemon {
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (b) => (log += b));
  child.stderr!.on('data', (b) => (log += b));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    child,
    log: () => log,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      process.kill(child.pid!, 'SIGTERM');
      const t = setTimeout(() => child.exitCode === null && process.kill(child.pid!, 'SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    },
  };
}

async function get(url: string): Promise<{ status: number; text: string }> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(5000) });
    return { status: r.status, text: await r.text() };
  } catch (err) {
    return { status: 0, text: String(err) };
  }
}

/** Polls until `check` returns a value (or the deadline passes: then the last reason fails the test). */
async function until<T>(what: string, ms: number, check: () => Promise<T | string>): Promise<T> {
  const end = Date.now() + ms;
  let last: T | string = '';
  while (Date.now() < end) {
    last = await check();
    if (typeof last !== 'string') return last;
    await sleep(500);
  }
  throw new Error(`${what} within ${ms / 1000}s: ${last}`);
}

/**
 * The samples of an exposition as `name{labels sorted} value`, comments left out, the way
 * Prometheus reads them: node_exporter serves the same series with its labels in its own order,
 * a label a sample lacks as "" (Prometheus' own meaning of a missing label), and values in Go's
 * float format (1.18 for 1.180).
 */
function samples(text: string): string[] {
  return text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => {
    const m = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(l);
    assert.ok(m, `an exposition line: ${l}`);
    const labels = [...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].filter((x) => x[2] !== '').map((x) => `${x[1]}="${x[2]}"`).sort();
    return `${m[1]}{${labels.join(',')}} ${Number(m[3])}`;
  });
}

interface Alert { labels: Record<string, string>; annotations: Record<string, string>; state: string }

describe('the fleet path: node_exporter and Prometheus (Debian 12 packages) with ctrdoc', { skip: skipWhy }, () => {
  let lab: TestLab;
  let work: string;
  const started = Date.now();
  before(() => {
    lab = labUp(DIR, 2);
    work = mkdtempSync(join(tmpdir(), 'ctrdoc-fleet-'));
  });
  after(() => {
    lab?.down();
    if (work) rmSync(work, { recursive: true, force: true });
    process.stderr.write(`fleet e2e: ${((Date.now() - started) / 1000).toFixed(1)}s wall, lab included\n`);
  });

  const fault = (...args: string[]) => {
    const r = ctrdoc(['lab', 'fault', ...args, '--dir', DIR], { timeoutMs: 120_000 });
    assert.equal(r.code, 0, `lab fault ${args.join(' ')}: ${r.stderr}`);
    const rest = r.stdout.slice(r.stdout.indexOf('\n') + 1).trim();
    return (rest.startsWith('{') ? JSON.parse(rest) : {}) as Record<string, unknown>;
  };

  test('node_exporter\'s textfile collector serves every series of `ctrdoc doctor -o prometheus`, with no error in its log', async () => {
    // findings that repeat: three DeadlineExceeded episodes in the stand-in's log, two leaked runc
    // containers (one a stuck init): each was a duplicate series before, which node_exporter drops
    fault('kubelet', '--variant', 'cgroup-driver');
    fault('stuck-init');
    fault('leaked-runc');
    const d = ctrdoc(['doctor', ...lab.flags, '--kubelet-log', `${DIR}/kubelet/kubelet.log`, '--kubeadm-flags', `${DIR}/kubelet/kubeadm-flags.env`,
      '--stuck-after', '1s', '--timeout', '30s', '-o', 'prometheus'], { timeoutMs: 90_000 });
    assert.ok(d.code === 0 || d.code === 1, `doctor exit ${d.code}: ${d.stderr}`);
    const ours = samples(d.stdout);
    assert.equal(new Set(ours.map((l) => l.replace(/ \S+$/, ''))).size, ours.length, 'no two series share a label set');
    assert.ok(ours.some((l) => /^ctrdoc_finding\{[^}]*rule="KUBELET_LOG_RUNTIME_DEADLINE_EXCEEDED"[^}]*\} 3$/.test(l)), `the three episodes are one series counting 3: ${ours.filter((l) => l.includes('KUBELET_LOG')).join(' | ')}`);
    assert.ok(ours.some((l) => l.startsWith('ctrdoc_incident{')), 'incident series');
    // as node_exporter's docs ask: write aside, then rename into the directory it reads
    const textDir = join(work, 'textfile');
    mkdirSync(textDir);
    writeFileSync(join(work, 'ctrdoc.prom.tmp'), d.stdout);
    renameSync(join(work, 'ctrdoc.prom.tmp'), join(textDir, 'ctrdoc.prom'));

    const port = await freePort();
    const ne = startDaemon(NODE_EXPORTER, [`--web.listen-address=127.0.0.1:${port}`, '--collector.disable-defaults', '--collector.textfile',
      `--collector.textfile.directory=${textDir}`]);
    try {
      // node_exporter reads the directory on every scrape: scrape twice, and its log must stay clean
      const served = await until('node_exporter serving', 20_000, async () => {
        const r = await get(`http://127.0.0.1:${port}/metrics`);
        return r.status === 200 ? { text: r.text } : `status ${r.status}: ${r.text.slice(0, 200)} ${ne.log().slice(-300)}`;
      });
      const again = (await get(`http://127.0.0.1:${port}/metrics`)).text;
      const lines = new Set(samples(again));
      const missing = ours.filter((l) => !lines.has(l));
      assert.deepEqual(missing, [], 'every series of the file, with its value');
      assert.match(served.text, /^node_textfile_scrape_error 0$/m);
      // its one warning says it runs as root (the test does); anything else is about the file
      const complaints = ne.log().split('\n').filter((l) => /level=(error|warn)|was collected before/i.test(l) && !/running as root/.test(l));
      assert.deepEqual(complaints, [], ne.log());
    } finally {
      await ne.stop();
    }
    fault('clear', '--all');
  });

  test('Prometheus scrapes `ctrdoc serve`; the shipped alert fires naming the cause and the pod when a pod is frozen, and resolves when it thaws', async () => {
    const servePort = await freePort();
    const promPort = await freePort();
    const serve = startDaemon(process.execPath, [CLI, 'serve', '--listen', `127.0.0.1:${servePort}`, '--interval', '1s', ...lab.flags, '--timeout', '8s']);
    // the shipped rules, with `for: 2m` made 1s so the test waits seconds, not minutes; nothing else changed
    const shipped = readFileSync(join(ROOT, 'deploy', 'prometheus-rules.yaml'), 'utf8');
    assert.equal(shipped.match(/^ {8}for: 2m$/gm)?.length, 1, 'the critical alert waits 2m');
    writeFileSync(join(work, 'rules.yaml'), shipped.replace(/^( {8}for:) 2m$/m, '$1 1s'));
    writeFileSync(join(work, 'prometheus.yml'), [
      'global: { scrape_interval: 1s, evaluation_interval: 1s }',
      `rule_files: ['${join(work, 'rules.yaml')}']`,
      'scrape_configs:',
      `  - { job_name: ctrdoc, static_configs: [ { targets: ['127.0.0.1:${servePort}'] } ] }`,
      '',
    ].join('\n'));
    const prom = startDaemon(PROMETHEUS, [`--config.file=${join(work, 'prometheus.yml')}`, `--storage.tsdb.path=${join(work, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${promPort}`]);
    const alerts = async (): Promise<Alert[]> => {
      const r = await get(`http://127.0.0.1:${promPort}/api/v1/alerts`);
      return r.status === 200 ? (JSON.parse(r.text).data.alerts as Alert[]) : [];
    };
    // frozen cgroups are found machine-wide: another test's lab may have one too, but only this
    // lab's pods have names here (serve's tree holds this lab's processes), so the alert judged is
    // the one that names a pod of ours
    const namesPod = (x: Alert, pod: RegExp) => pod.test(x.annotations.pods ?? '');
    const frozenAlert = (a: Alert[], pod: RegExp) => a.find((x) => x.labels.alertname === 'CtrdocCriticalIncident' && x.labels.incident === 'POD_FROZEN' && namesPod(x, pod));
    try {
      await until('Prometheus up, scraping ctrdoc serve', 60_000, async () => {
        const r = await get(`http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent('ctrdoc_last_run_timestamp_seconds{job="ctrdoc"}')}`);
        return r.status === 200 && JSON.parse(r.text).data.result.length ? true : `query: ${r.status} ${r.text.slice(0, 200)} | prometheus: ${prom.log().slice(-300)} | serve: ${serve.log().slice(-300)}`;
      });
      assert.equal(frozenAlert(await alerts(), /ctrdoc-lab\//), undefined, 'no pod of ours frozen before the fault');

      const d = fault('frozen-pod');
      const pod = String(d.pod);
      assert.match(pod, /^ctrdoc-lab\/web-/);
      const ours = new RegExp(`(^|,)${pod.replace(/[/.]/g, '\\$&')}(,|$)`);
      const fired = await until('the alert firing', 90_000, async () => {
        const a = frozenAlert(await alerts(), ours);
        return a?.state === 'firing' ? a : `alert: ${JSON.stringify(a) ?? 'none'}`;
      });
      assert.equal(fired.labels.cause, 'a container\'s cgroup is frozen');
      assert.equal(fired.labels.layer, 'node');
      assert.equal(fired.labels.severity, 'critical');
      assert.match(fired.labels.instance, new RegExp(`^127\\.0\\.0\\.1:${servePort}$`));
      assert.match(fired.annotations.summary, /^a container's cgroup is frozen on 127\.0\.0\.1:/);

      fault('clear', 'frozen-pod');
      const after = await until('the alert resolved', 90_000, async () => {
        const all = await alerts();
        const a = frozenAlert(all, ours);
        return a ? `still ${a.state}` : all;
      });
      // on a machine of its own the alert is gone; another lab's frozen cgroup keeps it, naming no pod of ours
      const still = after.find((x) => x.labels.incident === 'POD_FROZEN');
      process.stderr.write(`fleet e2e: after the thaw the POD_FROZEN alert is ${still ? `still there for another lab (pods: ${still.annotations.pods})` : 'resolved'}\n`);
      assert.doesNotMatch(prom.log(), /level=error/, prom.log().slice(-2000));
    } finally {
      await prom.stop();
      await serve.stop();
    }
  });
});
