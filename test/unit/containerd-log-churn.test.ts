// The containerd log rules on a busy healthy node's own words: what each lab version logged
// under `ctrdoc lab churn` (testdata/captures/containerd-log/<version>/churn, made by capture.sh
// there: pods started and removed, execs, log rotation, exits 0, restarts), at info level
// (excerpt.log) and at debug level (debug.log). No log rule may fire on them. And on the same
// versions' dead-shim captures the shim's death is still found, named by its pod when the
// Snapshot knows the id.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { SHIPPED_LOG_TABLES, scanText } from '../../src/sources/logs/index.ts';
import { containerdLogRules } from '../../src/rules/logs.ts';
import { evaluate } from '../../src/rules/rule.ts';
import type { LogScan, Snapshot } from '../../src/snapshot/types/index.ts';
import { emptySnapshot, ok } from './snapshot-fixture.ts';

const root = join(import.meta.dirname, '..', '..', 'testdata', 'captures', 'containerd-log');
const VERSIONS = ['1.6.20', '1.7.24', '2.1.9', '1.6.20-seed6772'];
const table = () => SHIPPED_LOG_TABLES['rules/containerd-log.json']();

function scanOf(path: string): LogScan {
  return scanText(readFileSync(path, 'utf8'), table(), 'file:/var/lib/ctrdoc-lab/containerd.log', { refMs: Date.parse('2026-12-04T00:00:00Z') });
}

function withLog(scan: LogScan, s: Snapshot = emptySnapshot()): Snapshot {
  s.containerd.log = ok('containerd.log', scan);
  return s;
}

test('every version has its churn capture, with the command that made it beside each file', () => {
  for (const v of VERSIONS) {
    for (const f of ['excerpt.log', 'debug.log']) {
      const path = join(root, v, 'churn', f);
      assert.ok(existsSync(path), path);
      assert.ok(existsSync(`${path}.command`), `${path}.command`);
      assert.doesNotMatch(readFileSync(path, 'utf8'), /\/tmp\//, `${path}: the lab dir is renamed`);
    }
  }
});

for (const v of VERSIONS) {
  for (const f of ['excerpt.log', 'debug.log']) {
    test(`${v} churn (${f}): no log rule fires on pods created, exec'd, rotated, exiting 0, restarted and removed`, () => {
      const scan = scanOf(join(root, v, 'churn', f));
      const failing = evaluate(containerdLogRules, withLog(scan)).filter((x) => x.status !== 'pass');
      assert.deepEqual(failing.map((x) => `${x.rule} ${x.status} ${x.severity}: ${x.summary}`), []);
      // the test must be able to fail: the disconnect lines are there, every id judged normal
      const eps = scan.episodes.filter((e) => e.pattern === 'CONTAINERD_LOG_SHIM_DISCONNECTED');
      const verdicts = eps.map((e) => e.idVerdicts!).reduce((a, b) => ({ abnormal: a.abnormal + b.abnormal, normal: a.normal + b.normal, unexplained: a.unexplained + b.unexplained, noId: a.noId + b.noId }));
      assert.ok(verdicts.normal + verdicts.unexplained >= 3, `shim disconnects seen: ${JSON.stringify(verdicts)}`);
      assert.equal(verdicts.abnormal, 0);
      assert.equal(verdicts.noId, 0);
    });
  }
}

test('1.7 and 2.1 log every task\'s exit at info, so every normal disconnect is explained; 1.6 only at debug', () => {
  const verdicts = (v: string, f: string) => scanOf(join(root, v, 'churn', f)).episodes.find((e) => e.pattern === 'CONTAINERD_LOG_SHIM_DISCONNECTED')!.idVerdicts!;
  assert.equal(verdicts('1.7.24', 'excerpt.log').unexplained, 0);
  assert.equal(verdicts('2.1.9', 'excerpt.log').unexplained, 0);
  // at info level 1.6.20 says nothing between a container's StartContainer and its shim's
  // disconnect when the container exits 0 by itself (job and restart pods)
  assert.ok(verdicts('1.6.20', 'excerpt.log').unexplained > 0);
  assert.equal(verdicts('1.6.20', 'debug.log').unexplained, 0, 'debug: "received exit event" explains each');
});

test('1.6 and 1.7 disconnect per task (sandbox and each container), 2.1 per shim (the sandbox id)', () => {
  const ids = (v: string) => new Set(scanOf(join(root, v, 'churn', 'excerpt.log')).episodes.flatMap((e) => (e.pattern === 'CONTAINERD_LOG_SHIM_DISCONNECTED' ? e.ids ?? [] : [])).map((x) => x.id));
  const sandboxes = (v: string) => new Set([...readFileSync(join(root, v, 'churn', 'excerpt.log'), 'utf8').matchAll(/returns sandbox id \\"([0-9a-f]{64})/g)].map((m) => m[1]));
  for (const v of ['1.6.20', '1.7.24']) assert.ok([...ids(v)].some((id) => !sandboxes(v).has(id)), `${v}: container tasks disconnect too`);
  assert.ok([...ids('2.1.9')].every((id) => sandboxes('2.1.9').has(id)), '2.1: only sandbox ids');
});

for (const v of ['1.6.20', '1.7.24', '2.1.9']) {
  test(`${v} dead-shim: the death is found by its lost exit, and named by the pod the Snapshot knows`, () => {
    const scan = scanOf(join(root, v, 'dead-shim', 'excerpt.log'));
    const ep = scan.episodes.find((e) => e.pattern === 'CONTAINERD_LOG_SHIM_DISCONNECTED')!;
    const dead = ep.ids!.filter((x) => x.verdict === 'abnormal');
    assert.ok(dead.length >= 1);
    assert.ok(dead.every((x) => 'exitLost' in x.markers), 'each by its lost exit');
    // the Snapshot knows the pod of the first id (a pod that is NotReady now, as a dead shim leaves it)
    const s = emptySnapshot();
    s.cri.pods = ok('cri.pods', [{ id: dead[0].id, metadata: { name: 'web-0', uid: 'u', namespace: 'shop', attempt: 0 }, state: 'SANDBOX_NOTREADY', createdAt: '0', labels: {}, annotations: {}, runtimeHandler: '' }]);
    const [f] = evaluate(containerdLogRules, withLog(scan, s)).filter((x) => x.rule === 'CONTAINERD_LOG_SHIM_DISCONNECTED' && x.status === 'fail');
    assert.equal(f.subject?.pod, 'shop/web-0');
    assert.match(f.summary, /pod shop\/web-0/);
    assert.match(f.evidence.join('\n'), /failed to get task exit status/);
    // without that knowledge: the id, said to be no longer known
    const [g] = evaluate(containerdLogRules, withLog(scan)).filter((x) => x.rule === 'CONTAINERD_LOG_SHIM_DISCONNECTED' && x.status === 'fail');
    assert.match(g.summary, /no longer known/);
    // a run whose lists did not answer knows nothing of the id: it says so, never "removed" (a
    // loaded node's doctor run, its CRI and containerd calls timed out)
    const blind = emptySnapshot();
    for (const k of ['pods', 'containers'] as const) blind.cri[k] = { probe: `cri.${k}`, status: 'timeout', durationMs: 2000, message: 'no answer within 2s' };
    blind.containerd.containers = { probe: 'containerd.containers', status: 'timeout', durationMs: 2000, message: 'no answer within 2s' };
    const [h] = evaluate(containerdLogRules, withLog(scan, blind)).filter((x) => x.rule === 'CONTAINERD_LOG_SHIM_DISCONNECTED' && x.status === 'fail');
    assert.doesNotMatch(h.summary, /no longer known|removed/);
    assert.match(h.summary, /not named: this run could not read CRI's or containerd's lists \(cri\.pods timeout, cri\.containers timeout, containerd\.containers timeout\)/);
  });
}

test('a churn capture and a dead shim in one log: only the dead shim\'s id makes the finding', () => {
  const churn = readFileSync(join(root, '1.6.20', 'churn', 'excerpt.log'), 'utf8');
  const dead = readFileSync(join(root, '1.6.20', 'dead-shim', 'excerpt.log'), 'utf8');
  const scan = scanText(`${churn}\n${dead}`, table(), 'file:/x', { refMs: Date.parse('2026-12-04T00:00:00Z') });
  const fails = evaluate(containerdLogRules, withLog(scan)).filter((x) => x.rule === 'CONTAINERD_LOG_SHIM_DISCONNECTED' && x.status === 'fail');
  const deadIds = new Set([...dead.matchAll(/failed to get task exit status for \\"([0-9a-f]{64})/g)].map((m) => m[1]));
  assert.ok(fails.length >= 1);
  for (const f of fails) {
    const named = new Set([...f.evidence.join('\n').matchAll(/^([0-9a-f]{12,13}) \(no longer known/gm)].map((m) => m[1]));
    assert.ok(named.size >= 1, f.evidence.join('\n'));
    for (const id of named) assert.ok([...deadIds].some((d) => d.startsWith(id)), `${id} is one of the dead shim's tasks`);
    assert.match(f.evidence.join('\n'), /other id\(s\) in the same lines were normal/);
  }
});
