// `ctrdoc report --html` of a faulted lab, opened in Debian's chromium through playwright-core:
// it renders with no console errors and no network requests, shows the stack, the findings and
// the process tree, and hostile strings from the node (a container whose command line carries a
// <script>) are shown as text, never run. The screenshot is kept under test-output/.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ctrdoc, isRoot, labUp, type TestLab } from './cli-run.ts';
import { forVersions, versionDir } from './versions.ts';
import { openCri } from '../../src/sources/cri/client.ts';
import { labPaths } from '../../src/lab/paths.ts';
import { startLabPod } from '../../src/lab/pods.ts';

const DIR_BASE = '/tmp/b7-eh';
const CHROMIUM = '/usr/bin/chromium';
const OUT = join(import.meta.dirname, '..', '..', 'test-output');
const HOSTILE = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">';

const skipWhy = !isRoot ? 'not root: the lab runs containerd and runc, which need root'
  : !existsSync(CHROMIUM) ? `${CHROMIUM} is missing (apt-get install -y chromium)` : false;

forVersions('suite', (v) => {
const DIR = versionDir(DIR_BASE, v);
describe(`ctrdoc report --html in chromium (containerd ${v})`, { skip: skipWhy }, () => {
  let lab: TestLab;
  let work: string;
  before(async () => {
    lab = labUp(DIR, 2, v);
    work = mkdtempSync(join(tmpdir(), 'b7-html-'));
    mkdirSync(OUT, { recursive: true });
    // hostile input: a container whose command line carries markup and script
    const cri = openCri(lab.endpoint, { timeoutMs: 30_000 });
    try {
      await startLabPod(cri, labPaths(DIR), { app: 'hostile', command: ['sh', '-c', `sleep 3600; : '${HOSTILE}'`] });
    } finally {
      cri.close();
    }
    for (const f of [['stuck-init'], ['kubelet', '--variant', 'cgroup-driver']]) {
      const r = ctrdoc(['lab', 'fault', ...f, '--dir', DIR], { timeoutMs: 60_000 });
      assert.equal(r.code, 0, r.stderr);
    }
  });
  after(() => {
    lab?.down();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  async function open(file: string, shot: string) {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      const consoleErrors: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') consoleErrors.push(m.text()); });
      page.on('pageerror', (e) => consoleErrors.push(String(e)));
      page.on('request', (r) => requests.push(r.url()));
      const url = pathToFileURL(file).href;
      await page.goto(url, { waitUntil: 'load' });
      await page.screenshot({ path: join(OUT, shot), fullPage: shot.includes('bundle') });
      const text = await page.locator('body').innerText();
      const xss = await page.evaluate(() => (window as unknown as { __xss?: number }).__xss);
      const layers = await page.locator('.layer').evaluateAll((els) => els.map((e) => `${e.getAttribute('data-layer')}:${e.className}`));
      // the layer filter works: click containerd, only its findings stay visible
      await page.locator('.layer[data-layer="containerd"]').click();
      const visible = await page.locator('#findings > .finding').evaluateAll((els) => els.filter((e) => (e as HTMLElement).offsetParent !== null).map((e) => e.getAttribute('data-layers')));
      return { consoleErrors, requests: requests.filter((r) => r !== url), text, xss, layers, visible };
    } finally {
      await browser.close();
    }
  }

  test('a live report of a faulted lab: stack, findings, tree; no console errors, no network, hostile text inert', async () => {
    const file = join(work, 'live.html');
    const r = ctrdoc(['report', '--html', '-o', file, ...lab.flags, '--kubelet-config', join(DIR, 'kubelet', 'config.yaml'), '--kubelet-log', join(DIR, 'kubelet', 'kubelet.log')], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    const html = readFileSync(file, 'utf8');
    assert.ok(!html.includes(HOSTILE), 'the hostile string is escaped in the file');
    assert.ok(!/<link|src=["']?https?:|@import|url\(http/i.test(html), 'nothing external referenced');
    const page = await open(file, 'report-html-live.png');
    assert.deepEqual(page.consoleErrors, []);
    assert.deepEqual(page.requests, [], 'no network requests');
    assert.equal(page.xss, undefined, 'the planted script never ran');
    assert.ok(page.text.includes(HOSTILE), 'the hostile command line is shown as text');
    for (const h of ['Stack', 'Findings', 'Process tree', 'Goroutines (containerd)', 'Probe timings']) assert.ok(page.text.includes(h), h);
    assert.deepEqual(page.layers.map((l) => l.split(':')[0]), ['kubelet', 'containerd', 'shim', 'runc', 'node']);
    assert.match(page.text, /CONFIG_DRIFT/);
    assert.match(page.text, /shim/);
    assert.ok(page.visible.length > 0 && page.visible.every((l) => l === 'containerd'), `filtered: ${page.visible.join(',')}`);
  });

  test('the same report from a bundle', async () => {
    const bundle = join(work, 'b.tar.gz');
    const b = ctrdoc(['bundle', '-o', bundle, ...lab.flags], { timeoutMs: 90_000 });
    assert.equal(b.code, 0, b.stderr);
    const file = join(work, 'from.html');
    const r = ctrdoc(['report', '--html', '--from', bundle, '-o', file]);
    assert.equal(r.code, 0, r.stderr);
    const page = await open(file, 'report-html-bundle.png');
    assert.deepEqual(page.consoleErrors, []);
    assert.deepEqual(page.requests, []);
    assert.equal(page.xss, undefined);
    assert.match(page.text, /source: bundle b\.tar\.gz/);
    assert.match(page.text, /CONFIG_DRIFT/);
  });
});
});
