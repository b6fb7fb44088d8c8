// The Prometheus exposition of a doctor report: one ctrdoc_incident series per incident (cause
// and pods as labels, bounded), finding series whose label sets never repeat (node_exporter keeps
// one of two identical series and logs an error on every scrape, and `promtool check metrics`
// does not catch it, so it is checked here), on the real captures; then Debian's promtool
// (package prometheus) checks the exposition and the shipped alerting rules, and runs their tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderPrometheus, escapeLabel, podsLabel } from '../../src/report/prometheus.ts';
import { buildReport } from '../../src/report/doctor-report.ts';
import { evaluate } from '../../src/rules/rule.ts';
import { allRules } from '../../src/rules/index.ts';
import { containerdRules } from '../../src/rules/containerd.ts';
import type { Snapshot } from '../../src/snapshot/types/index.ts';
import { emptySnapshot } from './snapshot-fixture.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const CAPTURES = join(ROOT, 'testdata', 'captures', 'snapshot');
const CAPTURE_NAMES = ['seed-6772/deadlock', '1.6.20/faulted', '1.6.20/stopped-init', '1.6.20/dead-shim', '1.6.20/frozen-containerd'];
const load = (name: string) => JSON.parse(readFileSync(join(CAPTURES, name, 'snapshot.json'), 'utf8')) as Snapshot;
const PROMTOOL = '/usr/bin/promtool';
const noPromtool = existsSync(PROMTOOL) ? false : `${PROMTOOL} is missing (apt-get install -y prometheus; scripts/setup.sh does)`;

/** Every sample line as [name{labels}, value]; comments checked for shape. */
function samples(text: string): [string, string][] {
  const out: [string, string][] = [];
  for (const line of text.trim().split('\n')) {
    if (line.startsWith('#')) {
      assert.match(line, /^# (HELP|TYPE) \w+ .+$/, line);
      continue;
    }
    const m = /^(\w+(?:\{(?:\w+="(?:[^"\\]|\\.)*",?)*\})?) (-?\d+(?:\.\d+)?)$/.exec(line);
    assert.ok(m, `valid exposition line: ${line}`);
    out.push([m[1], m[2]]);
  }
  return out;
}

test('escapes backslash, quote and newline in label values (hostile names stay one label)', () => {
  assert.equal(escapeLabel('a"b\\c\nd'), 'a\\"b\\\\c\\nd');
});

test('a stopped containerd: one incident series naming the cause, a finding series without a pid, counts that agree', () => {
  const s = emptySnapshot();
  s.containerd.process.data!.state = 'T';
  const report = buildReport(s, evaluate(containerdRules, s));
  const text = renderPrometheus(report);
  assert.match(text, /^# TYPE ctrdoc_incident gauge$/m);
  assert.match(text, /^ctrdoc_incident\{incident="CONTAINERD_NOT_SERVING",cause="containerd is not serving \(down, stopped or stuck\)",layer="containerd",severity="critical",certainty="proven"\} 1$/m);
  assert.match(text, /^ctrdoc_incident_pods\{incident="CONTAINERD_NOT_SERVING",severity="critical"\} 0$/m);
  assert.match(text, /^ctrdoc_finding\{rule="CONTAINERD_PROCESS",layer="containerd",severity="critical"\} 1$/m, 'no pid label: pids churn');
  assert.match(text, new RegExp(`^ctrdoc_findings\\{severity="critical"\\} ${report.summary.critical}$`, 'm'));
  assert.match(text, /^ctrdoc_probe_seconds\{probe="cri\.version",status="ok"\} 0\.001$/m);
  assert.match(text, /^ctrdoc_rule_status\{rule="CONTAINERD_FDS",layer="containerd",status="pass"\} 1$/m);
  samples(text);
});

test('on every real capture: no two series share a label set, one incident series per incident, every failing finding counted once', () => {
  for (const name of CAPTURE_NAMES) {
    const report = buildReport(load(name), evaluate(allRules, load(name)));
    const text = renderPrometheus(report);
    const seen = new Set<string>();
    for (const [series] of samples(text)) {
      assert.ok(!seen.has(series), `${name}: ${series} appears twice`);
      seen.add(series);
    }
    const incidents = samples(text).filter(([s]) => s.startsWith('ctrdoc_incident{'));
    assert.equal(incidents.length, report.incidents.length, name);
    const counted = samples(text).filter(([s]) => s.startsWith('ctrdoc_finding{')).reduce((n, [, v]) => n + Number(v), 0);
    assert.equal(counted, report.findings.filter((f) => f.status === 'fail').length, `${name}: the values add up to the failing findings`);
  }
});

test('the real containerd#6772 deadlock: the first incident series names it with its pods; its goroutine findings are four series, not one repeated', () => {
  const report = buildReport(load('seed-6772/deadlock'), evaluate(allRules, load('seed-6772/deadlock')));
  const text = renderPrometheus(report);
  const first = samples(text).find(([s]) => s.startsWith('ctrdoc_incident{'))![0];
  assert.match(first, /incident="CONTAINERD_DEADLOCK_6772"/);
  assert.match(first, /cause="containerd#6772 deadlock in the metrics collector"/);
  assert.match(first, /severity="critical"/);
  assert.match(first, /pods="ctrdoc-lab\/web-6d9f7c5b8-ft7mn,ctrdoc-lab\/web-6d9f7c5b8-hf9mx,ctrdoc-lab\/hung-start-6d9f7c5b8-pvlmk,\+1 more"/);
  const goroutines = samples(text).filter(([s]) => s.startsWith('ctrdoc_finding{rule="CONTAINERD_GOROUTINES"'));
  assert.deepEqual(goroutines.map(([s]) => /signature="([^"]+)"/.exec(s)?.[1]).sort(),
    ['containerd-6772-culprit', 'containerd-6772-victim', 'lock-cycle', 'task-create-waiting']);
});

test('the pods label stays small: at most three names and 200 characters, then a count', () => {
  assert.equal(podsLabel([]), '');
  assert.equal(podsLabel(['a/x']), 'a/x');
  assert.equal(podsLabel(Array.from({ length: 10 }, (_, i) => `ns/p${i}`)), 'ns/p0,ns/p1,ns/p2,+7 more');
  const long = Array.from({ length: 5 }, (_, i) => `ns/${String(i).repeat(120)}`);
  assert.equal(podsLabel(long), `${long[0]},+4 more`);
  assert.equal(podsLabel([`ns/${'x'.repeat(300)}`]), '+1 more', 'a name too long for the label is counted, not cut');
});

test('promtool check metrics accepts the exposition of every capture', { skip: noPromtool }, () => {
  for (const name of CAPTURE_NAMES) {
    const text = renderPrometheus(buildReport(load(name), evaluate(allRules, load(name))));
    const r = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 30_000 });
    // promtool's lint asks for _total/_seconds suffixes on some names; errors are what count
    assert.doesNotMatch(r.stderr, /error/i, `${name}: ${r.stderr}`);
  }
});

test('the shipped alerting rules pass promtool check rules and their unit tests (promtool test rules)', { skip: noPromtool }, () => {
  const check = spawnSync(PROMTOOL, ['check', 'rules', 'deploy/prometheus-rules.yaml'], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
  assert.equal(check.status, 0, check.stdout + check.stderr);
  assert.match(check.stdout, /SUCCESS: 3 rules found/);
  const unit = spawnSync(PROMTOOL, ['test', 'rules', 'prometheus-rules.test.yaml'], { cwd: join(ROOT, 'deploy'), encoding: 'utf8', timeout: 30_000 });
  assert.equal(unit.status, 0, unit.stdout + unit.stderr);
  assert.match(unit.stdout, /SUCCESS/);
});

test('the doctor\'s output redacts secrets that log lines carry into the evidence', async () => {
  const { renderDoctorOutput } = await import('../../src/report/doctor-output.ts');
  const s = emptySnapshot();
  s.containerd.process.data!.state = 'T';
  const report = buildReport(s, evaluate(containerdRules, s));
  const f = report.findings.find((x) => x.status === 'fail')!;
  f.evidence.push('log: level=debug msg="pulling" auth="Authorization: Bearer eyJhbGciOi.secret-token-value"', 'log: --token=abcdef0123456789secret');
  for (const format of ['text', 'json', 'yaml'] as const) {
    const { text } = await renderDoctorOutput(report, format, { threshold: 'warning' });
    assert.doesNotMatch(text, /eyJhbGciOi\.secret-token-value|abcdef0123456789secret/, format);
    assert.match(text, /CONTAINERD_PROCESS/);
  }
});
