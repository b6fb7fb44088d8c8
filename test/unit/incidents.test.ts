// The incident engine (src/incidents) on real captured Snapshots: the real containerd#6772
// deadlock (the seed build, testdata/captures/snapshot/seed-6772/deadlock), the faulted lab and a
// stopped runc init (1.6.20/*), each beside the script that made it; then the joins on small
// hand-made findings, the table's checks, and a property: every failing finding lands in exactly
// one incident whatever the findings are.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { allRules, evaluate } from '../../src/rules/index.ts';
import { buildReport, focusOnPod, type DoctorReport } from '../../src/report/doctor-report.ts';
import { compileCauseTable, diagnose, findingKeys, shippedCauseTable } from '../../src/incidents/index.ts';
import type { Finding, Snapshot } from '../../src/snapshot/types/index.ts';
import type { ProcessTreeView, TreeProcess } from '../../src/snapshot/types/tree.ts';
import { emptySnapshot, ok } from './snapshot-fixture.ts';

const CAPTURES = join(import.meta.dirname, '..', '..', 'testdata', 'captures', 'snapshot');
const load = (name: string) => JSON.parse(readFileSync(join(CAPTURES, name, 'snapshot.json'), 'utf8')) as Snapshot;
const reportOf = (s: Snapshot) => buildReport(s, evaluate(allRules, s));
const SEED = 'seed-6772/deadlock';
const ALL = [SEED, '1.6.20/faulted', '1.6.20/stopped-init', '1.6.20/dead-shim', '1.6.20/frozen-containerd'];

const inIncident = (r: DoctorReport, id: string, rule: string) => r.findings.filter((f) => f.rule === rule && f.status === 'fail').every((f) => f.incident === id);

test('the real containerd#6772 deadlock is one incident, first, proven by the dump, with its consequences under it', () => {
  const s = load(SEED);
  const r = reportOf(s);
  const top = r.incidents[0];
  assert.equal(top.id, 'CONTAINERD_DEADLOCK_6772');
  assert.equal(top.severity, 'critical');
  assert.equal(top.certainty, 'proven');
  assert.match(top.title, /containerd#6772/);
  assert.equal(top.layer, 'containerd');
  assert.deepEqual(top.findings.root, ['CONTAINERD_GOROUTINES:containerd-6772-victim', 'CONTAINERD_GOROUTINES:containerd-6772-culprit']);
  assert.ok(top.findings.evidence.includes('CONTAINERD_GOROUTINES:lock-cycle'), 'the lock-order inversion proves it too');
  assert.ok(top.findings.evidence.includes('CONFIG_METRICS_ADDRESS'), 'the precondition: [metrics] address on');
  // every symptom the seed names is under it
  for (const rule of ['RUNC_STUCK_INIT', 'SHIM_WITHOUT_PAUSE', 'KUBELET_LOG_RUNTIME_DEADLINE_EXCEEDED', 'KUBELET_LOG_NAME_RESERVED']) {
    assert.ok(r.findings.some((f) => f.rule === rule && f.status === 'fail'), `the capture has ${rule}`);
    assert.ok(inIncident(r, top.id, rule), `${rule} is explained by the deadlock`);
  }
  assert.ok(top.findings.consequences.includes('CONTAINERD_GOROUTINES:task-create-waiting'));
  // the pods: each pod whose pause init is parked (from the tree), named
  const parked = s.tree.data!.processes.filter((p) => p.role === 'runc-init').map((p) => `${p.pod!.namespace}/${p.pod!.name}`);
  assert.equal(parked.length, 3);
  for (const pod of parked) assert.ok(top.pods.includes(pod), pod);
  assert.match(top.nextStep ?? '', /restart containerd/);
  assert.match(top.fix ?? '', /1\.6\.3/);
  assert.match(top.fix ?? '', /\[metrics\] address/);
  assert.ok(top.references.includes('https://github.com/containerd/containerd/issues/6772'));
  // conclusive at any age: the dump was taken seconds into the deadlock
  const g = s.containerd.goroutines!.data!.dumps.flatMap((d) => d.findings);
  assert.ok(g.every((x) => x.waitMaxMinutes === 0), 'every wait in this dump is under a minute');
});

test('the same node without its goroutine dump: containerd never starts tasks (likely), and the next step takes the dump', () => {
  const s = load(SEED);
  delete s.containerd.goroutines;
  const r = reportOf(s);
  const top = r.incidents[0];
  assert.equal(top.id, 'CONTAINERD_TASKS_NEVER_START');
  assert.equal(top.certainty, 'likely');
  assert.equal(top.nextStep, 'take containerd\'s goroutine dump (ctrdoc goroutines --address /var/lib/ctrdoc-lab/debug.sock, or --pid 24775 --signal): where Tasks.Create/Start waits');
  const withDump = reportOf(load(SEED)).incidents[0];
  assert.deepEqual([...top.pods].sort(), [...withDump.pods].sort(), 'the same pods either way');
});

test('every failing finding is in exactly one incident, the others in none; keys and incident ids are unique', () => {
  for (const name of ALL) {
    const r = reportOf(load(name));
    const keys = r.findings.map((f) => f.key);
    assert.equal(new Set(keys).size, keys.length, `${name}: unique keys`);
    assert.equal(new Set(r.incidents.map((i) => i.id)).size, r.incidents.length, `${name}: unique incident ids`);
    const held = r.incidents.flatMap((i) => [...i.findings.root, ...i.findings.evidence, ...i.findings.consequences]);
    assert.equal(new Set(held).size, held.length, `${name}: no finding in two incidents`);
    const failing = r.findings.filter((f) => f.status === 'fail').map((f) => f.key);
    assert.deepEqual([...held].sort(), [...failing].sort(), `${name}: every failing finding is held`);
    for (const f of r.findings) assert.equal(!!f.incident, f.status === 'fail', `${name}: ${f.key}`);
    // worst first
    const ranks = r.incidents.map((i) => ['critical', 'warning', 'info'].indexOf(i.severity));
    assert.deepEqual(ranks, [...ranks].sort((a, b) => a - b), name);
  }
});

test('the faulted lab: the seed look-alike is one incident for its pod; a leaked runc container that is also a stuck init is one', () => {
  const r = reportOf(load('1.6.20/faulted'));
  const tasks = r.incidents.find((i) => i.id === 'CONTAINERD_TASKS_NEVER_START')!;
  assert.ok(tasks, 'hung-start reads as containerd never starting tasks');
  assert.equal(r.incidents[0], tasks, 'first: it holds a pod and the most findings');
  const hung = r.findings.filter((f) => f.status === 'fail' && f.subject?.pod?.startsWith('ctrdoc-lab/hung-start-'));
  assert.deepEqual(hung.map((f) => f.rule).sort(), ['CRI_CONTAINER_NEVER_STARTED', 'RUNC_REPEATED_INIT', 'RUNC_STUCK_INIT']);
  for (const f of hung) assert.equal(f.incident, tasks.id, f.key);
  const leaked = r.incidents.find((i) => i.id === 'RUNC_CONTAINER_LEAKED')!;
  const stuckLeaked = r.findings.find((f) => f.rule === 'RUNC_STUCK_INIT' && f.subject?.containerId?.startsWith('ctrdoc-fault-stuck-'))!;
  assert.equal(stuckLeaked.incident, leaked.id, 'the stuck init of a container containerd does not know is the leak, not containerd\'s hang');
  assert.ok(leaked.findings.consequences.includes(stuckLeaked.key));
  assert.equal(leaked.severity, 'critical', 'the worst of its findings');
  // the three DeadlineExceeded episodes land together, under the hang they describe
  assert.ok(inIncident(r, tasks.id, 'KUBELET_LOG_RUNTIME_DEADLINE_EXCEEDED'));
  // findings no cause explains are incidents of their own, named by their rule
  const crash = r.incidents.find((i) => i.id === 'CRI_CRASHLOOP')!;
  assert.equal(crash.certainty, 'observed');
  assert.deepEqual(crash.pods.map((p) => p.split('-')[0]), ['ctrdoc']);
});

test('a stopped runc init while containerd starts it: the stopped init is the cause; Tasks.Start waiting on the shim and the never-started container sit under it', () => {
  const s = load('1.6.20/stopped-init');
  // the capture is what the script says: runc init in T, runc start waiting for it
  const init = s.tree.data!.processes.find((p) => p.role === 'runc-init')!;
  assert.equal(init.stat, 'T');
  const r = reportOf(s);
  const top = r.incidents[0];
  assert.equal(top.id, 'RUNC_INIT_STOPPED');
  assert.equal(top.layer, 'runc');
  assert.equal(top.findings.root.length, 1);
  assert.match(top.findings.root[0], /^RUNC_PROCESS_STATE@/);
  assert.match(top.nextStep ?? '', new RegExp(`kill -CONT ${init.pid}\\b`));
  assert.deepEqual(top.pods, [`${init.pod!.namespace}/${init.pod!.name}`]);
  assert.ok(inIncident(r, top.id, 'CRI_CONTAINER_NEVER_STARTED'));
  assert.ok(inIncident(r, top.id, 'CONTAINERD_GOROUTINES'), 'the waiting Start is explained by the stopped init, not an incident of its own');
  assert.ok(!r.incidents.some((i) => i.id === 'CONTAINERD_TASKS_WAITING'));
});

test('a parked runc init the tree sees stopped (state T) is the cause of its container never starting, not containerd', () => {
  // the faulted capture, its hung-start init as the tree would show it had someone sent it SIGSTOP
  const s = load('1.6.20/faulted');
  const findings = evaluate(allRules, s).map((f) => (f.rule === 'RUNC_STUCK_INIT' && f.subject?.pod?.includes('hung-start-')
    ? { ...f, evidence: f.evidence.map((e) => e.replace(/\bstate: S\b/, 'state: T')) } : f));
  const d = diagnose(s, findings);
  const stopped = d.incidents.find((i) => i.id === 'RUNC_INIT_STOPPED')!;
  assert.ok(stopped, 'the stopped init is an incident');
  assert.equal(stopped.layer, 'runc');
  const key = (rule: string) => d.keys[findings.findIndex((f) => f.rule === rule && f.status === 'fail' && f.subject?.pod?.includes('hung-start-'))];
  assert.deepEqual(stopped.findings.root, [key('RUNC_STUCK_INIT')]);
  assert.ok(stopped.findings.consequences.includes(key('CRI_CONTAINER_NEVER_STARTED')), 'its container never started because of it');
  assert.ok(stopped.findings.consequences.includes(key('RUNC_REPEATED_INIT')));
  assert.ok(!d.incidents.some((i) => i.id === 'CONTAINERD_TASKS_NEVER_START'), 'containerd is not blamed for it');
  assert.match(stopped.nextStep ?? '', /kill -CONT/);
});

test('a stopped containerd: one incident, first, whose consequences are CRI timing out and kubelet\'s log', () => {
  const r = reportOf(load('1.6.20/frozen-containerd'));
  const top = r.incidents[0];
  assert.equal(top.id, 'CONTAINERD_NOT_SERVING');
  assert.deepEqual(top.findings.root.map((k) => k.split('@')[0]), ['CONTAINERD_PROCESS']);
  for (const rule of ['CRI_UNRESPONSIVE', 'KUBELET_LOG_RUNTIME_DEADLINE_EXCEEDED', 'KUBELET_LOG_PLEG_UNHEALTHY', 'KUBELET_LOG_NAME_RESERVED']) {
    assert.ok(r.findings.some((f) => f.rule === rule && f.status === 'fail'), `the capture has ${rule}`);
    assert.ok(inIncident(r, top.id, rule), rule);
  }
  assert.match(top.proof[0], /^containerd \(pid \d+\) is stopped \(T: SIGSTOP or a debugger\)$/);
  assert.match(top.nextStep ?? '', /kill -CONT \d+/, 'the root finding\'s own next step, with the pid');
});

test('the report as it leaves the node (redacted) still joins: every key an incident names is a finding\'s key', async () => {
  const { redactedReport } = await import('../../src/report/doctor-output.ts');
  for (const name of ALL) {
    const r = redactedReport(reportOf(load(name)));
    const keys = new Set(r.findings.map((f) => f.key));
    for (const i of r.incidents) for (const k of [...i.findings.root, ...i.findings.evidence, ...i.findings.consequences]) assert.ok(keys.has(k), `${name}: ${k}`);
  }
});

test('a killed shim: one incident naming the pod it served (NotReady), its log lines under it', () => {
  const s = load('1.6.20/dead-shim');
  const killed = readFileSync(join(CAPTURES, '1.6.20', 'dead-shim', 'killed-pod.txt'), 'utf8').trim();
  const r = reportOf(s);
  const died = r.incidents.find((i) => i.id === 'SHIM_DIED')!;
  assert.ok(died, 'the shim\'s death is an incident');
  assert.deepEqual(died.pods, [killed]);
  assert.equal(s.cri.pods.data!.find((p) => `${p.metadata.namespace}/${p.metadata.name}` === killed)?.state, 'SANDBOX_NOTREADY');
  assert.deepEqual(died.findings.root.map((k) => k.split('@')[0]), ['CONTAINERD_LOG_TTRPC_CLOSED']);
  assert.ok(inIncident(r, died.id, 'CONTAINERD_LOG_SHIM_DISCONNECTED'), 'the disconnect lines that name its ids are its consequence');
});

test('--pod: the incidents again, of that pod\'s findings and the stack\'s', () => {
  const s = load('1.6.20/faulted');
  const r = reportOf(s);
  const pod = s.cri.pods.data!.find((p) => p.metadata.name.startsWith('crashloop-'))!;
  const f = focusOnPod(r, s, pod.metadata.name);
  assert.ok(f.incidents.some((i) => i.id === 'CRI_CRASHLOOP'));
  assert.ok(!f.incidents.some((i) => i.id === 'SHIM_RESOURCE_OUTLIER'), 'another pod\'s incident is left out');
  assert.ok(f.incidents.some((i) => i.id === 'CGROUP_DRIVER_MISMATCH'), 'the stack\'s stays');
  const kept = new Set(f.findings.map((x) => x.key));
  for (const i of f.incidents) for (const k of [...i.findings.root, ...i.findings.evidence, ...i.findings.consequences]) assert.ok(kept.has(k), k);
  for (const x of f.findings) assert.equal(x.key, r.findings.find((y) => y.key === x.key)?.key, 'keys stay those of the whole report');
});

// --- the joins, on hand-made findings and a hand-made tree ---------------------------------

const P1 = 'a'.repeat(64);
const P2 = 'b'.repeat(64);
const C1 = 'c'.repeat(64);
const C1B = 'd'.repeat(64);

function tp(pid: number, pod: string, container?: { id: string; name: string }): TreeProcess {
  return { pid, ppid: 1, depth: 1, parent: 1, role: 'app', stat: 'S', cpuPercent: 0, rssKb: 1, threads: 1, ageSec: 5, starttime: 1, comm: 'x', command: 'x',
    pod: { namespace: 'ns', name: pod === P1 ? 'one' : 'two', sandboxId: pod }, ...(container ? { container: { id: container.id, name: container.name } } : {}) };
}

function joinSnapshot(): Snapshot {
  const s = emptySnapshot();
  s.cri.pods = ok('cri.pods', [P1, P2].map((id, n) => ({ id, metadata: { name: n ? 'two' : 'one', namespace: 'ns', uid: `u${n}`, attempt: 0 }, state: 'SANDBOX_READY', createdAt: '0', labels: {}, annotations: {}, runtimeHandler: '' }))) as Snapshot['cri']['pods'];
  const tree: ProcessTreeView = {
    builtAt: '', facts: [], thresholds: { stuckInitSec: 60 }, inputs: { proc: true, runc: true, cri: true, tasks: true, bundles: true, shimProbes: true },
    processes: [tp(10, P1, { id: C1, name: 'app' }), tp(11, P1, { id: C1, name: 'app' }), tp(20, P2, { id: 'e'.repeat(64), name: 'app' })],
    shims: [{ pid: 9, starttime: 1, pod: { namespace: 'ns', name: 'one', sandboxId: P1 }, state: 'S', children: [10], containers: [C1], hasPause: true, cpuPercent: 0, rssKb: 1, threads: 1, ageSec: 5, subreaper: { value: null, how: '' } }],
  };
  s.tree = ok('tree', tree);
  return s;
}

const fnd = (rule: string, subject?: Finding['subject'], evidence: string[] = []): Finding =>
  ({ rule, layer: 'runc', severity: 'warning', status: 'fail', title: rule, summary: `${rule} hit`, subject, evidence });

const RULES = ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H'];
const testCauses = () => compileCauseTable({
  causes: [
    { id: 'ROOT', layer: 'runc', certainty: 'proven', title: 'the root', short: 'the root', references: [], nextStep: 'look at {runcRoot}',
      match: [{ rule: 'A' }],
      explains: [{ rule: 'B', join: 'pod' }, { rule: 'C', join: 'container' }, { rule: 'D', join: 'pid' }, { rule: 'E', join: 'mentions' }, { rule: 'F', join: 'anyPod' }] },
    { id: 'NEXT', layer: 'shim', certainty: 'likely', title: 'a cause B is', short: 'next', references: [], match: [{ rule: 'B' }], explains: [{ rule: 'G', join: 'node' }] },
  ],
}, 'test.json', { ruleIds: new Set(RULES), signatures: new Set() });

test('joins through the tree: pod, pod container (another attempt\'s id), pid, mentions, anyPod, and links followed from what was taken', () => {
  const s = joinSnapshot();
  const findings = [
    fnd('A', { pid: 10 }), // the root: pid 10 is pod one's container app, through the tree
    fnd('B', { pod: 'ns/one' }), // same pod, by name → taken, and a cause of its own (NEXT)
    fnd('B', { pod: 'ns/two' }), // another pod → not
    fnd('C', { podSandboxId: P1, container: 'app', containerId: C1B }), // kubelet's next attempt of that container → taken
    fnd('D', { pid: 11 }), // another process of that container → taken (pid join through the container)
    fnd('D', { pid: 20 }), // a process of pod two → not
    fnd('E', { path: '/log' }, [`log: something about ${P1}`]), // names pod one's sandbox id → taken
    fnd('E', { path: '/log' }, [`log: something about ${P2}`]), // names pod two → not
    fnd('F', { pod: 'ns/two' }), // about some pod → taken (anyPod)
    fnd('F'), // about no pod → not
    fnd('G'), // taken: B was, and B's cause explains G anywhere
    fnd('H', { pid: 11 }), // no link: its own incident
  ];
  const d = diagnose(s, findings, undefined, testCauses());
  const root = d.incidents.find((i) => i.id === 'ROOT')!;
  const taken = new Set([...root.findings.root, ...root.findings.consequences]);
  const expected = [0, 1, 3, 4, 6, 8, 10].map((n) => d.keys[n]);
  assert.deepEqual([...taken].sort(), expected.sort());
  assert.equal(root.nextStep, 'look at /run/containerd/runc/k8s.io', 'template variables filled from the Snapshot');
  assert.deepEqual(root.pods, ['ns/one', 'ns/two'], 'the root\'s pod first');
  // what is left: B (pod two) becomes NEXT's incident with G gone already; the rest by rule
  assert.deepEqual(d.incidents.map((i) => i.id).sort(), ['D', 'E', 'F', 'H', 'NEXT', 'ROOT']);
  assert.deepEqual(d.incidents.find((i) => i.id === 'NEXT')!.findings.root, [d.keys[2]]);
});

test('findings no cause explains: several rules about one container are one incident, rooted at the worst; repeats of one rule are one', () => {
  const s = joinSnapshot();
  const findings = [
    { ...fnd('H', { podSandboxId: P1, container: 'app', containerId: C1 }), severity: 'critical' as const, layer: 'runc' as const },
    { ...fnd('G', { pid: 11 }), layer: 'node' as const }, // pid 11 is that container's process
    fnd('F', { path: '/log' }),
    fnd('F', { path: '/log' }),
  ];
  const d = diagnose(s, findings, undefined, testCauses());
  assert.deepEqual(d.keys, ['H@ccccccccccccc', 'G@pid:11', 'F@/log', 'F@/log#2']);
  const h = d.incidents.find((i) => i.id === 'H')!;
  assert.deepEqual(h.findings.root, ['H@ccccccccccccc']);
  assert.deepEqual(h.findings.consequences, ['G@pid:11']);
  assert.equal(h.certainty, 'observed');
  assert.deepEqual(d.incidents.find((i) => i.id === 'F')!.findings.root, ['F@/log', 'F@/log#2']);
  assert.equal(d.incidents[0].id, 'H', 'critical first');
});

test('a causes table with a mistake is refused, naming the cause and what is wrong', () => {
  const ctx = { ruleIds: new Set(['A', 'CONTAINERD_GOROUTINES']), signatures: new Set(['lock-cycle']) };
  const base = { id: 'X', layer: 'runc', certainty: 'proven', title: 't', short: 's', references: [], match: [{ rule: 'A' }] };
  const cases: [unknown, RegExp][] = [
    [{}, /must be a JSON object \{"causes"/],
    [{ causes: [null] }, /entry 0 is not an object/],
    [{ causes: [{ ...base, id: 'lower' }] }, /id must be UPPER_SNAKE/],
    [{ causes: [base, base] }, /cause "X": duplicate id/],
    [{ causes: [{ ...base, id: 'A' }] }, /duplicate id \(or the id of a rule\)/],
    [{ causes: [{ ...base, extra: 1 }] }, /cause "X": unknown field "extra"/],
    [{ causes: [{ ...base, layer: 'disk' }] }, /layer must be one of/],
    [{ causes: [{ ...base, certainty: 'maybe' }] }, /certainty must be proven or likely/],
    [{ causes: [{ ...base, short: 'x'.repeat(61) }] }, /short must be text of at most 60/],
    [{ causes: [{ ...base, id: 'X'.repeat(25), short: 'x'.repeat(60) }] }, /is over 80 characters \(the NPD line\)/],
    [{ causes: [{ ...base, match: [] }] }, /match must name at least one rule/],
    [{ causes: [{ ...base, match: [{ rule: 'NOPE' }] }] }, /cause "X" match\[0\]: no rule "NOPE"/],
    [{ causes: [{ ...base, match: [{ rule: 'A', signature: 'lock-cycle' }] }] }, /signature is only for CONTAINERD_GOROUTINES/],
    [{ causes: [{ ...base, match: [{ rule: 'CONTAINERD_GOROUTINES', signature: 'nope' }] }] }, /no goroutine signature "nope"/],
    [{ causes: [{ ...base, explains: [{ rule: 'A', join: 'sideways' }] }] }, /join "sideways" is not one of/],
    [{ causes: [{ ...base, match: [{ rule: 'A', join: 'pod' }] }] }, /a match can only say join node or anyPod/],
    [{ causes: [{ ...base, explains: [{ rule: 'A', text: '(' }] }] }, /text does not compile/],
    [{ causes: [{ ...base, nextStep: 'run {podNmae}' }] }, /nextStep names \{podNmae\}/],
    [{ causes: [{ ...base, references: ['javascript:alert(1)'] }] }, /references must be a list of https links/],
  ];
  for (const [file, message] of cases) {
    assert.throws(() => compileCauseTable(file, 'rules/incidents.json', ctx), (e: Error & { kind?: string }) => {
      assert.equal(e.kind, 'bad-input');
      assert.match(e.message, /^rules\/incidents\.json: /);
      assert.match(e.message, message);
      return true;
    }, String(message));
  }
});

test('the shipped table loads against the shipped rules, and each cause has what a person needs', () => {
  const causes = shippedCauseTable();
  assert.ok(causes.length >= 20);
  for (const c of causes) {
    assert.ok(c.nextStep || c.match.length, c.id);
    assert.ok(c.short.length <= 60, c.id);
  }
  // the most fundamental first: a broken config stops containerd, which explains the rest
  const order = causes.map((c) => c.id);
  assert.ok(order.indexOf('CONTAINERD_CONFIG_BROKEN') < order.indexOf('CONTAINERD_NOT_SERVING'));
  assert.ok(order.indexOf('CONTAINERD_DEADLOCK_6772') < order.indexOf('CONTAINERD_6772_LIKELY'));
  assert.ok(order.indexOf('CONTAINERD_6772_LIKELY') < order.indexOf('CONTAINERD_TASKS_NEVER_START'));
});

test('property: whatever findings arrive (any subset, any order, hostile text), each failing one lands in exactly one incident', () => {
  const s = load(SEED);
  const all = evaluate(allRules, s);
  fc.assert(fc.property(
    fc.subarray(all.map((_, n) => n)).chain((idx) => fc.shuffledSubarray(idx, { minLength: idx.length, maxLength: idx.length })),
    fc.array(fc.string({ maxLength: 80 }), { maxLength: 3 }),
    (order, junk) => {
      const findings = order.map((n, k) => (k % 3 === 0 && junk.length ? { ...all[n], evidence: [...all[n].evidence, ...junk] } : all[n]));
      const keys = findingKeys(findings, s);
      const d = diagnose(s, findings, keys);
      const held = d.incidents.flatMap((i) => [...i.findings.root, ...i.findings.evidence, ...i.findings.consequences]);
      assert.equal(new Set(held).size, held.length);
      assert.deepEqual(held.sort(), findings.flatMap((f, n) => (f.status === 'fail' ? [keys[n]] : [])).sort());
      assert.equal(new Set(keys).size, keys.length);
    },
  ), { numRuns: 60 });
});
