// Every shipped rule table (rules/*.json): parses, is canonical (2-space JSON + newline;
// UPDATE_GOLDEN=1 rewrites it), has unique ids across all tables, valid regexes; and every log
// table entry's samples (its own hit and miss lines) run on a hand-built Snapshot, through
// rulesFromLogTable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SHIPPED_LOG_TABLES, compileLogTable, scanText } from '../../src/sources/logs/index.ts';
import { containerdLogRules, rulesFromLogTable } from '../../src/rules/logs.ts';
import { kubeletLogRules } from '../../src/rules/kubelet.ts';
import { kernelLogRules } from '../../src/rules/node.ts';
import { evaluate, type Rule } from '../../src/rules/rule.ts';
import type { LogScan, Snapshot } from '../../src/snapshot/types/index.ts';
import { emptySnapshot, failed, ok } from './snapshot-fixture.ts';

const RULES = join(import.meta.dirname, '..', '..', 'rules');

test('every rules/*.json parses, is canonical, and ids are unique across all tables', () => {
  const ids = new Map<string, string>();
  const notCanonical: string[] = [];
  const files = readdirSync(RULES).filter((f) => f.endsWith('.json')).sort();
  assert.ok(files.length >= 3);
  for (const f of files) {
    const text = readFileSync(join(RULES, f), 'utf8');
    const doc = JSON.parse(text) as unknown;
    const canonical = JSON.stringify(doc, null, 2) + '\n';
    if (process.env.UPDATE_GOLDEN === '1' && text !== canonical) writeFileSync(join(RULES, f), canonical);
    else if (text !== canonical) notCanonical.push(f);
    // tables hold entries with ids under any top-level key ("rules", "windows", ...)
    const entries = Object.values(doc as Record<string, unknown>).filter(Array.isArray).flat() as { id?: unknown; pattern?: unknown }[];
    for (const e of entries) {
      if (typeof e?.id !== 'string') continue;
      assert.ok(!ids.has(e.id), `${e.id} in ${f} is also in ${ids.get(e.id)}`);
      ids.set(e.id, f);
      if (typeof e.pattern === 'string') assert.doesNotThrow(() => new RegExp(e.pattern as string), `${f}: ${e.id}`);
    }
  }
  for (const [name, load] of Object.entries(SHIPPED_LOG_TABLES)) assert.ok(load().patterns.length > 0, name);
  // the log tables are held to it now; the others are reported until their owners rewrite them
  const logTables = Object.keys(SHIPPED_LOG_TABLES).map((n) => n.replace(/^rules\//, ''));
  assert.deepEqual(notCanonical.filter((f) => logTables.includes(f)), [], 'not canonical (2-space JSON + newline); UPDATE_GOLDEN=1 rewrites it');
});

const othersNotCanonical = readdirSync(RULES).filter((f) => f.endsWith('.json') && !Object.keys(SHIPPED_LOG_TABLES).includes(`rules/${f}`)).filter((f) => {
  const text = readFileSync(join(RULES, f), 'utf8');
  return text !== JSON.stringify(JSON.parse(text), null, 2) + '\n';
});
test('the other rule tables are canonical too', () => {
  assert.deepEqual(othersNotCanonical, [], 'not canonical (2-space JSON + newline); UPDATE_GOLDEN=1 on this test rewrites them');
});

const ALL_LOG_RULES: { rules: Rule[]; table: string; put: (s: Snapshot, scan: LogScan) => void }[] = [
  { rules: containerdLogRules, table: 'rules/containerd-log.json', put: (s, scan) => { s.containerd.log = ok('containerd.log', scan); } },
  { rules: kubeletLogRules, table: 'rules/kubelet-log.json', put: (s, scan) => { s.kubeletLog = ok('kubelet.log', scan); } },
  {
    rules: kernelLogRules, table: 'rules/kernel-log.json',
    put: (s, scan) => { s.node = ok('node', { cpus: 2, loadavg: [0, 0, 0], memTotalKb: 1, memAvailableKb: 1, dStateTasks: [], frozenCgroups: [], notes: [], kernelLog: scan }); },
  },
];

test('every log table entry has a sample line, and each sample hits only where it should', () => {
  for (const { rules, table, put } of ALL_LOG_RULES) {
    const t = SHIPPED_LOG_TABLES[table]();
    for (const rule of rules) {
      // the entry's own samples (rules/*-log.json): a real-format line that must match, and a near-miss that must not
      const samples = rule.samples as { hit: string[]; miss: string[] } | undefined;
      assert.ok(samples?.hit.length && samples.miss.length, `${rule.id} has no sample lines in ${table}`);
      for (const hitLine of samples.hit) {
        const hit = emptySnapshot(); // collected at 2026-11-26T12:00:00Z
        put(hit, scanText(hitLine, t, 'file:/var/log/x.log', { refMs: Date.parse('2026-11-26T12:00:00Z') }));
        const f = evaluate([rule], hit)[0];
        assert.equal(f.status, 'fail', `${rule.id} should hit: ${hitLine}`);
        assert.match(f.evidence.join('\n'), /1 matching line/, rule.id);
        assert.equal(f.subject?.path, '/var/log/x.log');
        assert.ok(f.nextStep && !/\{[A-Za-z]+\}/.test(f.nextStep), `${rule.id}: its next step is filled: ${f.nextStep}`);
      }
      for (const missLine of samples.miss) {
        const miss = emptySnapshot();
        put(miss, scanText(missLine, t, 'file:/var/log/x.log'));
        assert.equal(evaluate([rule], miss)[0].status, 'pass', `${rule.id} should not hit: ${missLine}`);
      }
    }
  }
});

test('a log rule on a failed or skipped probe is "could not check" / skipped, never pass', () => {
  const s = emptySnapshot();
  s.containerd.log = failed('containerd.log', 'timeout', 'read /var/log/containerd.log: no answer within 3s');
  assert.equal(evaluate([containerdLogRules[0]], s)[0].status, 'error');
  s.containerd.log = failed('containerd.log', 'skipped', 'journalctl not found');
  assert.equal(evaluate([containerdLogRules[0]], s)[0].status, 'skipped');
});

test('many episodes: the newest five become hits, the rest are counted', () => {
  const t = compileLogTable({ rules: [{ id: 'T_X', pattern: 'boom', layer: 'node', severity: 'warning', title: 't', explanation: 'e', nextStep: 'n', references: [] }] }, 't.json');
  const lines = Array.from({ length: 8 }, (_, i) => `time="2026-11-26T${String(i + 2).padStart(2, '0')}:00:00Z" boom`).join('\n');
  const [rule] = rulesFromLogTable(t, (s: Snapshot) => s.containerd.log, 'log');
  const s = emptySnapshot();
  s.containerd.log = ok('containerd.log', scanText(lines, t, 'journald:containerd'));
  const f = evaluate([rule], s);
  assert.equal(f.length, 5);
  assert.match(f[0].summary, /2026-11-26T09:00:00.000Z.*3 earlier episode\(s\) not shown/);
  // 09:00 is 3h before 12:00: past, one step lighter
  assert.equal(f[0].severity, 'info');
});
