// The second look at tree facts that join reads of different instants (src/snapshot/second-look.ts):
// a fact the second look sees again stays, one it does not is dropped and listed; an input the
// first look did not have is not asked for; no second look without a racy fact. On a /proc and a
// runc root of the test's own: a corrupt state.json is a fault that stays, a pod without a shim
// made up for the test is a moment's disagreement that goes.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { confirmTreeFacts, factKey, RACY_FACTS } from '../../src/snapshot/second-look.ts';
import { buildProcessTree } from '../../src/tree/build.ts';
import { scanProcesses } from '../../src/sources/proc/scan.ts';
import { readRuncRoot } from '../../src/sources/runc/state.ts';
import type { Snapshot, TreeFact } from '../../src/snapshot/types/index.ts';
import { emptySnapshot, ok } from './snapshot-fixture.ts';

/** A /proc of this test's own, with no process in it: the machine's processes are not the test's to judge. */
const procRoot = mkdtempSync(join(tmpdir(), 'ctrdoc-second-look-proc-'));
writeFileSync(join(procRoot, 'stat'), 'cpu  1 0 1 100 0 0 0 0 0 0\nbtime 1764700000\n');
writeFileSync(join(procRoot, 'uptime'), '1000.00 900.00\n');
after(() => rmSync(procRoot, { recursive: true, force: true }));
const scanProc = () => scanProcesses({ procRoot });

const noClients = {
  cri: () => { throw new Error('CRI was not asked the first time: it must not be asked now'); },
  containerd: () => { throw new Error('containerd was not asked the first time: it must not be asked now'); },
  budget: () => 5000,
  scanProc,
};

function firstLook(runcRoot: string, extra: TreeFact[] = []): Snapshot {
  const s = emptySnapshot();
  s.stack.runcRoot = runcRoot;
  const view = buildProcessTree({ proc: scanProc(), runc: readRuncRoot(runcRoot, { procRoot }), now: Date.now() });
  view.facts.push(...extra);
  s.tree = ok('tree', view);
  return s;
}

const madeUp: TreeFact = {
  kind: 'pod-without-shim',
  message: 'pod shop/web-0 is SANDBOX_READY in CRI but no live shim has -id aaaaaaaaaaaaa',
  subject: { pod: { sandboxId: 'a'.repeat(64), namespace: 'shop', name: 'web-0' } },
  evidence: { sandboxId: 'a'.repeat(64) },
};

test('a fault the second look sees again stays; a fact it does not see is dropped and listed', async () => {
  const root = mkdtempSync(join(tmpdir(), 'ctrdoc-second-look-'));
  try {
    mkdirSync(join(root, 'broken'));
    writeFileSync(join(root, 'broken', 'state.json'), '{"id": "broken", "init_process_pid": ');
    const s = firstLook(root, [madeUp]);
    const before = s.tree.data!.facts.map((f) => f.kind).sort();
    assert.deepEqual(before, ['pod-without-shim', 'runc-state-unreadable']);
    await confirmTreeFacts(s, noClients);
    const view = s.tree.data!;
    assert.deepEqual(view.facts.map((f) => f.kind), ['runc-state-unreadable']);
    assert.deepEqual(view.secondLook?.dropped, [{ kind: 'pod-without-shim', message: madeUp.message }]);
    assert.ok(view.secondLook!.durationMs >= view.secondLook!.delayMs);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('no racy fact: no second look; too little time left: the first look\'s facts, said so', async () => {
  const root = mkdtempSync(join(tmpdir(), 'ctrdoc-second-look-'));
  try {
    const quiet = firstLook(root);
    await confirmTreeFacts(quiet, noClients);
    assert.equal(quiet.tree.data!.secondLook, undefined);
    const late = firstLook(root, [madeUp]);
    await confirmTreeFacts(late, { ...noClients, budget: () => 100 });
    assert.deepEqual(late.tree.data!.facts, [madeUp]);
    assert.match(late.tree.data!.secondLook!.note!, /not taken: too little of the deadline left/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('an input the first look had and the second cannot read again: the first look\'s facts stand', async () => {
  const root = mkdtempSync(join(tmpdir(), 'ctrdoc-second-look-'));
  try {
    const s = firstLook(root, [madeUp]);
    s.tree.data!.inputs.tasks = true; // the first look had containerd's tasks; now containerd does not answer
    const failing = { ...noClients, containerd: () => ({ listTasks: () => Promise.reject(new Error('no answer')) }) as never };
    await confirmTreeFacts(s, failing);
    assert.deepEqual(s.tree.data!.facts, [madeUp]);
    assert.match(s.tree.data!.secondLook!.note!, /containerd's tasks could not be read again/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('the same fault is the same kind on the same subject; stuck and repeated inits (judged by their age) are never second-guessed', () => {
  assert.equal(factKey(madeUp), factKey({ ...madeUp, message: 'another wording' }));
  assert.notEqual(factKey(madeUp), factKey({ ...madeUp, subject: { pod: { sandboxId: 'b'.repeat(64) } } }));
  assert.notEqual(factKey(madeUp), factKey({ ...madeUp, kind: 'shim-without-pause' }));
  for (const k of ['stuck-runc-init', 'repeated-runc-init'] as const) assert.ok(!RACY_FACTS.includes(k), k);
});
