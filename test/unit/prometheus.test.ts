// The Prometheus exposition of a doctor report: one ctrdoc_finding per failing finding with its
// labels escaped, probe timings, and counts that agree with the report's summary.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderPrometheus, escapeLabel } from '../../src/report/prometheus.ts';
import { buildReport } from '../../src/report/doctor-report.ts';
import { evaluate } from '../../src/rules/rule.ts';
import { containerdRules } from '../../src/rules/containerd.ts';
import { emptySnapshot } from './snapshot-fixture.ts';

test('escapes backslash, quote and newline in label values (hostile names stay one label)', () => {
  assert.equal(escapeLabel('a"b\\c\nd'), 'a\\"b\\\\c\\nd');
});

test('a stopped containerd becomes a ctrdoc_finding with its labels, and the counts agree', () => {
  const s = emptySnapshot();
  s.containerd.process.data!.state = 'T';
  const report = buildReport(s, evaluate(containerdRules, s));
  const text = renderPrometheus(report);
  assert.match(text, /^# TYPE ctrdoc_finding gauge$/m);
  assert.match(text, /^ctrdoc_finding\{rule="CONTAINERD_PROCESS",layer="containerd",severity="critical",pid="100"\} 1$/m);
  assert.match(text, new RegExp(`^ctrdoc_findings\\{severity="critical"\\} ${report.summary.critical}$`, 'm'));
  assert.match(text, /^ctrdoc_probe_seconds\{probe="cri\.version",status="ok"\} 0\.001$/m);
  assert.match(text, /^ctrdoc_rule_status\{rule="CONTAINERD_FDS",layer="containerd",status="pass"\} 1$/m);
  for (const line of text.trim().split('\n')) {
    assert.match(line, /^(# (HELP|TYPE) \w+ .+|\w+(\{[^}]*\})? -?\d+(\.\d+)?)$/, `valid exposition line: ${line}`);
  }
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
