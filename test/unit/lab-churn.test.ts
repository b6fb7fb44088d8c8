// `ctrdoc lab churn`'s parts that need no lab: its --rate, its report, what it refuses, and the
// list of what the lab lacks by design (the churn itself runs in test/e2e/churn.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { CHURN_NOT_JUDGED, MAX_CHURN_RATE, churnReport, notJudged, parseChurnRate, runChurn, type ChurnResult } from '../../src/lab/churn.ts';
import { labPaths } from '../../src/lab/paths.ts';
import { CtrdocError } from '../../src/errors.ts';
import type { Finding } from '../../src/snapshot/types/index.ts';

test('--rate: pods a second, more than 0 and at most the cap; anything else is a clear error', () => {
  assert.equal(parseChurnRate(undefined), 1);
  assert.equal(parseChurnRate('0.5'), 0.5);
  assert.equal(parseChurnRate(' 2/s '), 2);
  assert.equal(parseChurnRate(String(MAX_CHURN_RATE)), MAX_CHURN_RATE);
  for (const bad of ['', ' ', '0', '-1', '6', 'fast', '1e9', 'NaN', 'Infinity', '1,5']) {
    assert.throws(() => parseChurnRate(bad), (e: CtrdocError) => e.kind === 'invalid-argument' && /--rate must be pods per second/.test(e.message), bad);
  }
  fc.assert(fc.property(fc.string({ maxLength: 20 }), (t) => {
    try {
      const n = parseChurnRate(t);
      assert.ok(n > 0 && n <= MAX_CHURN_RATE);
    } catch (err) {
      assert.ok(err instanceof CtrdocError && err.kind === 'invalid-argument');
    }
  }), { numRuns: 300 });
});

test('no lab in the dir: the churn refuses and says how to start one, before it changes anything', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ctrdoc-churn-nolab-'));
  try {
    await assert.rejects(runChurn({ p: labPaths(dir), forMs: 1000 }), (e: CtrdocError) => e.kind === 'failed-precondition' && /no lab at .*ctrdoc lab up --dir/s.test(`${e.message} ${e.hint}`));
    await assert.rejects(runChurn({ p: labPaths(dir), rate: 0 }), /must be more than 0/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the report says what was done and what was left, one line each', () => {
  const r: ChurnResult = {
    dir: '/tmp/lab', rate: 1, startedAt: '2026-12-03T12:00:00.000Z', durationMs: 12_300, stoppedBy: 'signal',
    counts: { podsStarted: 12, podsRemoved: 12, containersCreated: 20, containersStarted: 20, containersRemoved: 20, exitedZero: 20, exitedNonZero: 0, restarts: 8, execs: 8, logRotations: 4, deferred: 0, errors: 0 },
    errors: [], left: { pods: [], cgroups: [], logDirs: [] },
  };
  const text = churnReport(r).join('\n');
  assert.match(text, /^lab churn at \/tmp\/lab: 12\.3 s at 1 pod\(s\)\/s, stopped by a signal$/m);
  assert.match(text, /pods {8}12 started, 12 removed$/m);
  assert.match(text, /20 exited 0, 0 exited otherwise; 8 restarted by policy/);
  assert.match(text, /left behind nothing/);
  const left = churnReport({ ...r, left: { pods: ['abc (deadline exceeded)'], cgroups: [], logDirs: [] } }).join('\n');
  assert.match(left, /LEFT BEHIND abc \(deadline exceeded\)/);
});

test('what the lab lacks by design: each entry has its reason, and leaves out only what it says', () => {
  for (const x of CHURN_NOT_JUDGED) assert.ok(x.why.length > 60, x.what);
  const f = (o: Partial<Finding>): Finding => ({ rule: 'X', layer: 'shim', severity: 'warning', status: 'fail', title: 't', summary: 's', evidence: [], ...o });
  assert.equal(notJudged(f({ layer: 'node' }))?.what, 'the node layer');
  assert.equal(notJudged(f({ layer: 'kubelet' }))?.what, 'the kubelet layer');
  // the rest is judged: CRI, containerd, and every process the tree does not set apart as another stack's
  for (const layer of ['cri', 'containerd', 'shim', 'runc'] as const) {
    assert.equal(notJudged(f({ layer, subject: { pid: 999, shimPid: 42 } })), undefined, layer);
  }
});
