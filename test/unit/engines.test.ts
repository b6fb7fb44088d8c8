// Every dependency ctrdoc installs must run on the Node it supports (package.json engines, Node 20):
// several packages' newest majors need Node 22 (STYLE.md), and a lockfile bump must not slip one in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

type Version = [number, number, number];
const parse = (v: string): Version => {
  const [a = 0, b = 0, c = 0] = v.replace(/^v/, '').split('.').map((x) => (/^\d+$/.test(x) ? Number(x) : 0));
  return [a, b, c];
};
const cmp = (a: Version, b: Version): number => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];

/** Whether `v` satisfies an npm range of the forms engines use: >=, >, <=, <, =, ^, ~, x, ||. */
function satisfies(v: string, range: string): boolean {
  const ver = parse(v);
  return range.replace(/(>=|<=|>|<|=|\^|~)\s+/g, '$1').split('||').some((alt) => alt.trim().split(/\s+/).filter(Boolean).every((c) => {
    const m = /^(>=|<=|>|<|=|\^|~)?\s*v?([\d.x*]+)$/.exec(c);
    if (!m) return c === '*' || c === 'x';
    const [op = '=', raw] = [m[1], m[2]];
    const parts = raw.split('.');
    const r = parse(raw.replace(/[x*]/g, '0'));
    const d = cmp(ver, r);
    if (op === '>=') return d >= 0;
    if (op === '>') return d > 0;
    if (op === '<=') return d <= 0;
    if (op === '<') return d < 0;
    if (op === '^') return d >= 0 && (r[0] > 0 ? ver[0] === r[0] : ver[1] === r[1]);
    if (op === '~' || parts.length < 3 || /[x*]/.test(raw)) return d >= 0 && ver[0] === r[0] && (parts.length < 2 || /[x*]/.test(parts[1]) || ver[1] === r[1]);
    return d === 0;
  }));
}

test('the range reader agrees with npm on the forms engines use', () => {
  assert.ok(satisfies('20.11.0', '>=20'));
  assert.ok(!satisfies('20.11.0', '>=22'));
  assert.ok(satisfies('20.11.0', '^20.9.0 || >=22'));
  assert.ok(!satisfies('20.11.0', '^18 || ^22'));
  assert.ok(satisfies('20.11.0', '>=18.0.0 <21'));
  assert.ok(!satisfies('20.11.0', '>= 20.12'));
  assert.ok(satisfies('20.11.0', '20.x'));
});

test('every direct dependency runs on Node 20.11, the oldest ctrdoc supports', () => {
  const oldest = /^>=(\d+\.\d+(?:\.\d+)?)/.exec(pkg.engines.node)?.[1];
  assert.ok(oldest, `package.json engines.node starts with >=: ${pkg.engines.node}`);
  const bad: string[] = [];
  for (const name of Object.keys({ ...pkg.dependencies, ...pkg.devDependencies })) {
    const dep = JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8'));
    const range = dep.engines?.node;
    if (range && !satisfies(oldest!, range)) bad.push(`${name}@${dep.version} needs node ${range}`);
  }
  assert.deepEqual(bad, []);
});
