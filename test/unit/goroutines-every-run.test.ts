// The doctor reads containerd's dump on every run when the debug socket answers, busy healthy
// nodes included: a Start or Create in flight (under a minute) is normal and says nothing at
// warning level, while a known deadlock or a lock-order inversion is conclusive at any age (the
// seed's real dump, seconds into the deadlock). The signal path's "looks hung" also counts a
// process of the stack that is stopped (T), traced or in D.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeDump } from '../../src/goroutines/index.ts';
import { looksHung } from '../../src/collect/probes/containerd-goroutines.ts';
import { Got } from '../../src/collect/results.ts';
import type { ProbeResult } from '../../src/snapshot/types/index.ts';
import type { ProcessTreeView, TreeProcess } from '../../src/snapshot/types/tree.ts';

const G = (id: number, head: string, ...frames: string[]) => [`goroutine ${id} [${head}]:`, ...frames].join('\n');
const F = (fn: string, args: string, file: string, line: number) => `${fn}(${args})\n\t${file}:${line} +0x1d`;
const start = (id: number, head: string) => G(id, head,
  F('github.com/containerd/ttrpc.(*Client).dispatch', '0xc0004a3000, {0x2529fa0?, 0xc00031d770}', 'github.com/containerd/ttrpc/client.go', 163),
  F('github.com/containerd/containerd/services/tasks.(*local).Start', '0xc000508a18?', 'github.com/containerd/containerd/services/tasks/local.go', 257));
const severityOf = (text: string, id: string) => analyzeDump(text).dumps[0].findings.find((f) => f.id === id)?.severity;

test('a task Start in flight is info; waiting a minute or more it is critical', () => {
  assert.equal(severityOf(start(1, 'select') + '\n', 'task-start-waiting'), 'info');
  assert.equal(severityOf(start(1, 'select, 1 minutes') + '\n', 'task-start-waiting'), 'critical');
});

test('the seed\'s real dump seconds into containerd#6772 (no wait printed yet): victim, culprit and the lock cycle are critical', () => {
  const text = readFileSync(join(import.meta.dirname, '../../testdata/captures/goroutines/1.6.20-seed6772/deadlock-6772/goroutines.txt'));
  const findings = analyzeDump(text).dumps[0].findings;
  for (const id of ['containerd-6772-victim', 'containerd-6772-culprit', 'lock-cycle']) {
    const f = findings.find((x) => x.id === id);
    assert.equal(f?.severity, 'critical', `${id}: ${JSON.stringify(findings.map((x) => [x.id, x.severity, x.waitMaxMinutes]))}`);
  }
  assert.ok(findings.find((x) => x.id === 'containerd-6772-victim')!.waitMaxMinutes <= 1, 'a young deadlock');
});

const ok = <T>(probe: string, data: T): ProbeResult<T> => ({ probe, status: 'ok', durationMs: 1, data });
const proc = (pid: number, role: TreeProcess['role'], stat: string): TreeProcess => ({
  pid, ppid: 1, depth: 0, parent: 0, role, stat, cpuPercent: 0, rssKb: 1, threads: 1, ageSec: 5, starttime: 1, comm: role, command: role,
});
const tree = (processes: TreeProcess[], facts: ProcessTreeView['facts'] = []): ProcessTreeView => ({
  builtAt: '', processes, shims: [], facts, inputs: { proc: true, runc: true, cri: true, tasks: true, bundles: true, shimProbes: true }, thresholds: { stuckInitSec: 60 },
} as unknown as ProcessTreeView);
const got = (...rs: ProbeResult<unknown>[]) => new Got(new Map(rs.map((r) => [r.probe, r])));

test('looks hung (the signal path): CRI timed out, parked inits, or a process of the stack stopped, traced or in D', () => {
  const healthy = tree([proc(10, 'containerd', 'S'), proc(20, 'shim', 'S'), proc(30, 'pause', 'S'), proc(40, 'app', 'R')]);
  assert.equal(looksHung(got(ok('tree', healthy))), false);
  assert.equal(looksHung(got({ probe: 'cri.pods', status: 'timeout', durationMs: 2000 }, ok('tree', healthy))), true);
  for (const [role, stat] of [['shim', 'T'], ['runc-init', 'T'], ['runc', 'Dl'], ['pause', 't'], ['containerd', 'D']] as const) {
    assert.equal(looksHung(got(ok('tree', tree([...healthy.processes, proc(50, role, stat)])))), true, `${role} ${stat}`);
  }
  // an app container's own process stopped or in D is the app's business, not the runtime's
  assert.equal(looksHung(got(ok('tree', tree([...healthy.processes, proc(50, 'app', 'T'), proc(51, 'child', 'D')])))), false);
  assert.equal(looksHung(got(ok('tree', tree(healthy.processes, [{ kind: 'stuck-runc-init', message: '', subject: {}, evidence: {} }])))), true);
  assert.equal(looksHung(got()), false, 'nothing collected: nothing to go by');
});
