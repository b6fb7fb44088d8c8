// The watch's other pure parts: incidents opening and closing between diagnoses, when a
// diagnosis is due, what one keeps for the next, the names book, the --pod filter, and the two
// renderings of a line (text, one line whatever it carries; JSON lines that parse back).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import type { Incident } from '../../src/incidents/index.ts';
import type { Snapshot } from '../../src/snapshot/types/index.ts';
import type { WatchLine } from '../../src/snapshot/types/watch.ts';
import { incidentChanges } from '../../src/watch/incident-changes.ts';
import { DEFAULT_DIAGNOSIS_POLICY, diagnosisDue } from '../../src/watch/schedule.ts';
import { ProbeKeeper, keepKeyOf } from '../../src/watch/keep.ts';
import { NameBook, namesFromContainerdLabels, namesFromCri, namesFromRunc } from '../../src/watch/names.ts';
import { lineMatchesPod } from '../../src/watch/watcher.ts';
import { renderWatchLine, watchWho } from '../../src/report/watch-line.ts';
import { formatAge } from '../../src/watch/age.ts';

const T0 = Date.parse('2026-12-03T12:00:00Z');

function incident(id: string, severity: Incident['severity'], pods: string[] = []): Incident {
  return {
    id, cause: id, title: `${id} title`, short: `${id} short`, severity, layer: 'containerd', certainty: 'proven', pods, proof: [], references: [],
    findings: { root: [], evidence: [], consequences: [] },
  };
}

test('incidents: opened with their cause and pods, severity changes, closed with how long they were open', () => {
  const first = incidentChanges(undefined, [incident('CONTAINERD_HUNG', 'critical', ['ns/a', 'ns/b'])], T0);
  assert.deepEqual(first.lines.map((l) => [l.kind, l.severity, l.message]), [['incident-open', 'critical', 'CRITICAL CONTAINERD_HUNG short (2 pods: ns/a, ns/b)']], 'what is so at start opens at once');
  assert.equal(first.lines[0].incident?.id, 'CONTAINERD_HUNG');
  const same = incidentChanges(first.open, [incident('CONTAINERD_HUNG', 'critical', ['ns/a', 'ns/b'])], T0 + 30_000, first.found);
  assert.deepEqual(same.lines, [], 'the same incidents again: nothing to say');
  const found = [incident('CONTAINERD_HUNG', 'warning'), incident('SHIM_DIED', 'warning', ['ns/c'])];
  const once = incidentChanges(same.open, found, T0 + 60_000, same.found);
  assert.deepEqual(once.lines, [], 'found by one diagnosis: not yet');
  assert.equal(once.pending, 2);
  assert.deepEqual([...once.open.values()].map((i) => `${i.id} ${i.severity}`), ['CONTAINERD_HUNG critical'], 'what was open stays as it was');
  const worse = incidentChanges(once.open, found, T0 + 70_000, once.found);
  assert.deepEqual(worse.lines.map((l) => l.kind), ['incident-update', 'incident-open']);
  assert.equal(worse.pending, 0);
  assert.match(worse.lines[0].message, /^critical -> warning: CONTAINERD_HUNG short/);
  const closed = incidentChanges(worse.open, [], T0 + 100_000, worse.found);
  assert.deepEqual(closed.lines.map((l) => l.message), ['closed after 1m40s: CONTAINERD_HUNG short', 'closed after 30s: SHIM_DIED short (1 pod: ns/c)']);
});

test('incidents: one a single diagnosis caught mid-change (a pod being removed) and the next does not find never opens', () => {
  const start = incidentChanges(undefined, [], T0);
  const caught = incidentChanges(start.open, [incident('RUNC_STATE_UNREADABLE', 'warning', ['ns/churn'])], T0 + 5000, start.found);
  const gone = incidentChanges(caught.open, [], T0 + 10_000, caught.found);
  assert.deepEqual([...caught.lines, ...gone.lines], []);
  assert.equal(gone.open.size, 0);
  // pods come and go all day: the same rule caught on another pod each time is no incident either
  const other = incidentChanges(gone.open, [incident('SHIM_HUNG', 'critical', ['ns/churn-1'])], T0 + 15_000, gone.found);
  const again = incidentChanges(other.open, [incident('SHIM_HUNG', 'critical', ['ns/churn-2'])], T0 + 20_000, other.found);
  assert.deepEqual([...other.lines, ...again.lines], []);
  const stays = incidentChanges(again.open, [incident('SHIM_HUNG', 'critical', ['ns/churn-2', 'ns/b'])], T0 + 25_000, again.found);
  assert.deepEqual(stays.lines.map((l) => l.message), ['CRITICAL SHIM_HUNG short (2 pods: ns/churn-2, ns/b)'], 'a pod in common: the same incident');
});

test('property: the open set is what two diagnoses in a row found (the first at once), and each id opens and closes once', () => {
  const ids = fc.uniqueArray(fc.constantFrom('A', 'B', 'C', 'D'), { maxLength: 4 });
  fc.assert(fc.property(fc.array(ids, { minLength: 1, maxLength: 8 }), (runs) => {
    let r: ReturnType<typeof incidentChanges> | undefined;
    const opened = new Map<string, number>();
    const closed = new Map<string, number>();
    const count = (m: Map<string, number>, id: string) => m.set(id, (m.get(id) ?? 0) + 1);
    runs.forEach((run, n) => {
      const prevOpen = r?.open;
      r = incidentChanges(r?.open, run.map((id) => incident(id, 'warning')), T0 + n * 1000, r?.found);
      for (const l of r.lines) count(l.kind === 'incident-open' ? opened : closed, l.incident!.id);
      const expected = n === 0 ? run : run.filter((id) => runs[n - 1].includes(id) || prevOpen?.has(id));
      assert.deepEqual([...r.open.keys()].sort(), [...expected].sort());
    });
    // each id opened once more than it closed, if it is open at the end; as often otherwise
    for (const id of ['A', 'B', 'C', 'D']) assert.equal((opened.get(id) ?? 0) - (closed.get(id) ?? 0), r?.open.has(id) ? 1 : 0);
  }));
});

test('diagnosis schedule: at once, then every 60 s or soon after a change; slower and further apart while containerd does not answer', () => {
  const p = DEFAULT_DIAGNOSIS_POLICY;
  assert.equal(diagnosisDue({ running: false }, T0, p), true, 'the first at once');
  const ran = { running: false, lastStartedAt: T0, lastEndedAt: T0 + 200 };
  assert.equal(diagnosisDue({ ...ran, running: true }, T0 + 120_000, p), false, 'never two at once');
  assert.equal(diagnosisDue(ran, T0 + 30_000, p), false);
  assert.equal(diagnosisDue(ran, T0 + 60_000, p), true);
  assert.equal(diagnosisDue({ ...ran, changedAt: T0 + 5000 }, T0 + 5500, p), false, 'a change settles first');
  assert.equal(diagnosisDue({ ...ran, changedAt: T0 + 5000 }, T0 + 6000, p), false, 'at least minGap after the last');
  assert.equal(diagnosisDue({ ...ran, changedAt: T0 + 5000 }, T0 + 10_200, p), true);
  const down = { ...ran, answering: false };
  assert.equal(diagnosisDue(down, T0 + 60_000, p), false, 'while containerd does not answer, every 4 min');
  assert.equal(diagnosisDue(down, T0 + 240_000, p), true);
  assert.equal(diagnosisDue({ ...down, changedAt: T0 + 1000 }, T0 + 20_000, p), false, 'and 30 s apart at least');
  assert.equal(diagnosisDue({ ...down, changedAt: T0 + 1000 }, T0 + 30_200, p), true);
  assert.equal(diagnosisDue(ran, T0 + 3_600_000, { ...p, everyMs: 0 }), false, 'everyMs 0: only on change');
});

const result = <T>(probe: string, data: T) => ({ probe, status: 'ok' as const, durationMs: 1, data });

test('kept results: containerd\'s version and plugins while the same daemon runs, its config while the file is unchanged', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ctrdoc-watch-keep-'));
  try {
    const cfg = join(dir, 'config.toml');
    writeFileSync(cfg, 'version = 2\n');
    const s = {
      containerd: { version: result('containerd.version', { version: '1.6.20' }), plugins: result('containerd.plugins', []), config: result('containerd.config', { dumpOk: true }) },
      cri: { version: { probe: 'cri.version', status: 'timeout', durationMs: 2000 } },
    } as unknown as Snapshot;
    const k = new ProbeKeeper();
    const first = k.reuseFor(keepKeyOf(100, cfg));
    assert.equal(first('containerd.version'), undefined, 'nothing kept before the first collection');
    k.keep(s);
    const again = k.reuseFor(keepKeyOf(100, cfg));
    assert.equal(again('containerd.version')?.status, 'ok');
    assert.equal(again('containerd.config')?.status, 'ok');
    assert.equal(again('cri.version'), undefined, 'a timeout is asked again');
    assert.equal(again('cri.pods'), undefined, 'lists are never kept');
    utimesSync(cfg, new Date(), new Date(Date.now() + 5000));
    const edited = k.reuseFor(keepKeyOf(100, cfg));
    assert.equal(edited('containerd.config'), undefined, 'the file changed: read it again');
    assert.equal(edited('containerd.version')?.status, 'ok');
    const restarted = k.reuseFor(keepKeyOf(101, cfg));
    assert.equal(restarted('containerd.version'), undefined, 'another daemon: nothing kept');
    assert.equal(k.reuseFor(keepKeyOf(undefined, cfg))('containerd.version'), undefined, 'no daemon known: nothing kept');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('names: runc\'s labels, CRI\'s lists and containerd\'s labels merge; a container gets its pod from its sandbox; old ids are forgotten', () => {
  const b = new NameBook();
  b.learn([['c1', namesFromRunc('c1', { containerType: 'container', containerName: 'app', sandboxId: 's1' })]], T0);
  assert.deepEqual(b.lookup('c1'), { podSandboxId: 's1', container: 'app' });
  b.learn([['s1', namesFromRunc('s1', { containerType: 'sandbox', sandboxName: 'web-0', sandboxNamespace: 'ns' })]], T0);
  assert.deepEqual(b.lookup('c1'), { podSandboxId: 's1', container: 'app', pod: 'ns/web-0' });
  b.learn(namesFromCri(
    [{ id: 's1', metadata: { name: 'web-0', namespace: 'ns', uid: 'u', attempt: 0 }, state: 'SANDBOX_READY', createdAt: '0', labels: {}, annotations: {}, runtimeHandler: '' }],
    [{ id: 'c1', podSandboxId: 's1', metadata: { name: 'app', attempt: 3 }, image: { image: '' }, imageRef: '', state: 'CONTAINER_RUNNING', createdAt: '0', labels: {}, annotations: {} }],
  ), T0 + 1000);
  assert.equal(b.lookup('c1')?.attempt, 3);
  b.learn(namesFromContainerdLabels([{ id: 'c9', image: '', runtime: '', snapshotter: '', createdAt: '', updatedAt: '', labels: { 'io.kubernetes.pod.name': 'web-1', 'io.kubernetes.pod.namespace': 'ns', 'io.kubernetes.container.name': 'side', 'io.cri-containerd.kind': 'container' } }]), T0 + 2000);
  assert.deepEqual(b.lookup('c9'), { pod: 'ns/web-1', container: 'side' });
  // a later source that does not know a field leaves it
  b.learn([['c1', { pod: undefined, container: undefined }]], T0 + 3000);
  assert.equal(b.lookup('c1')?.container, 'app');
  b.prune(T0 + 2500);
  assert.equal(b.get('s1'), undefined);
  assert.ok(b.get('c1'));
  assert.equal(b.size, 1);
});

const line = (o: Partial<WatchLine>): WatchLine => ({ time: '2026-12-03T12:00:00.000Z', kind: 'task-exit', source: 'containerd', message: 'task exited with status 1 (pid 42)', ...o });

test('--pod: a pod\'s lines by sandbox id (or its start), name or namespace/name; the stack\'s own lines always', () => {
  const mine = line({ pod: 'ns/web-0', podSandboxId: 'abcdef0123', containerId: 'c1' });
  const other = line({ pod: 'ns/web-1', podSandboxId: 'fedcba', containerId: 'c2' });
  const stack = line({ kind: 'containerd-unresponsive', source: 'api', message: 'containerd 1 does not answer' });
  const unnamed = line({ containerId: 'c3' });
  for (const pod of ['abcdef', 'web-0', 'ns/web-0']) {
    assert.deepEqual([mine, other, stack, unnamed].map((l) => lineMatchesPod(l, pod)), [true, false, true, false], pod);
  }
});

test('text: one line each, WHO from pod, container and attempt; JSON lines parse back to the same line', () => {
  const l = line({ pod: 'ns/web-0', container: 'app', attempt: 2, containerId: 'c'.repeat(64), pid: 42, exitStatus: 1, topic: '/tasks/exit', severity: 'warning' });
  assert.equal(renderWatchLine(l, 'text'), '2026-12-03T12:00:00.000Z task-exit               ns/web-0 app#2: task exited with status 1 (pid 42)\n');
  assert.equal(watchWho({ ...l, container: undefined, attempt: undefined, sandbox: true }), 'ns/web-0 (sandbox)');
  assert.equal(watchWho({ ...l, pod: undefined, container: undefined }), 'ccccccccccccc');
  assert.equal(watchWho(line({})), '');
  assert.match(renderWatchLine(l, 'text', { color: true }), /\x1b\[33;1mtask-exit/);
  const json = renderWatchLine(l, 'json');
  assert.deepEqual(JSON.parse(json), l);
  assert.deepEqual(Object.keys(JSON.parse(json)).slice(0, 4), ['time', 'kind', 'source', 'severity']);
});

test('property: any line renders as exactly one text line and one JSON line that parses back', () => {
  const text = fc.string({ maxLength: 40, unit: fc.constantFrom('a', ' ', '\n', '\r', '\x1b', '[', '3', '1', 'm', '/', '\u00e9', '\t') });
  fc.assert(fc.property(text, fc.option(text, { nil: undefined }), fc.option(text, { nil: undefined }), (message, pod, container) => {
    const l = line({ message, ...(pod !== undefined ? { pod } : {}), ...(container !== undefined ? { container } : {}) });
    const t = renderWatchLine(l, 'text');
    assert.equal(t.indexOf('\n'), t.length - 1);
    assert.doesNotMatch(t.slice(0, -1), /[\x00-\x1f\x7f]/);
    const j = renderWatchLine(l, 'json');
    assert.equal(j.indexOf('\n'), j.length - 1);
    assert.deepEqual(JSON.parse(j), l);
  }));
});

test('ages: seconds, minutes, hours, days', () => {
  assert.deepEqual([0, 45, 60, 62, 3600, 3720, 86400, 90000, -5].map(formatAge), ['0s', '45s', '1m', '1m2s', '1h', '1h2m', '1d', '1d1h', '0s']);
});
