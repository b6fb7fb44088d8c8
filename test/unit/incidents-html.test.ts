// The HTML report opens with the diagnosis: on the real containerd#6772 capture its first section
// is the incident naming it, with the pods, the proof, the next step and the fix; findings link
// back to their incident; names from the node stay text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { allRules, evaluate } from '../../src/rules/index.ts';
import { buildReport } from '../../src/report/doctor-report.ts';
import { renderHtmlReport } from '../../src/report/html.ts';
import type { Snapshot } from '../../src/snapshot/types/index.ts';

const file = join(import.meta.dirname, '..', '..', 'testdata', 'captures', 'snapshot', 'seed-6772', 'deadlock', 'snapshot.json');
const load = () => JSON.parse(readFileSync(file, 'utf8')) as Snapshot;

test('the HTML report opens with the diagnosis: the deadlock first, its pods, proof, next step and fix', () => {
  const s = load();
  const html = renderHtmlReport(s, buildReport(s, evaluate(allRules, s)));
  const main = html.slice(html.indexOf('<main>'));
  assert.ok(main.indexOf('<h2 id="diagnosis">Diagnosis</h2>') < main.indexOf('<h2>Stack</h2>'), 'diagnosis before everything else');
  const start = main.indexOf('<div class="incident');
  const next = main.indexOf('<div class="incident', start + 1);
  const first = main.slice(start, next > 0 ? next : main.indexOf('<h2>Stack</h2>'));
  assert.match(first, /id="incident-1"/);
  assert.match(first, /badge critical/);
  assert.match(first, /containerd is deadlocked in its cgroup metrics collector \(containerd#6772\)/);
  assert.match(first, /4 pods:<\/b> ctrdoc-lab\/web-6d9f7c5b8-ft7mn/);
  assert.match(first, /<b>Next:<\/b> <code>restart containerd now/);
  assert.match(first, /<b>Fix:<\/b> upgrade containerd to 1\.6\.3 or later/);
  assert.match(first, /<a href="https:\/\/github\.com\/containerd\/containerd\/issues\/6772" rel="noreferrer noopener">containerd#6772<\/a>/);
  // a finding it explains links back to it
  assert.match(main, /RUNC_STUCK_INIT · runc<\/span><a class="tag" href="#incident-1">incident #1<\/a>/);
});

test('a hostile pod name in an incident is shown as text', () => {
  const s = load();
  const evil = '<script>alert(1)</script>';
  const r = buildReport(s, evaluate(allRules, s));
  r.incidents[0] = { ...r.incidents[0], pods: [`ns/${evil}`], proof: [evil], title: evil };
  const html = renderHtmlReport(s, r);
  assert.ok(!html.includes(evil), 'never raw');
  assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
});
