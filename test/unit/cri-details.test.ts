// Which containers and pods are worth a verbose CRI status (one RPC each): on a healthy node
// none, whatever its size; on a sick one, only those the lists cannot explain, each with why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containersNeedingDetail, podsNeedingDetail } from '../../src/collect/probes/cri-details.ts';
import type { Container, PodSandbox, TaskView } from '../../src/snapshot/types/index.ts';
import type { ProcTable } from '../../src/snapshot/types/proc.ts';

const NOW = Date.parse('2026-12-03T10:00:00Z');
const ns = (msAgo: number) => String(BigInt(NOW - msAgo) * 1_000_000n);
const ctr = (id: string, state: Container['state'], o: { pod?: string; name?: string; attempt?: number; ageMs?: number } = {}): Container => ({
  id, podSandboxId: o.pod ?? 'p1', metadata: { name: o.name ?? 'app', attempt: o.attempt ?? 0 }, image: { image: 'x' }, imageRef: 'x',
  state, createdAt: ns(o.ageMs ?? 3_600_000), labels: {}, annotations: {},
});
const task = (id: string, pid: number, status: TaskView['status'] = 'RUNNING'): TaskView => ({ id, pid, status, exitStatus: 0, exitedAt: '' });
const proc = (pids: number[]): ProcTable => ({ processes: pids.map((pid) => ({ pid })) } as unknown as ProcTable);

test('a healthy node of 110 pods (220 containers): no verbose status at all', () => {
  const containers: Container[] = [];
  const tasks: TaskView[] = [];
  for (let i = 0; i < 220; i++) {
    containers.push(ctr(`c${i}`, 'CONTAINER_RUNNING', { pod: `p${i >> 1}` }));
    tasks.push(task(`c${i}`, 1000 + i));
  }
  assert.deepEqual(containersNeedingDetail(containers, tasks, proc(tasks.map((t) => t.pid)), NOW, 60), []);
  const pods: PodSandbox[] = Array.from({ length: 110 }, (_, i) => ({ id: `p${i}`, state: 'SANDBOX_READY' }) as PodSandbox);
  assert.deepEqual(podsNeedingDetail(pods, pods.map((p, i) => task(p.id, 5000 + i))), []);
});

test('normal churn asks nothing: a young Created container, an init container that exited once', () => {
  const list = [ctr('young', 'CONTAINER_CREATED', { ageMs: 5_000 }), ctr('init', 'CONTAINER_EXITED', { name: 'init', attempt: 0 })];
  assert.deepEqual(containersNeedingDetail(list, [], proc([]), NOW, 60), []);
});

test('the ones the lists cannot explain, each with why', () => {
  const list = [
    ctr('stuck', 'CONTAINER_CREATED', { ageMs: 120_000 }),
    ctr('loop-2', 'CONTAINER_EXITED', { pod: 'p2', name: 'loop', attempt: 2 }),
    ctr('loop-1', 'CONTAINER_EXITED', { pod: 'p2', name: 'loop', attempt: 1 }),
    ctr('loop-3', 'CONTAINER_RUNNING', { pod: 'p2', name: 'loop', attempt: 3 }),
    ctr('notask', 'CONTAINER_RUNNING', { pod: 'p3' }),
    ctr('stopped', 'CONTAINER_RUNNING', { pod: 'p4' }),
    ctr('gone', 'CONTAINER_RUNNING', { pod: 'p5' }),
    ctr('unknown', 'CONTAINER_UNKNOWN', { pod: 'p6' }),
  ];
  const tasks = [task('loop-3', 300), task('stopped', 400, 'STOPPED'), task('gone', 500)];
  const got = containersNeedingDetail(list, tasks, proc([300]), NOW, 60);
  assert.deepEqual(got.map((g) => g.id), ['stuck', 'notask', 'stopped', 'gone', 'unknown', 'loop-2', 'loop-1'], 'the exited attempts of a restarted container, not its running one');
  assert.match(got.find((g) => g.id === 'gone')!.why, /task pid 500 not in \/proc/);
  assert.match(got.find((g) => g.id === 'loop-2')!.why, /restarted by kubelet \(attempt 3\)/);
});

test('without containerd\'s task list, running containers are not asked one by one', () => {
  const list = Array.from({ length: 50 }, (_, i) => ctr(`c${i}`, 'CONTAINER_RUNNING'));
  assert.deepEqual(containersNeedingDetail(list, undefined, undefined, NOW, 60), []);
});

test('pods: Ready with no running sandbox task (a dead or hung shim shows in its verbose status); NotReady ones are normal', () => {
  const pods = [{ id: 'a', state: 'SANDBOX_READY' }, { id: 'b', state: 'SANDBOX_READY' }, { id: 'c', state: 'SANDBOX_NOTREADY' }] as PodSandbox[];
  assert.deepEqual(podsNeedingDetail(pods, [task('a', 1), task('b', 2, 'STOPPED')]).map((p) => p.id), ['b']);
});

test('a Created container whose createdAt is garbage is of unknown age: asked about, never a throw', () => {
  const c = { ...ctr('x', 'CONTAINER_CREATED'), createdAt: 'not-a-number' };
  assert.deepEqual(containersNeedingDetail([c], [], proc([]), NOW, 60).map((g) => g.id), ['x'], 'no time: treated as old (epoch): still asked, it is Created');
});
