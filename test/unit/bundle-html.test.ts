// The HTML report as a pure function: hostile strings from the node are escaped everywhere,
// the stack is coloured by each layer's worst finding, nothing external is referenced.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderHtmlReport, layerHealth, stackProcesses } from '../../src/report/html.ts';
import { buildReport } from '../../src/report/doctor-report.ts';
import { psText, treeText, readBounded } from '../../src/bundle/evidence.ts';
import type { Finding, Snapshot } from '../../src/snapshot/types/index.ts';
import type { ProcessInfo } from '../../src/snapshot/types/proc.ts';
import type { ProcessTreeView } from '../../src/snapshot/types/tree.ts';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const EVIL = '<script>alert(1)</script><img src=x onerror=alert(2)>"\'&';

const probe = (name: string, data?: unknown) => ({ probe: name, status: data ? 'ok' : 'skipped', durationMs: 3, ...(data ? { data } : { message: `no ${EVIL}` }) });

function proc(pid: number, ppid: number, comm: string, cmdline: string[], state = 'S'): ProcessInfo {
  return { pid, ppid, pgid: pid, sid: pid, comm, state, starttime: 1, utime: 0, stime: 0, threads: 1, rssKb: 100, vszKb: 1000, kernelThread: false, cmdline, startedAt: '', ageSec: 10, cpuPercent: 0 };
}

function snapshot(tree?: ProcessTreeView): Snapshot {
  const procs = [
    proc(10, 1, 'containerd', ['/usr/bin/containerd']),
    proc(20, 1, 'containerd-shim', ['/usr/bin/containerd-shim-runc-v2', '-namespace', 'k8s.io', '-id', 'a'.repeat(64), '-address', '/run/containerd/containerd.sock']),
    proc(21, 20, 'pause', ['/pause']),
    proc(22, 20, 'sh', ['sh', '-c', EVIL]),
    proc(30, 1, 'containerd-shim', ['/usr/bin/containerd-shim-runc-v2', '-address', '/other/containerd.sock']),
    proc(40, 1, 'bash', ['bash']),
  ];
  return {
    apiVersion: 'ctrdoc/v1alpha1', kind: 'Snapshot', collectedAt: '2026-01-02T03:04:05.000Z', ctrdocVersion: '0.1.0',
    host: { hostname: `node-${EVIL}`, kernel: '6.1.0', cpus: 2 },
    stack: { runtimeEndpoint: 'unix:///run/containerd/containerd.sock', address: '/run/containerd/containerd.sock', namespace: 'k8s.io', runcRoot: '/r', stateDir: '/s', rootDir: '/v', timeoutMs: 2000, sources: {}, notes: [] },
    deadlineMs: 10000, durationMs: 5,
    cri: { version: probe('cri.version'), status: probe('cri.status'), pods: probe('cri.pods'), containers: probe('cri.containers'), containerDetails: probe('cri.containerDetails'), sandboxDetails: probe('cri.sandboxDetails'), images: probe('cri.images') },
    containerd: { process: probe('containerd.process', { pid: 10, state: 'S', uptimeSec: 1, argv: ['containerd'], threads: 1, rssKb: 1 }), version: probe('containerd.version'), tasks: probe('containerd.tasks'), containers: probe('containerd.containers'), plugins: probe('containerd.plugins'), config: probe('containerd.config'), log: probe('containerd.log') },
    proc: probe('proc', { procRoot: '/proc', takenAt: '', bootTime: '', uptimeSec: 1, clockTicks: 100, pageSizeKb: 4, processes: procs, vanished: 0, reused: 0, durationMs: 1 }),
    runc: probe('runc'), bundles: probe('bundles'), tree: tree ? probe('tree', tree) : probe('tree'), kubelet: probe('kubelet'), kubeletLog: probe('kubelet.log'), node: probe('node'),
  } as unknown as Snapshot;
}

const finding = (layer: Finding['layer'], severity: Finding['severity'], status: Finding['status'] = 'fail'): Finding => ({
  rule: `RULE_${layer.toUpperCase()}`, layer, severity, status, title: `title ${EVIL}`, summary: `summary ${EVIL}`,
  subject: { pod: `ns/${EVIL}`, container: EVIL, pid: 22 }, evidence: [`log: ${EVIL}`], explanation: EVIL, nextStep: `crictl ps # ${EVIL}`,
  references: ['https://github.com/containerd/containerd/issues/1', `javascript:alert(1)${EVIL}`],
});

const OUR_TAGS = new Set(['html', 'head', 'meta', 'title', 'style', 'script', 'body', 'header', 'h1', 'h2', 'h3', 'div', 'span', 'main', 'p', 'b', 'code', 'pre', 'a',
  'details', 'summary', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'button', 'input', 'section', 'footer']);
const OUR_HANDLERS = new Set(['onclick="showLayer(this)"', 'onclick="setAll(true)"', 'onclick="setAll(false)"', 'oninput="filterBuckets(this.value)"']);

/** Only our own markup: known tags, our own handlers, one script block, nothing external. */
function assertInert(html: string): void {
  for (const m of html.matchAll(/<([a-zA-Z][\w-]*)([^>]*)>/g)) {
    assert.ok(OUR_TAGS.has(m[1].toLowerCase()), `unexpected element <${m[1]}`);
    for (const h of m[2].matchAll(/\son\w+="[^"]*"/g)) assert.ok(OUR_HANDLERS.has(h[0].trim()), `unexpected handler ${h[0]}`);
  }
  assert.equal(html.match(/<script>/g)?.length, 1, 'only our own script block');
  assert.ok(!html.includes('href="javascript:'), 'no javascript: links');
  assert.ok(!/<link|src=["']?https?:|@import|url\(/i.test(html), 'nothing external');
  assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
}

test('hostile strings from the node are escaped: findings, host, command lines, probe messages', () => {
  const s = snapshot();
  const html = renderHtmlReport(s, buildReport(s, [finding('kubelet', 'critical'), finding('containerd', 'info'), finding('runc', 'warning', 'pass')]));
  assertInert(html);
  assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
  assert.match(html, /Process tree/);
  // the fallback tree: this containerd and its shim's children, not the other containerd's shim
  assert.match(html, /<span class="role shim">shim<\/span>/);
  assert.match(html, /<span class="role pause">pause<\/span>/);
  assert.ok(!html.includes('/other/containerd.sock'));
});

test('the joined tree, when the Snapshot has it, with roles and Kubernetes names', () => {
  const tree = {
    builtAt: '', facts: [{ kind: 'stuck-runc-init', message: `stuck ${EVIL}`, subject: {}, evidence: {} }], shims: [],
    inputs: { proc: true, runc: true, cri: true, tasks: true, bundles: true, shimProbes: true }, thresholds: { stuckInitSec: 60 },
    processes: [
      { pid: 20, ppid: 1, depth: 0, parent: 0, role: 'shim', stat: 'S', cpuPercent: 0, rssKb: 1, threads: 1, ageSec: 1, starttime: 1, comm: 'containerd-shim', command: 'shim' },
      { pid: 22, ppid: 20, depth: 1, parent: 20, role: 'runc-init', stat: 'S', cpuPercent: 0, rssKb: 1, threads: 1, ageSec: 1, starttime: 1, comm: 'runc:[2:INIT]', command: 'runc init',
        pod: { namespace: 'default', name: EVIL, sandboxId: 'x' }, container: { id: 'y', name: EVIL } },
    ],
  } as unknown as ProcessTreeView;
  const s = snapshot(tree);
  const html = renderHtmlReport(s, buildReport(s, []));
  assertInert(html);
  assert.match(html, /<span class="role runc-init">runc-init<\/span>/);
  assert.match(html, /default\/&lt;script&gt;/);
  assert.match(treeText(tree), /runc-init/);
});

test('each layer takes the colour of its worst failing finding; could-not-check is not healthy', () => {
  assert.equal(layerHealth([finding('kubelet', 'info'), finding('kubelet', 'critical')], ['kubelet']), 'critical');
  assert.equal(layerHealth([finding('kubelet', 'critical', 'pass')], ['kubelet']), 'ok');
  assert.equal(layerHealth([finding('kubelet', 'critical', 'error'), finding('kubelet', 'info', 'pass')], ['kubelet']), 'unknown');
  assert.equal(layerHealth([finding('cri', 'warning')], ['cri', 'containerd']), 'warning');
  assert.equal(layerHealth([], ['runc']), 'nodata');
});

test('ps text and the stack-process walk survive loops and vanished parents', () => {
  const loop = [proc(5, 6, 'containerd', ['c']), proc(6, 5, 'containerd-shim', ['s'])];
  assert.ok(stackProcesses(loop).length <= 2);
  assert.match(psText({ processes: [proc(7, 1, 'kworker', [])] } as never), /\[kworker\]/);
});

test('readBounded keeps the tail of a log from a line start, and says what was cut', async () => {
  const d = mkdtempSync(join(tmpdir(), 'b7-ev-'));
  try {
    const f = join(d, 'x.log');
    writeFileSync(f, Array.from({ length: 1000 }, (_, i) => `line ${i}`).join('\n') + '\n');
    const r = await readBounded(f, 100, 'tail');
    assert.match(r.content.toString(), /^line \d+\n/);
    assert.match(r.content.toString(), /line 999\n$/);
    assert.equal(r.cut?.kept, 'tail');
    assert.equal(r.cut?.originalBytes, 8890);
    const h = await readBounded(f, 1 << 20, 'head');
    assert.equal(h.cut, undefined);
    await assert.rejects(readBounded(d, 10, 'head'), /not a regular file/);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});
