// The second look at tree facts that join reads of different instants (src/collect/second-look.ts):
// a fact the second look sees again stays, one it does not is dropped and listed; an input the
// first look had and the second could not read keeps the first look's facts; what did not answer
// the first time is not asked again. The trees are built from a /proc and a runc root of the
// test's own: a corrupt state.json is a fault that stays, a pod without a shim made up for the
// test is a moment's disagreement that goes.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { confirmLater, confirmTree, factKey, inD, keptForSecondLook, notTaken, RACY_FACTS, treeAfterSecondLook } from '../../src/collect/second-look.ts';
import { buildProcessTree } from '../../src/tree/build.ts';
import { scanProcesses } from '../../src/sources/proc/scan.ts';
import { readRuncRoot } from '../../src/sources/runc/state.ts';
import type { ProbeResult, ProcessTreeView, TreeFact, TreeProcess } from '../../src/snapshot/types/index.ts';
import { failed, ok } from './snapshot-fixture.ts';

/** A /proc of this test's own, with no process in it: the machine's processes are not the test's to judge. */
const procRoot = mkdtempSync(join(tmpdir(), 'ctrdoc-second-look-proc-'));
writeFileSync(join(procRoot, 'stat'), 'cpu  1 0 1 100 0 0 0 0 0 0\nbtime 1764700000\n');
writeFileSync(join(procRoot, 'uptime'), '1000.00 900.00\n');
/** A runc root with one corrupt state.json: a fault every look sees. */
const runcRoot = mkdtempSync(join(tmpdir(), 'ctrdoc-second-look-runc-'));
mkdirSync(join(runcRoot, 'broken'));
writeFileSync(join(runcRoot, 'broken', 'state.json'), '{"id": "broken", "init_process_pid": ');
after(() => {
  rmSync(procRoot, { recursive: true, force: true });
  rmSync(runcRoot, { recursive: true, force: true });
});

const look = (extra: TreeFact[] = []): ProcessTreeView => {
  const view = buildProcessTree({ proc: scanProcesses({ procRoot }), runc: readRuncRoot(runcRoot, { procRoot }), now: Date.now() });
  view.facts.push(...extra);
  return view;
};

const madeUp: TreeFact = {
  kind: 'pod-without-shim',
  message: 'pod shop/web-0 is SANDBOX_READY in CRI but no live shim has -id aaaaaaaaaaaaa',
  subject: { pod: { sandboxId: 'a'.repeat(64), namespace: 'shop', name: 'web-0' } },
  evidence: { sandboxId: 'a'.repeat(64) },
};

test('a fault the second look sees again stays; a fact it does not see is dropped and listed', () => {
  const first = look([madeUp]);
  assert.deepEqual(first.facts.map((f) => f.kind).sort(), ['pod-without-shim', 'runc-state-unreadable']);
  const view = confirmTree(first, look(), 420);
  assert.deepEqual(view.facts.map((f) => f.kind), ['runc-state-unreadable']);
  assert.deepEqual(view.secondLook, { delayMs: 300, durationMs: 420, dropped: [{ kind: 'pod-without-shim', message: madeUp.message }] });
  // seen twice: kept
  assert.deepEqual(confirmTree(first, look([madeUp]), 1).facts, first.facts);
  // the first look is left as it was
  assert.equal(first.facts.length, 2);
});

test('a fact that outlives the second look is judged only if the late look sees it too; every drop is listed', () => {
  // a busy node: containerd's own steps (a removed pod's clean-up, a pod being stopped) outlast 300 ms
  const slow: TreeFact = { ...madeUp, kind: 'dead-shim-leftover', message: 'task bundles remain but their shim is gone', subject: { path: '/run/x/bundle' } };
  const first = look([madeUp, slow]);
  const confirmed = confirmTree(first, look([slow]), 400);
  assert.deepEqual(confirmed.facts.map((f) => f.kind).sort(), ['dead-shim-leftover', 'runc-state-unreadable']);
  const later = confirmLater(confirmed, look(), 2700);
  assert.deepEqual(later.facts.map((f) => f.kind), ['runc-state-unreadable']);
  assert.deepEqual(later.secondLook, {
    delayMs: 300, durationMs: 2700, lateDelayMs: 2000,
    dropped: [{ kind: 'pod-without-shim', message: madeUp.message }, { kind: 'dead-shim-leftover', message: slow.message }],
  });
  // a fault: still there at the late look
  assert.deepEqual(confirmLater(confirmed, look([slow]), 2700).facts, confirmed.facts);
  // the late look could not read an input the others had: the second look's facts stand, and why
  const blind: ProcessTreeView = { ...look(), inputs: { ...look().inputs, runc: false } };
  const kept = confirmLater(confirmed, blind, 2700);
  assert.deepEqual(kept.facts, confirmed.facts);
  assert.equal(kept.secondLook!.note, 'late look not taken: the runc root could not be read again; the facts are the second look\'s');
});

/** The view with these processes of the stack added, in the state given. */
const withD = (view: ProcessTreeView, ...ps: [number, TreeProcess['role'], string][]): ProcessTreeView => ({
  ...view,
  processes: [...view.processes, ...ps.map(([pid, role, stat]) => ({ pid, ppid: 1, depth: 0, role, stat, comm: role, command: role, ageSec: 1 }) as unknown as TreeProcess)],
});

test('a process of the stack in D at the first look and not at the second is said so; one still in D, or not of the stack, is not', () => {
  const first = withD(look(), [300, 'runc-init', 'D'], [310, 'shim', 'Dl'], [320, 'app', 'D']);
  assert.deepEqual(inD(first), [300, 310]);
  const view = confirmTree(first, withD(look(), [300, 'runc-init', 'S'], [310, 'shim', 'D']), 400);
  assert.deepEqual(view.secondLook!.notInDAgain, [300]);
  assert.equal(confirmTree(first, withD(look(), [300, 'runc-init', 'D'], [310, 'shim', 'D']), 400).secondLook!.notInDAgain, undefined);
});

test('a process of the stack in D at the first and second looks and out of D at the late one is not judged; one in D at all three is', () => {
  const slow: TreeFact = { ...madeUp, kind: 'dead-shim-leftover', message: 'task bundles remain but their shim is gone', subject: { path: '/run/x/bundle' } };
  // 400 left D by the second look; 410 and 420 were still in D then (the late look is taken for the leftover)
  const inDNow = (...pids: number[]) => withD(look([slow]), ...pids.map((pid): [number, TreeProcess['role'], string] => [pid, 'runc-init', 'D']));
  const first = inDNow(400, 410, 420);
  const confirmed = confirmTree(first, inDNow(410, 420), 400);
  assert.deepEqual(confirmed.secondLook.notInDAgain, [400]);
  const later = confirmLater(confirmed, inDNow(420), 2700);
  assert.deepEqual(later.secondLook.notInDAgain, [400, 410]);
  assert.equal(later.secondLook.lateDelayMs, 2000);
});

test('an input the first look had and the second could not read: the first look\'s facts stand, and why', () => {
  const first = look([madeUp]);
  first.inputs.tasks = true;
  first.inputs.cri = true;
  const view = confirmTree(first, look(), 5);
  assert.deepEqual(view.facts, first.facts);
  assert.match(view.secondLook!.note!, /^not taken: CRI, containerd's tasks could not be read again; the facts are the first look's$/);
});

test('the Snapshot\'s tree: the second look\'s when taken; the first look\'s when there was nothing to look at again, or with why when it failed', () => {
  const first = ok('tree', look([madeUp]));
  assert.equal(treeAfterSecondLook(first, undefined), first);
  assert.equal(treeAfterSecondLook(first, failed('tree.secondLook', 'skipped', 'no fact that joins reads of different instants')), first);
  const confirmed = confirmTree(first.data!, look(), 3);
  assert.equal(treeAfterSecondLook(first, ok('tree.secondLook', confirmed)).data, confirmed);
  const late = treeAfterSecondLook(first, failed('tree.secondLook', 'timeout', 'tree.secondLook did not finish within 3000ms'));
  assert.deepEqual(late.data!.facts, first.data!.facts);
  assert.match(late.data!.secondLook!.note!, /not taken: the second look ran out of time \(tree\.secondLook did not finish within 3000ms\)/);
  // a first look that failed stays as it is
  const none = failed<ProcessTreeView>('tree', 'error', 'no process table');
  assert.equal(treeAfterSecondLook(none, ok('tree.secondLook', confirmed)), none);
  assert.match(notTaken(first.data!, 'too little of the deadline left', 0).secondLook!.note!, /too little of the deadline left/);
});

test('the second look reads again what can change, and nothing that did not answer the first time', () => {
  const results: Record<string, ProbeResult<unknown>> = {
    stack: ok('stack', {}), 'cri.status': ok('cri.status', {}), proc: ok('proc', {}), 'cri.pods': failed('cri.pods', 'timeout', 'CRI did not answer in 2s'),
    'cri.containers': ok('cri.containers', []), 'cri.containerDetails': ok('cri.containerDetails', []), shims: ok('shims', []), 'shims.cpu': ok('shims.cpu', {}),
  };
  const first = (p: string) => results[p];
  const kept = keptForSecondLook(first, [madeUp]);
  // resolved once; a hung CRI is not asked twice
  for (const p of ['stack', 'cri.status', 'cri.pods', 'cri.containerDetails', 'shims']) assert.equal(kept(p), results[p], p);
  for (const p of ['proc', 'cri.containers', 'shims.cpu', 'runc', 'bundles', 'containerd.tasks', 'tree']) assert.equal(kept(p), undefined, p);
  // a CRI pid in doubt asks the verbose statuses again; a shim that did not answer, the shims
  const doubts = keptForSecondLook(first, [{ ...madeUp, kind: 'cri-pid-mismatch' }, { ...madeUp, kind: 'shim-unresponsive' }]);
  assert.equal(doubts('cri.containerDetails'), undefined);
  assert.equal(doubts('shims'), undefined);
});

test('the same fault is the same kind on the same subject; stuck and repeated inits (judged by their age) are never second-guessed', () => {
  assert.equal(factKey(madeUp), factKey({ ...madeUp, message: 'another wording' }));
  assert.notEqual(factKey(madeUp), factKey({ ...madeUp, subject: { pod: { sandboxId: 'b'.repeat(64) } } }));
  assert.notEqual(factKey(madeUp), factKey({ ...madeUp, kind: 'shim-without-pause' }));
  for (const k of ['stuck-runc-init', 'repeated-runc-init'] as const) assert.ok(!RACY_FACTS.includes(k), k);
});
