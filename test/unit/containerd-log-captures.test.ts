// The containerd log rules on containerd 1.6.20's own words: what it wrote to its log while the
// lab had each fault (testdata/captures/containerd-log/1.6.20, made by capture.sh there). Each
// fault must raise exactly its rules, so a pattern that drifts from the real text shows here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SHIPPED_LOG_TABLES, scanText } from '../../src/sources/logs/index.ts';
import { containerdLogRules } from '../../src/rules/logs.ts';
import { evaluate } from '../../src/rules/rule.ts';
import { emptySnapshot, ok } from './snapshot-fixture.ts';

const dir = join(import.meta.dirname, '..', '..', 'testdata', 'captures', 'containerd-log', '1.6.20');

/** case → the containerd log rules it must fail, and nothing else */
const expected: Record<string, string[]> = {
  'dead-shim': ['CONTAINERD_LOG_SHIM_DISCONNECTED', 'CONTAINERD_LOG_TTRPC_CLOSED'],
  // the fault's own pod-network sandbox cannot be torn down either (containerd#8774)
  'no-cni': ['CONTAINERD_LOG_CNI_NOT_READY', 'CONTAINERD_LOG_SANDBOX_TEARDOWN_FAILED'],
  'bad-config-drift': ['CONTAINERD_LOG_SANDBOX_IMAGE_FAILED', 'CONTAINERD_LOG_STARTED'],
  sigusr1: ['CONTAINERD_LOG_GOROUTINE_DUMP'],
  // parked inits make no noise in containerd's log: that is why the seed's incident is hard
  'hung-start': [],
};

for (const [name, rules] of Object.entries(expected)) {
  test(`${name}: containerd's log raises ${rules.join(', ') || 'nothing'}`, () => {
    const text = readFileSync(join(dir, name, 'excerpt.log'), 'utf8');
    const s = emptySnapshot();
    const scan = scanText(text, SHIPPED_LOG_TABLES['rules/containerd-log.json'](), 'file:/var/lib/ctrdoc-lab/containerd.log', { refMs: Date.parse('2026-11-28T00:00:00Z') });
    s.containerd.log = ok('containerd.log', scan);
    const failing = evaluate(containerdLogRules, s).filter((f) => f.status === 'fail');
    assert.deepEqual([...new Set(failing.map((f) => f.rule))].sort(), [...rules].sort(), failing.map((f) => `${f.rule}: ${f.summary}`).join('\n'));
    for (const f of failing) assert.match(f.evidence.join('\n'), /log: time="2026-/, `${f.rule} quotes the line`);
  });
}

test('dead-shim names both killed shims\' ids; the sandbox image failure names the image', () => {
  const run = (name: string) => {
    const s = emptySnapshot();
    s.containerd.log = ok('containerd.log', scanText(readFileSync(join(dir, name, 'excerpt.log'), 'utf8'), SHIPPED_LOG_TABLES['rules/containerd-log.json'](), 'file:/x'));
    return evaluate(containerdLogRules, s).filter((f) => f.status === 'fail');
  };
  const shim = run('dead-shim').filter((f) => f.rule === 'CONTAINERD_LOG_SHIM_DISCONNECTED');
  const ids = new Set(shim.flatMap((f) => f.evidence.join(' ').match(/[0-9a-f]{64}/g) ?? []));
  assert.ok(ids.size >= 2, `the pause's and the app's task ids: ${[...ids].join(', ')}`);
  const image = run('bad-config-drift').find((f) => f.rule === 'CONTAINERD_LOG_SANDBOX_IMAGE_FAILED');
  assert.match(image!.summary + image!.evidence.join('\n'), /ctrdoc\.local\/lab\/pause:does-not-exist/);
});
