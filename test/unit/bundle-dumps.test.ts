// analyze judges every goroutine dump a bundle carries: the seed's real containerd#6772 dump
// (testdata/captures/goroutines/1.6.20-seed6772, taken from the debug socket seconds into the
// deadlock) as goroutines/containerd.txt, with or without the Snapshot's own analysis; one
// finding per kind across dumps, saying in how many it was seen; empty, garbage and huge
// entries do not break it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { withBundleDumps } from '../../src/bundle/dumps.ts';
import { analyzeDump } from '../../src/goroutines/index.ts';
import { goroutineRules } from '../../src/rules/goroutines.ts';
import { evaluate } from '../../src/rules/index.ts';
import { emptySnapshot, ok } from './snapshot-fixture.ts';

const dump = readFileSync(join(import.meta.dirname, '../../testdata/captures/goroutines/1.6.20-seed6772/deadlock-6772/goroutines.txt'));
const failing = (s: Parameters<typeof evaluate>[1]) => evaluate(goroutineRules, s).filter((f) => f.status === 'fail');

test('a bundle whose Snapshot took no dump: its goroutines/containerd.txt is analysed, and the deadlock named', async () => {
  const s = emptySnapshot();
  s.containerd.goroutines = { probe: 'containerd.goroutines', status: 'skipped', durationMs: 0, message: 'nothing looked hung' };
  assert.equal(evaluate(goroutineRules, s)[0].status, 'skipped');
  const out = await withBundleDumps(s, new Map([['goroutines/containerd.txt', dump], ['logs/containerd.log', Buffer.from('x')]]));
  assert.equal(s.containerd.goroutines.status, 'skipped', 'the input is not changed');
  assert.equal(out.containerd.goroutines?.status, 'ok');
  assert.match(out.containerd.goroutines!.message!, /analysed from the bundle's goroutines\/containerd\.txt \(the live run: nothing looked hung\)/);
  assert.equal(out.containerd.goroutines!.data!.dumps[0].source, 'bundle goroutines/containerd.txt');
  const ids = failing(out).map((f) => f.summary);
  assert.ok(ids.some((x) => /containerd#6772/.test(x) && /task creation blocked/.test(x)), ids.join('\n'));
  assert.ok(ids.some((x) => /lock-order inversion/.test(x)), ids.join('\n'));
});

test('the live dump and the bundle\'s: each finding once, the worst, seen in 2 of 2 dumps', async () => {
  const s = emptySnapshot();
  s.containerd.goroutines = ok('containerd.goroutines', analyzeDump(dump));
  const once = failing(s);
  const out = await withBundleDumps(s, new Map([['goroutines/containerd.txt', dump]]));
  assert.equal(out.containerd.goroutines!.data!.dumps.length, 2);
  const twice = failing(out);
  assert.deepEqual(twice.map((f) => f.summary), once.map((f) => f.summary));
  assert.ok(twice.every((f) => f.evidence.some((e) => e === 'seen in 2 of 2 dumps (the live run; bundle goroutines/containerd.txt)')), twice[0].evidence.join('\n'));
});

test('no dump entries, empty, garbage or cut ones: the Snapshot as it was, or a warning, never a throw', async () => {
  const s = emptySnapshot();
  assert.equal(await withBundleDumps(s, new Map()), s);
  assert.equal(await withBundleDumps(s, new Map([['goroutines/containerd.txt', Buffer.alloc(0)]])), s);
  assert.equal(await withBundleDumps(s, new Map([['goroutines/containerd.txt', Buffer.from('not a dump at all\n\x00\xff')]])), s, 'nothing to add');
  const cut = await withBundleDumps(s, new Map([['goroutines/containerd.txt', dump.subarray(0, Math.floor(dump.length / 2))]]));
  assert.equal(cut.containerd.goroutines?.status, 'ok');
  assert.ok(cut.containerd.goroutines!.data!.dumps[0].goroutines > 0);
  const huge = Buffer.concat(Array.from({ length: 200 }, () => dump));
  const big = await withBundleDumps(s, new Map([['goroutines/containerd.txt', huge]]));
  assert.ok(failing(big).some((f) => /containerd#6772/.test(f.summary)));
});
