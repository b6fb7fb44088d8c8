// The containerd log rules on each containerd version's own words: the log each lab version
// wrote under the same faults (testdata/captures/containerd-log/<version>, made by capture.sh
// there with `capture.sh 1.7|2.1|seed`). Each case must raise exactly the rules it raises on
// 1.6.20 (containerd-log-captures.test.ts), unless the version really says something else,
// which testdata/captures/VERSIONS.md records; where ctrdoc's rules are not right for a version
// yet, the case is a todo that names the entry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { SHIPPED_LOG_TABLES, scanText } from '../../src/sources/logs/index.ts';
import { containerdLogRules } from '../../src/rules/logs.ts';
import { evaluate } from '../../src/rules/rule.ts';
import { emptySnapshot, ok } from './snapshot-fixture.ts';

const root = join(import.meta.dirname, '..', '..', 'testdata', 'captures', 'containerd-log');

function failingRules(version: string, name: string): string[] {
  const s = emptySnapshot();
  const text = readFileSync(join(root, version, name, 'excerpt.log'), 'utf8');
  s.containerd.log = ok('containerd.log', scanText(text, SHIPPED_LOG_TABLES['rules/containerd-log.json'](), 'file:/var/lib/ctrdoc-lab/containerd.log', { refMs: Date.parse('2026-12-04T00:00:00Z') }));
  return [...new Set(evaluate(containerdLogRules, s).filter((f) => f.status === 'fail').map((f) => f.rule))].sort();
}

/** case → the rules it must fail; todo: why ctrdoc's rules are not right for that version yet */
const expected: Record<string, Record<string, { rules: string[]; todo?: string }>> = {
  '1.7.24': {
    // 1.7 logs `failed to handle container TaskExit event` for the dead shim's tasks, then
    // `Ensure that container ... has been cleanup successfully`: the retry succeeded, so
    // CONTAINERD_LOG_TASK_CLEANUP_FAILED is quiet (its cleanupEnsured marker)
    'dead-shim': { rules: ['CONTAINERD_LOG_SHIM_DISCONNECTED', 'CONTAINERD_LOG_TTRPC_CLOSED'] },
    'no-cni': { rules: ['CONTAINERD_LOG_CNI_NOT_READY', 'CONTAINERD_LOG_SANDBOX_TEARDOWN_FAILED'] },
    'bad-config-drift': { rules: ['CONTAINERD_LOG_SANDBOX_IMAGE_FAILED', 'CONTAINERD_LOG_STARTED'] },
    sigusr1: { rules: ['CONTAINERD_LOG_GOROUTINE_DUMP'] },
    'hung-start': { rules: [] },
  },
  '2.1.9': {
    // 2.1's TaskExit retry says the task is cleaned up in the task service too (`Ensure that
    // container ... has been cleanup successfully`); that the app's process lives on under init
    // is the process tree's finding (an orphan), not the log's
    'dead-shim': { rules: ['CONTAINERD_LOG_SHIM_DISCONNECTED', 'CONTAINERD_LOG_TTRPC_CLOSED'] },
    'no-cni': { rules: ['CONTAINERD_LOG_CNI_NOT_READY', 'CONTAINERD_LOG_SANDBOX_TEARDOWN_FAILED'] },
    'bad-config-drift': { rules: ['CONTAINERD_LOG_SANDBOX_IMAGE_FAILED', 'CONTAINERD_LOG_STARTED'] },
    sigusr1: { rules: ['CONTAINERD_LOG_GOROUTINE_DUMP'] },
    'hung-start': { rules: [] },
  },
  // the real containerd#6772: the log says nothing about it (StartContainer never returns);
  // only the restart the fault makes to turn the metrics address on shows
  '1.6.20-seed6772': {
    'deadlock-6772': { rules: ['CONTAINERD_LOG_STARTED'] },
  },
};

for (const [version, cases] of Object.entries(expected)) {
  for (const [name, { rules, todo }] of Object.entries(cases)) {
    test(`${version} ${name}: containerd's log raises ${rules.join(', ') || 'nothing'}`, { todo }, () => {
      assert.deepEqual(failingRules(version, name), [...rules].sort());
    });
  }
}

test('every capture has the command that made it beside it, and no lab temp dir', () => {
  for (const [version, cases] of Object.entries(expected)) {
    for (const name of Object.keys(cases)) {
      const dir = join(root, version, name);
      assert.ok(existsSync(join(dir, 'excerpt.log.command')), `${dir}: the command`);
      assert.doesNotMatch(readFileSync(join(dir, 'excerpt.log'), 'utf8'), /\/tmp\/ccap/, `${dir}: sanitised`);
    }
  }
});

test('1.7 and 2.1: the TaskExit event of a dead shim\'s task fails once, and its retry says the task is cleaned up', () => {
  for (const v of ['1.7.24', '2.1.9']) {
    const text = readFileSync(join(root, v, 'dead-shim', 'excerpt.log'), 'utf8');
    const scan = scanText(text, SHIPPED_LOG_TABLES['rules/containerd-log.json'](), 'file:/x', { refMs: Date.parse('2026-12-04T00:00:00Z') });
    const ep = scan.episodes.find((e) => e.pattern === 'CONTAINERD_LOG_TASK_CLEANUP_FAILED')!;
    assert.ok(ep.count >= 1, `${v}: the failure is there`);
    assert.deepEqual(ep.ids!.map((x) => [x.verdict, Object.keys(x.markers)]), ep.ids!.map(() => ['normal', ['cleanupEnsured']]), v);
  }
});

test('2.1 words a dead shim differently: "cleaning up after shim disconnected" at info, ttrpc: closed as an rpc error', () => {
  const v16 = readFileSync(join(root, '1.6.20', 'dead-shim', 'excerpt.log'), 'utf8');
  const v21 = readFileSync(join(root, '2.1.9', 'dead-shim', 'excerpt.log'), 'utf8');
  assert.match(v16, /level=warning msg="cleaning up after shim disconnected"/);
  assert.match(v21, /level=info msg="cleaning up after shim disconnected"/);
  assert.match(v16, /error="ttrpc: closed: unknown"/);
  assert.match(v21, /error="rpc error: code = Unknown desc = ttrpc: closed"/);
});
