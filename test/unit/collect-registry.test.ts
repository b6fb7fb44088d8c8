// The probe registry and the floors of the house: every probe named once, every need a probe,
// no circle; each command's subset resolves; one tree-fact detector per kind that
// rules/tree-facts.json judges; src/snapshot holds types only and imports no collector.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { PROBES } from '../../src/collect/registry.ts';
import { closureOf } from '../../src/collect/run.ts';
import { DOCTOR_PROBES } from '../../src/collect/collect.ts';
import { DETECTORS } from '../../src/tree/facts/index.ts';
import { treeFactTable } from '../../src/rules/tables.ts';

const ROOT = join(import.meta.dirname, '..', '..');

test('every probe has a unique name, a budget, and needs that are probes', () => {
  const names = PROBES.map((p) => p.name);
  assert.equal(new Set(names).size, names.length, 'unique names');
  for (const p of PROBES) {
    for (const n of p.needs) assert.ok(names.includes(n), `${p.name} needs ${n}`);
    assert.ok(p.budget === 'call' || p.budget > 0, p.name);
    assert.deepEqual(closureOf([p.name]).at(-1), p.name, `${p.name}: its needs come first, no circle`);
  }
});

test('each command\'s subset: tree does not pull the doctor\'s logs, config or kubelet; the doctor reads every layer', () => {
  const tree = closureOf(['tree']);
  for (const n of ['proc', 'stack', 'cri.status', 'runc', 'bundles', 'shims', 'cri.pods', 'cri.containers', 'containerd.tasks', 'cri.containerDetails']) assert.ok(tree.includes(n as never), n);
  for (const n of ['containerd.log', 'kubelet', 'node', 'containerd.config', 'cri.images', 'canary']) assert.ok(!tree.includes(n as never), n);
  const doctor = closureOf(DOCTOR_PROBES);
  assert.deepEqual(PROBES.map((p) => p.name).filter((n) => !doctor.includes(n)), ['canary'], 'the doctor runs every probe but the opt-in canary');
  assert.deepEqual(closureOf(['cri.pods', 'cri.containers']), ['cri.pods', 'cri.containers'], 'core: two list calls');
  assert.throws(() => closureOf(['no.such' as never]), /no probe "no.such"/);
});

test('one detector per tree-fact kind, the same kinds rules/tree-facts.json judges', () => {
  const kinds = DETECTORS.map((d) => d.kind);
  assert.equal(new Set(kinds).size, kinds.length);
  assert.deepEqual([...kinds].sort(), treeFactTable.map((r) => r.fact).sort());
});

function importsOf(dir: string): { file: string; spec: string }[] {
  const out: { file: string; spec: string }[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.ts')) for (const m of readFileSync(p, 'utf8').matchAll(/(?:from|import\()\s*'([^']+)'/g)) out.push({ file: relative(ROOT, p), spec: m[1] });
    }
  };
  walk(dir);
  return out;
}

test('floors: src/snapshot holds the types only; its types import nothing of ours outside them', () => {
  assert.deepEqual(readdirSync(join(ROOT, 'src/snapshot')), ['types']);
  const outside = importsOf(join(ROOT, 'src/snapshot')).filter((i) => i.spec.startsWith('.') && !i.spec.startsWith('./'));
  assert.deepEqual(outside, []);
});

test('floors: sources, tree and goroutines never import the collector, rules, reports or the CLI', () => {
  const up = /^src\/(collect|rules|report|cli|bundle|lab)\//;
  const bad = ['sources', 'tree', 'goroutines'].flatMap((d) => importsOf(join(ROOT, 'src', d)))
    .filter((i) => i.spec.startsWith('.') && up.test(relative(ROOT, join(ROOT, i.file, '..', i.spec))));
  assert.deepEqual(bad, []);
});

test('no import cycles between src/tree\'s modules (build and facts were one)', () => {
  const edges = new Map<string, string[]>();
  for (const i of importsOf(join(ROOT, 'src/tree'))) {
    if (!i.spec.startsWith('.') || i.spec.includes('snapshot/') || i.spec.includes('sources/') || i.spec.includes('ids.ts')) continue;
    const from = i.file;
    const to = relative(ROOT, join(ROOT, from, '..', i.spec));
    edges.set(from, [...(edges.get(from) ?? []), to]);
  }
  const cycle = (start: string): boolean => {
    const seen = new Set<string>();
    const stack = [...(edges.get(start) ?? [])];
    while (stack.length) {
      const n = stack.pop()!;
      if (n === start) return true;
      if (seen.has(n)) continue;
      seen.add(n);
      stack.push(...(edges.get(n) ?? []));
    }
    return false;
  };
  assert.deepEqual([...edges.keys()].filter(cycle), []);
});
