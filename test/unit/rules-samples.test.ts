// Every sample of every rule table runs: each hit makes its rule fail with all of its text
// filled (no {variable} left, every text variant used by some hit), each miss leaves it quiet.
// Code and tree-fact rules name cases built in rule-cases.ts; config rules give values of their
// fact; version windows give versions. (Log-table samples run in rules-tables.test.ts, through
// the log scanner.) And the healthy case passes every shipped rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allRules } from '../../src/rules/index.ts';
import { evaluate, outcomeOf, type Rule } from '../../src/rules/rule.ts';
import { SHIPPED_RULE_TABLES } from '../../src/rules/tables.ts';
import type { ConfigEntry, VersionEntry } from '../../src/rules/table.ts';
import type { Condition } from '../../src/rules/conditions.ts';
import type { Finding, Snapshot } from '../../src/snapshot/types/index.ts';
import { CASES, healthy } from './rule-cases.ts';

const rulesOf = (file: string): Rule[] => allRules.filter((r) => r.table === file);
const LEFT_OVER = /\{[A-Za-z][A-Za-z0-9]*\}/;

/** A failing finding a person can act on: text filled, evidence given. */
function assertSaid(f: Finding, where: string): void {
  assert.ok(f.nextStep, `${where}: a next step`);
  assert.ok(f.explanation, `${where}: an explanation`);
  assert.doesNotMatch(f.nextStep!, LEFT_OVER, `${where}: next step has a variable left: ${f.nextStep}`);
  assert.doesNotMatch(f.explanation!, LEFT_OVER, `${where}: explanation has a variable left`);
  assert.ok(f.evidence.length > 0, `${where}: evidence`);
  assert.ok(!f.evidence.some((e) => e.startsWith('ctrdoc could not write')), `${where}: ${f.evidence.join(' | ')}`);
}

function assertHits(rule: Rule, s: Snapshot, where: string): (string | undefined)[] {
  const fails = evaluate([rule], s).filter((f) => f.status === 'fail');
  const all = evaluate([rule], s);
  assert.ok(fails.length > 0, `${where} should fire: ${all.map((f) => `${f.status}: ${f.summary}`).join('; ')}`);
  for (const f of fails) assertSaid(f, where);
  const outcome = outcomeOf(rule, s);
  return 'hits' in outcome ? outcome.hits.map((h) => h.variant) : [];
}

function assertQuiet(rule: Rule, s: Snapshot, where: string): void {
  const fails = evaluate([rule], s).filter((f) => f.status === 'fail');
  assert.deepEqual(fails.map((f) => f.summary), [], `${where} should not fire`);
}

const CASE_TABLES = Object.keys(SHIPPED_RULE_TABLES).filter((f) => !/-log\.json$|containerd-(config|versions)\.json$/.test(f));

for (const file of CASE_TABLES) {
  test(`${file}: every rule's named samples hit and miss, and every text variant is used`, () => {
    const rules = rulesOf(file);
    assert.equal(rules.length, SHIPPED_RULE_TABLES[file].length, 'every entry is a rule');
    for (const rule of rules) {
      const used = new Set<string | undefined>();
      for (const name of rule.samples!.hit as string[]) {
        assert.ok(CASES[name], `${rule.id}: no case named "${name}" in rule-cases.ts`);
        for (const v of assertHits(rule, CASES[name](rule), `${rule.id} on "${name}"`)) used.add(v);
      }
      for (const name of rule.samples!.miss as string[]) {
        assert.ok(CASES[name], `${rule.id}: no case named "${name}" in rule-cases.ts`);
        assertQuiet(rule, CASES[name](rule), `${rule.id} on "${name}"`);
      }
      assert.ok(used.has(undefined), `${rule.id}: no hit sample uses its own next step`);
      for (const v of Object.keys(rule.variants ?? {})) assert.ok(used.has(v), `${rule.id}: no hit sample uses its variant "${v}"`);
    }
  });
}

/** A value that makes a condition hold (for the config a version window requires). */
function holding(c: Condition): unknown {
  return c.op === 'nonEmpty' ? 'set' : c.op === 'oneOf' ? c.value[0] : [c.value[0]];
}

const withFact = (fact: string, value: unknown): Snapshot => {
  const s = healthy();
  const facts = s.containerd.config.data!.facts as Record<string, unknown>;
  if (value === null) delete facts[fact];
  else facts[fact] = value;
  return s;
};

test('rules/containerd-config.json: each value in hit makes its rule fire, each in miss does not', () => {
  for (const rule of rulesOf('rules/containerd-config.json') as (Rule & ConfigEntry)[]) {
    for (const v of rule.samples.hit) assertHits(rule, withFact(rule.fact, v), `${rule.id} with ${rule.fact} = ${JSON.stringify(v)}`);
    for (const v of rule.samples.miss) assertQuiet(rule, withFact(rule.fact, v), `${rule.id} with ${rule.fact} = ${JSON.stringify(v)}`);
  }
});

test('rules/containerd-versions.json: each version in hit is in the window, each in miss is not; a required config fact must hold too', () => {
  for (const rule of rulesOf('rules/containerd-versions.json') as (Rule & VersionEntry)[]) {
    const at = (version: string, required = true) => {
      const s = rule.requires ? withFact(rule.requires.fact, required ? holding(rule.requires.when) : null) : healthy();
      s.containerd.version.data!.version = version;
      return s;
    };
    for (const v of rule.samples.hit as string[]) {
      assertHits(rule, at(v), `${rule.id} on ${v}`);
      if (rule.requires) assertQuiet(rule, at(v, false), `${rule.id} on ${v} without ${rule.requires.fact}`);
    }
    for (const v of rule.samples.miss as string[]) assertQuiet(rule, at(v), `${rule.id} on ${v}`);
  }
});

test('the healthy case passes every shipped rule (the cases start from a node with nothing wrong)', () => {
  const s = healthy();
  const notPass = evaluate(allRules, s).filter((f) => f.status !== 'pass');
  assert.deepEqual(notPass.map((f) => `${f.rule} ${f.status}: ${f.summary}`), []);
});

test('every case is some sample\'s (no case left that no rule names)', () => {
  const named = new Set(Object.values(SHIPPED_RULE_TABLES).flat().flatMap((e) => [...e.samples.hit, ...e.samples.miss]).filter((x) => typeof x === 'string'));
  assert.deepEqual(Object.keys(CASES).filter((c) => !named.has(c)), []);
});
