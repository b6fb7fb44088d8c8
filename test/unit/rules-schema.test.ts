// The rule tables' schema and the one template filler: a bad table is an error naming the file,
// the rule and the field, found when the table loads; a {variable} is filled from the finding,
// the stack or its fallback, and one that cannot be filled never reaches a user as text. And no
// rule text is left in src/rules/*.ts: it all lives in rules/*.json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { readRuleTable, TableProblem, type TableKind } from '../../src/rules/table.ts';
import { CATALOGUE, fillTemplate, loadCatalogue, placeholdersIn, UnfilledVariable } from '../../src/rules/template.ts';
import { STACK_VARIABLES } from '../../src/rules/stack-variables.ts';
import { defineRules, evaluate, type Rule } from '../../src/rules/rule.ts';
import { conditionHolds, inRange, parseVersion, rangeText } from '../../src/rules/conditions.ts';
import { allRules } from '../../src/rules/index.ts';
import { emptySnapshot } from './snapshot-fixture.ts';

const SRC_RULES = join(import.meta.dirname, '..', '..', 'src', 'rules');

const entry = (over: Record<string, unknown> = {}) => ({
  id: 'X_RULE', layer: 'runc', severity: 'warning', title: 'A thing', explanation: 'Why it matters.', nextStep: 'kill -CONT {pid}',
  variables: ['pid'], references: ['https://github.com/opencontainers/runc/issues/3448'], samples: { hit: ['a case'], miss: ['healthy'] }, ...over,
});
const table = (...entries: object[]) => ({ rules: entries });

/** The error a bad table gives: it names the file, the rule and the field. */
function rejects(raw: unknown, kind: TableKind, message: RegExp, file = 'rules/test.json'): void {
  assert.throws(() => readRuleTable(file, raw, kind), (e: Error) => {
    assert.ok(e instanceof TableProblem, `a TableProblem, not ${e.constructor.name}: ${e.message}`);
    assert.match(e.message, message);
    assert.ok(e.message.startsWith(`${file}: `), e.message);
    return true;
  });
}

test('a good entry loads, typed, with its file', () => {
  const [e] = readRuleTable('rules/test.json', table(entry()), 'code');
  assert.equal(e.id, 'X_RULE');
  assert.equal(e.table, 'rules/test.json');
  assert.deepEqual(e.variables, ['pid']);
});

test('bad tables: each problem names the file, the rule and the field', () => {
  rejects({ windows: [] }, 'code', /the file: a rule table is \{"rules": \[entries\]\}/);
  rejects(table(entry(), entry()), 'code', /rule X_RULE: field "id": duplicate id/);
  rejects(table(entry({ id: 'lower' })), 'code', /entry 0: field "id": must be UPPER_SNAKE/);
  rejects(table(entry({ layer: 'kernel' })), 'code', /rule X_RULE: field "layer": must be one of kubelet, cri, containerd, shim, runc, node/);
  rejects(table(entry({ severity: 'fatal' })), 'code', /rule X_RULE: field "severity"/);
  rejects(table(entry({ explanation: ' ' })), 'code', /rule X_RULE: field "explanation": must be non-empty text/);
  rejects(table(entry({ references: ['github.com/x'] })), 'code', /field "references": "github.com\/x" is not an https link/);
  rejects(table(entry({ nextStep: 'kill {pdi}' })), 'code', /rule X_RULE: field "nextStep": uses \{pdi\}, which is not declared in "variables"/);
  rejects(table(entry({ variables: ['pid', 'shimPid'] })), 'code', /field "variables": declares \{shimPid\} but no text uses it/);
  rejects(table(entry({ nextStep: 'x {nope}', variables: ['nope'] })), 'code', /field "variables": \{nope\} is not in rules\/variables\.json/);
  rejects(table(entry({ title: 'A {pid}' })), 'code', /field "title": a title says what the rule is/);
  rejects(table(entry({ samples: { hit: [] , miss: ['healthy'] } })), 'code', /field "samples\.hit": needs at least one sample/);
  rejects(table(entry({ samples: undefined })), 'code', /field "samples": must be/);
  rejects(table(entry({ colour: 'red' })), 'code', /field "colour": unknown field/);
  rejects(table(entry({ variants: { stopped: { nextStep: 'x {shimPid}' } } })), 'code', /field "variants\.stopped\.nextStep": uses \{shimPid\}/);
  rejects(table(entry({ variants: { stopped: { hint: 'x' } } })), 'code', /field "variants\.stopped": unknown field "hint"/);
  rejects(table(entry({ fact: 'metricsAddress', when: 'nonempty' })), 'config', /rule X_RULE: field "when": must be \{"op": \.\.\., "value": \.\.\.\}/);
  rejects(table(entry({ fact: 'debugLevel', when: { op: 'oneOf:debug,trace' } })), 'config', /field "when": op must be one of nonEmpty, oneOf, contains/);
  rejects(table(entry({ fact: 'debugLevel', when: { op: 'oneOf', value: [] } })), 'config', /field "when": oneOf needs a non-empty list/);
  rejects(table(entry({ affected: [{ introduced: '1.6.3', fixed: '1.6.0' }] })), 'version', /field "affected\[0\]": fixed must come after introduced/);
  rejects(table(entry({ affected: [{ introduced: 'one' }] })), 'version', /field "affected\[0\]": introduced must be a version/);
  rejects(table(entry({ affected: [{ introduced: '1.6.0' }], requires: { fact: 'metricsAddress', when: { op: 'set' } } })), 'version', /field "requires\.when": op must be/);
  assert.throws(() => readRuleTable('rules/t.json', table(entry({ fact: 'no-such-fact' })), 'tree-fact', { factKinds: ['zombie'] }), /field "fact": must be one of zombie/);
});

test('a table entry and its predicate: each needs the other, and the params the predicate reads', () => {
  const entries = readRuleTable('rules/test.json', table(entry({ params: { atLeast: 3, pattern: '(' } })), 'code');
  const check = () => ({ hits: [] });
  assert.throws(() => defineRules(entries, []), /rules\/test\.json: rule X_RULE: has no predicate in src\/rules/);
  assert.throws(() => defineRules(entries, [{ id: 'X_RULE', check }, { id: 'Y_RULE', check }]), /rule Y_RULE: has a predicate in src\/rules but no entry/);
  assert.throws(() => defineRules(entries, [{ id: 'X_RULE', params: { atLeast: 'number' }, check }]), /field "params\.pattern": its predicate reads no such param/);
  assert.throws(() => defineRules(entries, [{ id: 'X_RULE', params: { atLeast: 'number', pattern: 'pattern' }, check }]), /field "params\.pattern": invalid regular expression/);
  assert.throws(() => defineRules(entries, [{ id: 'X_RULE', params: { atLeast: 'pattern', pattern: 'number' }, check }]), /field "params\.atLeast": must be a regular expression/);
  const missing = readRuleTable('rules/test.json', table(entry()), 'code');
  assert.throws(() => defineRules(missing, [{ id: 'X_RULE', params: { atLeast: 'number' }, check }]), /field "params\.atLeast": must be a number/);
});

test('the variable catalogue: every stack variable has a value on the node or a fallback; bad catalogues are refused', () => {
  for (const [name, v] of Object.entries(CATALOGUE)) {
    if (v.from === 'stack') assert.ok(STACK_VARIABLES[name] || v.firstKnown || v.whenUnknown, `${name}: no getter and no fallback`);
  }
  for (const name of Object.keys(STACK_VARIABLES)) assert.equal(CATALOGUE[name]?.from, 'stack', `${name} is in rules/variables.json as a stack variable`);
  assert.throws(() => loadCatalogue({ variables: { a: { from: 'hit', about: 'x', whenUnknown: '{b}' } } }), /rules\/variables\.json: variable "a": its fallback uses \{b\}/);
  assert.throws(() => loadCatalogue({ variables: { a: { from: 'elsewhere', about: 'x' } } }), /variable "a": field "from"/);
  assert.throws(() => loadCatalogue({}), /rules\/variables\.json: expected/);
  assert.throws(() => loadCatalogue({ variables: { a: { from: 'stack', about: 'x', firstKnown: 'one text' } } }), /variable "a": firstKnown is a list of texts/);
});

test('fillTemplate: values, fallbacks, the first alternative that can be said; an unfilled variable throws', () => {
  assert.equal(fillTemplate('kill -CONT {pid}', { pid: 42 }), 'kill -CONT 42');
  assert.equal(fillTemplate('ctrdoc goroutines --pid {containerdPid} --signal', {}), 'ctrdoc goroutines --pid $(pidof containerd) --signal');
  assert.equal(fillTemplate('{dumpContainerdGoroutines}', { debugAddress: '/run/d.sock', containerdPid: 7 }), 'ctrdoc goroutines --address /run/d.sock');
  assert.equal(fillTemplate('{dumpContainerdGoroutines}', { debugAddress: '', containerdPid: 7 }), 'ctrdoc goroutines --pid 7 --signal');
  assert.equal(fillTemplate('ctrdoc tree --pod {podName}', { podId: 'abcdef0123456' }), 'ctrdoc tree --pod abcdef0123456');
  assert.equal(fillTemplate('{readLog} | ctrdoc goroutines -', { logUnit: 'containerd' }), 'journalctl -u containerd --no-pager | ctrdoc goroutines -');
  // not placeholders: xargs' {} and shell's ${x}
  assert.equal(fillTemplate('xargs -I{} ps -p {} ; echo ${HOME}', {}), 'xargs -I{} ps -p {} ; echo ${HOME}');
  assert.throws(() => fillTemplate('kill -CONT {pid}', {}), (e: Error) => e instanceof UnfilledVariable && /\{pid\} has no value/.test(e.message));
  assert.throws(() => fillTemplate('kill -CONT {pid}', { pid: '' }), UnfilledVariable);
  fc.assert(fc.property(fc.string({ maxLength: 80 }).filter((t) => !placeholdersIn(t).length), (t) => { assert.equal(fillTemplate(t, {}), t); }), { numRuns: 300 });
  fc.assert(fc.property(fc.integer({ min: 1, max: 4_194_304 }), (pid) => { assert.equal(fillTemplate('cat /proc/{pid}/stack /proc/{pid}/wchan', { pid }), `cat /proc/${pid}/stack /proc/${pid}/wchan`); }));
});

test('a hit without a value its text needs keeps its finding, says so, and shows no {variable}', () => {
  const rule: Rule = { id: 'X_RULE', layer: 'runc', severity: 'warning', title: 't', explanation: 'e', nextStep: 'kill -CONT {pid}', references: [], check: () => ({ hits: [{ summary: 'x', evidence: ['e1'] }] }) };
  const [f] = evaluate([rule], emptySnapshot());
  assert.equal(f.status, 'fail');
  assert.equal(f.nextStep, undefined);
  assert.match(f.evidence.join('\n'), /ctrdoc could not write the next step of X_RULE: \{pid\} has no value/);
  const unknownVariant: Rule = { ...rule, check: () => ({ hits: [{ summary: 'x', evidence: [], variant: 'nope', vars: { pid: 1 } }] }) };
  assert.match(evaluate([unknownVariant], emptySnapshot())[0].summary, /rule failed: the hit asks for text variant "nope"/);
});

test('conditions and version ranges', () => {
  assert.ok(conditionHolds({ op: 'nonEmpty' }, 'x'));
  assert.ok(!conditionHolds({ op: 'nonEmpty' }, ''));
  assert.ok(!conditionHolds({ op: 'nonEmpty' }, []));
  assert.ok(conditionHolds({ op: 'oneOf', value: ['debug', 'trace'] }, 'trace'));
  assert.ok(!conditionHolds({ op: 'oneOf', value: ['debug'] }, ['debug']));
  assert.ok(conditionHolds({ op: 'contains', value: ['cri'] }, ['aufs', 'cri']));
  assert.ok(!conditionHolds({ op: 'contains', value: ['cri'] }, 'cri'));
  const r = { introduced: '1.6.0', fixed: '1.6.3' };
  assert.deepEqual(['1.5.9', '1.6.0', 'v1.6.2', '1.6.3', '2.0.0'].map((v) => inRange(parseVersion(v)!, r)), [false, true, true, false, false]);
  assert.ok(inRange(parseVersion('1.7.5')!, { introduced: '1.7.0', lastAffected: '1.7.5' }));
  assert.deepEqual([rangeText(r), rangeText({ introduced: '1.6.3', fixed: '1.7.0' }), rangeText({ introduced: '1.7.0', fixed: '2.0.0' }), rangeText({ introduced: '2.0.0' })], ['1.6.0-1.6.2', '1.6.3-1.6.x', '1.7.0-1.x', '2.0.0 and later']);
});

test('no rule text is left in src/rules/*.ts: titles, explanations and next steps are in rules/*.json', () => {
  const offenders: string[] = [];
  for (const f of readdirSync(SRC_RULES).filter((x) => x.endsWith('.ts'))) {
    const text = readFileSync(join(SRC_RULES, f), 'utf8');
    text.split('\n').forEach((line, i) => {
      if (/\b(title|explanation|nextStep)\s*:\s*['"`]/.test(line) || /\.nextStep\.replace/.test(line)) offenders.push(`${f}:${i + 1}: ${line.trim().slice(0, 100)}`);
    });
  }
  assert.deepEqual(offenders, []);
});

test('every shipped rule comes from a table, and its text is the table\'s', () => {
  assert.deepEqual(allRules.filter((r) => !r.table).map((r) => r.id), []);
  assert.deepEqual(allRules.filter((r) => !r.samples).map((r) => r.id), []);
});
