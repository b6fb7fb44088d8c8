// `--shim X` resolves a pid, a shim id (prefix), a container id (via its bundle) or a pod name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { whichShim } from '../../src/sources/shim/which.ts';

const SB1 = 'aaaa1111'.padEnd(64, '1');
const SB2 = 'aaaa2222'.padEnd(64, '2');
const C1 = 'cccc3333'.padEnd(64, '3');
const lookup = {
  shims: [{ pid: 100, id: SB1 }, { pid: 200, id: SB2 }],
  bundles: [{ id: SB1, sandboxId: SB1 }, { id: C1, sandboxId: SB2 }, { id: 'dddd'.padEnd(64, '4'), sandboxId: 'e'.repeat(64) }],
  pods: [{ id: SB1, name: 'web-0', namespace: 'prod' }, { id: SB2, name: 'db-0', namespace: 'prod' }, { id: 'x'.repeat(64), name: 'web-0', namespace: 'dev' }],
};

test('a pid, a shim id prefix, a container id, a pod name', () => {
  assert.deepEqual(whichShim('4242', lookup), { pid: 4242, why: 'pid' });
  assert.equal((whichShim('aaaa1', lookup) as { pid: number }).pid, 100);
  assert.equal((whichShim('cccc33', lookup) as { pid: number }).pid, 200, 'the container\'s sandbox shim');
  assert.equal((whichShim('db-0', lookup) as { pid: number }).pid, 200);
  assert.equal((whichShim('prod/web-0', lookup) as { pid: number }).pid, 100);
});

test('ambiguous or unknown targets are errors that list the candidates', () => {
  const a = whichShim('aaaa', lookup) as { error: string; candidates: string[] };
  assert.match(a.error, /start of 2 shims' ids/);
  assert.equal(a.candidates.length, 2);
  assert.match((whichShim('web-0', lookup) as { error: string }).error, /2 pods are named "web-0"/);
  assert.match((whichShim('nothing', lookup) as { error: string }).error, /no shim, container or pod matches/);
  assert.match((whichShim('dddd', lookup) as { error: string }).error, /its shim is gone/);
});
