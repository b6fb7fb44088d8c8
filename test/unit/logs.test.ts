// Log scanning: pattern tables, timestamps, episodes, file tails and journald. kubelet and
// journald cannot run on this machine, so the fixtures under test/fixtures/logs hold lines in
// their real formats (see that folder's README); journald's transport is exercised with a
// stand-in journalctl script that prints a real-format `-o json` export, and with the real
// journalctl of this machine for a unit that does not exist.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync, openSync, writeSync, closeSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  compileLogTable, containerdLogTable, kubeletLogTable, kernelLogTable, lineTime, parseRfc3339,
  scanLogFile, scanJournal, scanText, parseJournalLine, EpisodeBuilder, MAX_MATCH_CHARS,
} from '../../src/sources/logs/index.ts';
import { CtrdocError } from '../../src/errors.ts';
import type { LogEpisode, LogScan } from '../../src/snapshot/types/index.ts';

const FIX = join(import.meta.dirname, '..', 'fixtures', 'logs');
const tmp = (): string => mkdtempSync(join(tmpdir(), 'ctrdoc-logs-'));
const byId = (scan: LogScan, id: string): LogEpisode[] => scan.episodes.filter((e) => e.pattern === id);

test('timestamps: logfmt with nanoseconds, JSON, RFC 3339 at start, klog and syslog year-less, dmesg ctime', () => {
  const ref = new Date(2026, 10, 27, 0, 0, 0).getTime();
  assert.equal(lineTime('time="2026-11-26T22:48:13.123456789Z" level=info msg="x"', ref), Date.UTC(2026, 10, 26, 22, 48, 13, 123));
  assert.equal(lineTime('time=2026-11-26T22:48:13+01:00 level=info', ref), Date.UTC(2026, 10, 26, 21, 48, 13));
  assert.equal(lineTime('{"level":"info","msg":"shim disconnected","time":"2026-11-26T22:48:13.5Z"}', ref), Date.UTC(2026, 10, 26, 22, 48, 13, 500));
  assert.equal(lineTime('2026-11-26T22:48:13.000001+00:00 node1 kubelet[1]: hi', ref), Date.UTC(2026, 10, 26, 22, 48, 13));
  assert.equal(lineTime('E1126 22:48:13.123456    1234 remote_runtime.go:193] "x"', ref), new Date(2026, 10, 26, 22, 48, 13, 123).getTime());
  assert.equal(lineTime('Nov 26 22:48:13 node1 kubelet[1234]: E1126 22:48:13.123456    1234 a.go:1] x', ref), new Date(2026, 10, 26, 22, 48, 13, 123).getTime());
  assert.equal(lineTime('Nov 26 22:48:13 node1 systemd[1]: Started kubelet', ref), new Date(2026, 10, 26, 22, 48, 13).getTime());
  assert.equal(lineTime('[Thu Nov 26 22:47:33 2026] oom-kill', ref), new Date(2026, 10, 26, 22, 47, 33).getTime());
  // a December klog line read in January belongs to the year before
  assert.equal(lineTime('I1231 23:59:59.000000    1 a.go:1] x', new Date(2027, 0, 1, 0, 5).getTime()), new Date(2026, 11, 31, 23, 59, 59).getTime());
  assert.equal(lineTime('no time here', ref), undefined);
  assert.equal(lineTime('', ref), undefined);
  assert.equal(lineTime('E1399 99:99:99.000000    1 a.go:1] bad month', ref), undefined);
  assert.equal(parseRfc3339('2026-13-45T99:00:00Z'), undefined);
});

test('timestamps: any text gives a number or undefined, never throws (property)', () => {
  fc.assert(fc.property(fc.string({ maxLength: 300 }), (s) => {
    const t = lineTime(s, Date.now());
    assert.ok(t === undefined || Number.isFinite(t));
  }), { numRuns: 500 });
});

test('containerd logfmt fixture: episodes by pattern, the shim-disconnect lines with an id are one episode, metrics gap splits', async () => {
  const scan = await scanLogFile(join(FIX, 'containerd-1.6.log'), { table: containerdLogTable() });
  assert.equal(scan.source, `file:${join(FIX, 'containerd-1.6.log')}`);
  assert.equal(scan.linesRead, 17);
  assert.equal(scan.truncated, false);
  assert.equal(scan.from, '2026-11-26T22:40:01.000Z');
  assert.equal(scan.to, '2026-11-26T23:04:00.000Z');
  const shim = byId(scan, 'CONTAINERD_LOG_SHIM_DISCONNECTED');
  assert.equal(shim.length, 1);
  // `cleaning up dead shim` carries no id on 1.6: only the two lines that name the task count
  assert.equal(shim[0].count, 2);
  assert.deepEqual(shim[0].captures.id, ['5f1e0c2a9b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1']);
  assert.equal(shim[0].examples.length, 2);
  // no line around it says its task's exit was lost, nor that it was stopped: unexplained
  assert.deepEqual(shim[0].ids?.map((x) => [x.count, x.verdict]), [[2, 'unexplained']]);
  assert.deepEqual(shim[0].idVerdicts, { abnormal: 0, normal: 0, unexplained: 1, noId: 0 });
  assert.equal(byId(scan, 'CONTAINERD_LOG_TTRPC_CLOSED')[0].count, 1);
  // four lines 10 s apart, then 13.5 minutes of silence: two episodes
  const metrics = byId(scan, 'CONTAINERD_LOG_COLLECTING_METRICS_FAILED');
  assert.deepEqual(metrics.map((e) => e.count), [4, 1]);
  assert.equal(metrics[0].first, '2026-11-26T22:44:00.000Z');
  assert.equal(metrics[0].last, '2026-11-26T22:44:30.000Z');
  const reserved = byId(scan, 'CONTAINERD_LOG_NAME_RESERVED')[0];
  assert.deepEqual(reserved.captures.kind, ['sandbox']);
  assert.deepEqual(reserved.captures.name, ['web-0_default_3c5e2b9a-7d1f-4e0a-9b8c-1a2b3c4d5e6f_0']);
  assert.deepEqual(reserved.captures.owner, ['c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00']);
  assert.deepEqual(byId(scan, 'CONTAINERD_LOG_KILL_WAIT_TIMEOUT')[0].captures.id, ['77aa88bb99cc']);
  assert.equal(byId(scan, 'CONTAINERD_LOG_TOO_MANY_OPEN_FILES').length, 1);
  assert.equal(byId(scan, 'CONTAINERD_LOG_TASK_CLEANUP_FAILED').length, 1);
  assert.equal(byId(scan, 'CONTAINERD_LOG_CGROUP_UNEXPECTEDLY_FROZEN').length, 1);
  assert.ok(byId(scan, 'CONTAINERD_LOG_START_SHIM_FAILED')[0].count >= 2);
  assert.equal(scan.tail.length, 17);
  assert.match(scan.tail.at(-1)!, /unexpectedly frozen/);
});

test('kubelet klog fixture: DeadlineExceeded per RPC, PLEG old and new forms, reserve name, deprecation, version', async () => {
  const scan = await scanLogFile(join(FIX, 'kubelet-klog.log'), { table: kubeletLogTable(), refMs: new Date(2026, 10, 27).getTime() });
  const dl = byId(scan, 'KUBELET_LOG_RUNTIME_DEADLINE_EXCEEDED');
  // 22:48 and 22:50 (2 min apart) are one episode; 23:30 and 23:31 another
  assert.deepEqual(dl.map((e) => e.count), [2, 2]);
  assert.deepEqual(dl[0].captures.rpc, ['RunPodSandbox', 'StartContainer']);
  assert.deepEqual(dl[1].captures.rpc, ['StopPodSandbox', 'ExecSync']);
  const pleg = byId(scan, 'KUBELET_LOG_PLEG_UNHEALTHY');
  assert.deepEqual(pleg.map((e) => e.captures.ago), [['3m5.30015447s'], ['3m12.1s']]);
  assert.deepEqual(byId(scan, 'KUBELET_LOG_NAME_RESERVED')[0].captures.owner, ['c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00']);
  assert.equal(byId(scan, 'KUBELET_LOG_ENDPOINT_FLAG_DEPRECATED').length, 1);
  assert.deepEqual(byId(scan, 'KUBELET_LOG_STARTED')[0].captures.version, ['v1.28.3']);
  // "Failed to create sandbox for pod" repeats the error but is not an RPC failure line
  assert.equal(dl[0].examples.some((x) => x.includes('Failed to create sandbox')), false);
});

test('journald: a stand-in journalctl prints a real -o json export; times come from __REALTIME_TIMESTAMP', async () => {
  const dir = tmp();
  try {
    const fake = join(dir, 'journalctl');
    writeFileSync(fake, `#!/bin/sh\necho "$@" > ${join(dir, 'args')}\ncat ${join(FIX, 'kubelet-journal.json')}\n`);
    chmodSync(fake, 0o755);
    const scan = await scanJournal('kubelet', { table: kubeletLogTable(), journalctl: fake, since: '-2h' });
    assert.equal(scan.source, 'journald:kubelet');
    assert.equal(scan.linesRead, 4); // the non-JSON line is not an entry
    const dl = byId(scan, 'KUBELET_LOG_RUNTIME_DEADLINE_EXCEEDED');
    assert.equal(dl[0].first, '2026-11-26T22:48:13.123Z');
    assert.deepEqual(byId(scan, 'KUBELET_LOG_STARTED')[0].captures.version, ['v1.26.9']);
    assert.equal(byId(scan, 'KUBELET_LOG_CONTAINER_RUNTIME_FLAG_REMOVED').length, 1);
    const { readFileSync } = await import('node:fs');
    assert.match(readFileSync(join(dir, 'args'), 'utf8'), /-u kubelet -o json .*--no-pager -n 20000 --since -2h/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('journald: byte-array MESSAGE, missing fields, garbage', () => {
  assert.deepEqual(parseJournalLine('{"MESSAGE":[104,105],"__REALTIME_TIMESTAMP":"1000000"}'), { message: 'hi', timeMs: 1000 });
  assert.deepEqual(parseJournalLine('{"MESSAGE":"x"}'), { message: 'x', timeMs: undefined });
  assert.equal(parseJournalLine('{"MESSAGE":null}'), undefined);
  assert.equal(parseJournalLine('[1,2]'), undefined);
  assert.equal(parseJournalLine('{"MESSAGE":'), undefined);
  assert.equal(parseJournalLine(''), undefined);
});

test('journald: missing journalctl and an unknown unit are failed-precondition (skipped), with the reason', async () => {
  await assert.rejects(scanJournal('kubelet', { table: kubeletLogTable(), journalctl: '/nonexistent/journalctl' }),
    (e: CtrdocError) => e.kind === 'failed-precondition' && /journalctl not found/.test(e.message));
  // the real journalctl of this machine, for a unit that does not exist
  await assert.rejects(scanJournal('ctrdoc-no-such-unit-4242', { table: kubeletLogTable(), deadlineMs: 10_000 }),
    (e: CtrdocError) => (e.kind === 'failed-precondition' && /no entries for unit ctrdoc-no-such-unit-4242/.test(e.message)) || e.kind === 'unavailable');
});

test('journald: a journalctl that hangs is killed at the deadline; what came is kept', async () => {
  const dir = tmp();
  try {
    const fake = join(dir, 'journalctl');
    writeFileSync(fake, `#!/bin/sh\nhead -n 2 ${join(FIX, 'kubelet-journal.json')}\nexec sleep 30\n`);
    chmodSync(fake, 0o755);
    const scan = await scanJournal('kubelet', { table: kubeletLogTable(), journalctl: fake, deadlineMs: 300 });
    assert.equal(scan.truncated, true);
    assert.equal(scan.linesRead, 2);
    assert.match(scan.notes!.join('\n'), /did not finish within 300ms/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad input: empty file, missing file, a directory, binary garbage', async () => {
  const dir = tmp();
  try {
    writeFileSync(join(dir, 'empty.log'), '');
    const empty = await scanLogFile(join(dir, 'empty.log'), { table: containerdLogTable() });
    assert.deepEqual([empty.linesRead, empty.episodes.length, empty.from, empty.tail.length], [0, 0, '', 0]);
    await assert.rejects(scanLogFile(join(dir, 'nope.log'), { table: containerdLogTable() }), (e: CtrdocError) => e.kind === 'failed-precondition' && /does not exist/.test(e.message));
    await assert.rejects(scanLogFile(dir, { table: containerdLogTable() }), (e: CtrdocError) => e.kind === 'bad-input' && /not a regular file/.test(e.message));
    const garbage = Buffer.alloc(256 * 1024);
    for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 7919 + 13) & 0xff;
    writeFileSync(join(dir, 'bin.log'), Buffer.concat([garbage, Buffer.from('\ntime="2026-11-26T22:41:10Z" level=info msg="shim disconnected" id=abcdefabcdef1234\n')]));
    const bin = await scanLogFile(join(dir, 'bin.log'), { table: containerdLogTable() });
    assert.equal(byId(bin, 'CONTAINERD_LOG_SHIM_DISCONNECTED').length, 1);
    assert.match(bin.notes!.join('\n'), /NUL bytes/);
    assert.ok(bin.tail.every((l) => !l.includes('\0')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('huge: a 50 MiB log is read from its tail only (8 MiB), in bounded memory', async () => {
  const dir = tmp();
  try {
    const path = join(dir, 'big.log');
    const fd = openSync(path, 'w');
    const old = 'time="2026-11-26T10:00:00Z" level=info msg="shim disconnected" id=0000000000000000 namespace=k8s.io\n'.repeat(10_000);
    const filler = 'time="2026-11-26T12:00:00Z" level=info msg="loading plugin" type=io.containerd.grpc.v1 padding=xxxxxxxxxxxxxxxxxxxxxxxxx\n'.repeat(10_000);
    writeSync(fd, old);
    let written = Buffer.byteLength(old);
    while (written < 50 * 1024 * 1024) written += writeSync(fd, filler);
    writeSync(fd, 'time="2026-11-26T23:00:00Z" level=error msg="collecting metrics for abcdefabcdef0123" error="context deadline exceeded: unknown"\n');
    closeSync(fd);
    const before = process.memoryUsage().rss;
    const scan = await scanLogFile(path, { table: containerdLogTable(), deadlineMs: 60_000 });
    const grew = process.memoryUsage().rss - before;
    assert.equal(scan.truncated, true);
    assert.ok(scan.bytesRead <= 8 * 1024 * 1024, `read ${scan.bytesRead} bytes`);
    assert.match(scan.notes![0], /read the last 8 MiB of 50/);
    assert.equal(byId(scan, 'CONTAINERD_LOG_SHIM_DISCONNECTED').length, 0, 'the old head of the file is not read');
    assert.equal(byId(scan, 'CONTAINERD_LOG_COLLECTING_METRICS_FAILED').length, 1);
    assert.ok(grew < 200 * 1024 * 1024, `rss grew ${grew} bytes`);
    // the first line of the window is cut mid-line and dropped, so every line read is whole
    assert.ok(scan.tail.every((l) => l.startsWith('time=')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a 5 MB line without a newline is matched on its start and cut in the tail', async () => {
  const dir = tmp();
  try {
    const path = join(dir, 'long.log');
    writeFileSync(path, `time="2026-11-26T22:00:00Z" level=info msg="=== BEGIN goroutine stack dump ===\\ngoroutine 1 [running]:${'x'.repeat(5 * 1024 * 1024)}`);
    const scan = await scanLogFile(path, { table: containerdLogTable() });
    assert.equal(scan.linesRead, 1);
    assert.equal(byId(scan, 'CONTAINERD_LOG_GOROUTINE_DUMP').length, 1);
    assert.ok(scan.tail[0].length <= 501);
    assert.ok(byId(scan, 'CONTAINERD_LOG_GOROUTINE_DUMP')[0].examples[0].length <= 501);
    assert.match(scan.notes!.join('\n'), new RegExp(`longer than ${MAX_MATCH_CHARS}`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('episodes: gap boundary, undated lines join the open episode, examples keep first, second and last', () => {
  const table = compileLogTable({ rules: [{ id: 'T_X', pattern: 'boom (?<n>\\d+)', layer: 'node', severity: 'warning', title: 't', explanation: 'e', nextStep: 'n', references: [] }] }, 'test.json');
  const b = new EpisodeBuilder(table, { gapMs: 60_000 });
  b.add('boom 1', 0);
  b.add('boom 2', 60_000); // exactly the gap: same episode
  b.add('boom 3'); // no time: joins
  b.add('boom 4', 121_000); // 61 s after the last dated line: new episode
  b.add('calm', 122_000);
  for (let i = 0; i < 30; i++) b.add(`boom ${100 + i}`, 122_000 + i);
  const scan = b.finish('test', 0, false);
  assert.deepEqual(scan.episodes.map((e) => e.count), [3, 31]);
  assert.deepEqual(scan.episodes[0].examples, ['boom 1', 'boom 2', 'boom 3']);
  assert.deepEqual(scan.episodes[1].examples, ['boom 4', 'boom 100', 'boom 129']);
  assert.equal(scan.episodes[1].captures.n.length, 20, 'captured values are capped');
  assert.equal(scan.tail.length, 20);
});

test('scanText: lines without any time still group (one episode per pattern)', () => {
  const scan = scanText('msg="shim disconnected" id=abcdefabcdef12\nmsg="shim disconnected" id=abcdefabcdef34\n', containerdLogTable(), 'text');
  assert.deepEqual(byId(scan, 'CONTAINERD_LOG_SHIM_DISCONNECTED').map((e) => [e.count, e.first]), [[2, '']]);
});

test('tables: an invalid regex, a duplicate id, a missing field are clear errors naming the id', () => {
  const base = { layer: 'node', severity: 'info', title: 't', explanation: 'e', nextStep: 'n', references: [] };
  assert.throws(() => compileLogTable({ rules: [{ ...base, id: 'BAD_RE', pattern: 'a(b' }] }, 'x.json'),
    (e: CtrdocError) => e.kind === 'bad-input' && /x\.json: pattern "BAD_RE": invalid regular expression/.test(e.message));
  assert.throws(() => compileLogTable({ rules: [{ ...base, id: 'A', pattern: 'a' }, { ...base, id: 'A', pattern: 'b' }] }, 'x.json'), /pattern "A": duplicate id/);
  assert.throws(() => compileLogTable({ rules: [{ ...base, id: 'A', pattern: 'a', title: '' }] }, 'x.json'), /pattern "A": "title" must be non-empty/);
  assert.throws(() => compileLogTable({ rules: [{ ...base, id: 'A', pattern: 'a?' }] }, 'x.json'), /matches the empty line/);
  assert.throws(() => compileLogTable({ rules: [{ ...base, id: 'A', pattern: 'a', captures: ['nope'] }] }, 'x.json'), /lacks: nope/);
  assert.throws(() => compileLogTable({ rules: [{ ...base, id: 'A', pattern: 'a', layer: 'moon' }] }, 'x.json'), /layer must be one of/);
  assert.throws(() => compileLogTable([], 'x.json'), /must be a JSON object/);
  assert.throws(() => compileLogTable({ rules: [42] }, 'x.json'), /entry 0 is not an object/);
});

test('kernel table matches real kmsg texts', () => {
  const k = kernelLogTable();
  const lines = [
    'Out of memory: Killed process 4242 (containerd-shim) total-vm:1234kB, anon-rss:100kB, file-rss:0kB',
    'Memory cgroup out of memory: Killed process 777 (nginx) total-vm:1kB',
    'INFO: task runc:[2:INIT]:31337 blocked for more than 120 seconds.',
  ];
  const scan = scanText(lines.join('\n'), k, 'kmsg');
  assert.deepEqual(byId(scan, 'KERNEL_OOM_KILLED_RUNTIME')[0].captures, { pid: ['4242'], comm: ['containerd-shim'] });
  assert.deepEqual(byId(scan, 'KERNEL_OOM_KILL')[0].captures.comm, ['containerd-shim', 'nginx']);
  assert.deepEqual(byId(scan, 'KERNEL_HUNG_TASK')[0].captures, { comm: ['runc:[2:INIT]'], pid: ['31337'], seconds: ['120'] });
});

// --- correlation: a pattern's lines judged by the lines around them for the same id ---

const corrBase = { layer: 'shim', severity: 'warning', title: 't', explanation: 'e', nextStep: 'n', references: [] };
const marker = (o: Record<string, unknown> = {}) => ({
  name: 'lost', means: 'abnormal', pattern: 'lost (?<id>[0-9a-f]{12,})', why: 'its exit was lost',
  samples: { hit: ['lost 0123456789abcdef'], miss: ['found 0123456789abcdef'] }, ...o,
});
const corrTable = (correlate: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  rules: [{ ...corrBase, id: 'T_GONE', pattern: 'gone id=(?<id>[0-9a-f]{12,})', correlate, ...extra }],
});
const goodCorrelate = () => ({ by: 'id', withinMs: 10_000, otherwise: 'normal', otherwiseWhy: 'nothing says otherwise', markers: [marker(), marker({ name: 'stopped', means: 'normal', when: 'before', pattern: 'stop (?<id>[0-9a-f]{12,})', samples: { hit: ['stop 0123456789abcdef'], miss: ['start 0123456789abcdef'] } })] });

test('correlate: a bad block is a clear error naming the entry and the field', () => {
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ ...goodCorrelate(), by: 'nope' }, /T_GONE.*"by" must name one of the pattern's captures \(id\)/],
    [{ ...goodCorrelate(), withinMs: 0 }, /"withinMs" must be a number/],
    [{ ...goodCorrelate(), withinMs: 'soon' }, /"withinMs" must be a number/],
    [{ ...goodCorrelate(), otherwise: 'maybe' }, /"otherwise" must be normal or abnormal/],
    [{ ...goodCorrelate(), otherwiseWhy: ' ' }, /"otherwiseWhy" must say why/],
    [{ ...goodCorrelate(), markers: [] }, /"markers" must be a non-empty list/],
    [{ ...goodCorrelate(), extra: 1 }, /correlate: unknown field "extra"/],
    [{ ...goodCorrelate(), markers: [marker(), marker()] }, /marker "lost": duplicate name/],
    [{ ...goodCorrelate(), markers: [marker({ name: 'Bad Name' })] }, /marker 0: "name" must be a camelCase name/],
    [{ ...goodCorrelate(), markers: [marker({ pattern: 'lost (?<other>\\w+)' })] }, /marker "lost": the pattern must capture the id as \(\?<id>/],
    [{ ...goodCorrelate(), markers: [marker({ pattern: 'lost (' })] }, /marker "lost": invalid regular expression/],
    [{ ...goodCorrelate(), markers: [marker({ pattern: '(?<id>x?)' })] }, /marker "lost": the pattern matches the empty line/],
    [{ ...goodCorrelate(), markers: [marker({ means: 'odd' })] }, /"means" must be normal or abnormal/],
    [{ ...goodCorrelate(), markers: [marker({ when: 'later' })] }, /"when" must be before, after or around/],
    [{ ...goodCorrelate(), markers: [marker({ why: '' })] }, /"why" must say what the marker line shows/],
    [{ ...goodCorrelate(), markers: [marker({ samples: { hit: [] , miss: ['x'] } })] }, /samples.hit needs at least one line/],
    [{ ...goodCorrelate(), markers: [marker({ samples: undefined })] }, /"samples" must be/],
    [{ ...goodCorrelate(), markers: ['lost'] }, /marker 0 is not an object/],
  ];
  for (const [c, re] of bad) assert.throws(() => compileLogTable(corrTable(c), 'x.json'), (e: CtrdocError) => e.kind === 'bad-input' && re.test(e.message) && /^x\.json: /.test(e.message), JSON.stringify(c).slice(0, 120));
  assert.throws(() => compileLogTable(corrTable(goodCorrelate(), { pattern: 'gone' }), 'x.json'), /"by" must name one of the pattern's captures \(it has none\)/);
  assert.throws(() => compileLogTable(corrTable('yes' as unknown as Record<string, unknown>), 'x.json'), /correlate must be an object/);
  const t = compileLogTable(corrTable(goodCorrelate()), 'x.json');
  assert.deepEqual(t.patterns[0].correlate?.markers.map((m) => [m.name, m.when]), [['lost', 'around'], ['stopped', 'before']]);
});

test('correlate: ids judged by markers within the span, before, after or around; lines without an id counted', () => {
  const t = compileLogTable(corrTable({ ...goodCorrelate(), markers: [...goodCorrelate().markers, marker({ name: 'fixed', means: 'normal', when: 'after', pattern: 'fixed (?<id>[0-9a-f]{12,})' })] }, { pattern: 'gone(?: id=(?<id>[0-9a-f]{12,}))?' }), 'x.json');
  const at = (s: number, text: string) => `time="2026-12-03T10:00:${String(s).padStart(2, '0')}Z" ${text}`;
  const lines = [
    at(0, 'stop aaaaaaaaaaaa'), at(1, 'gone id=aaaaaaaaaaaa'), // stopped first: normal
    at(2, 'gone id=bbbbbbbbbbbb'), at(3, 'lost bbbbbbbbbbbb'), // its exit lost just after: abnormal
    at(4, 'gone id=cccccccccccc'), // nothing: unexplained
    at(5, 'stop dddddddddddd'), at(5, 'gone id=dddddddddddd'), at(6, 'lost dddddddddddd'), // both: abnormal wins
    at(7, 'gone id=eeeeeeeeeeee'), at(9, 'fixed eeeeeeeeeeee'), // a normal marker after it
    at(10, 'fixed ffffffffffff'), at(12, 'gone id=ffffffffffff'), // "after" marker that came before: not it
    at(13, 'stop 999999999999'), // a marker for an id no line names
    at(14, 'gone id=xyz'), // no id
  ].join('\n');
  const scan = scanText(lines, t, 'file:/x');
  const [ep] = scan.episodes;
  const verdict = Object.fromEntries(ep.ids!.map((x) => [x.id.slice(0, 1), [x.verdict, Object.keys(x.markers).sort().join(',')]]));
  assert.deepEqual(verdict, {
    a: ['normal', 'stopped'], b: ['abnormal', 'lost'], c: ['unexplained', ''], d: ['abnormal', 'lost,stopped'], e: ['normal', 'fixed'], f: ['unexplained', ''],
  });
  assert.deepEqual(ep.idVerdicts, { abnormal: 2, normal: 2, unexplained: 2, noId: 1 });
  assert.deepEqual(ep.ids!.slice(0, 2).map((x) => x.verdict), ['abnormal', 'abnormal'], 'abnormal first');
  // a marker 11 s after the line is outside a 10 s span (plus a second of slack for goroutines' order)
  const far = scanText([at(0, 'gone id=aaaaaaaaaaaa'), at(12, 'lost aaaaaaaaaaaa')].join('\n'), t, 'x');
  assert.equal(far.episodes[0].ids![0].verdict, 'unexplained');
  // "gone id=xyz" is a line of the pattern without an id
  assert.equal(ep.count, 7);
});

test('correlate: each shipped marker\'s samples are real lines that name an id, and its near-misses do not', () => {
  for (const [file, tableOf] of Object.entries({ containerd: containerdLogTable, kubelet: kubeletLogTable, kernel: kernelLogTable })) {
    for (const p of tableOf().patterns) {
      for (const m of p.correlate?.markers ?? []) {
        for (const hit of m.samples.hit) assert.ok(m.regex.exec(hit)?.groups?.[p.correlate!.by], `${file} ${p.id} marker ${m.name}: ${hit}`);
        for (const miss of m.samples.miss) assert.equal(m.regex.exec(miss)?.groups?.[p.correlate!.by], undefined, `${file} ${p.id} marker ${m.name} near-miss: ${miss}`);
      }
    }
  }
});

test('correlate: any lines, any markers: never throws, every id has one verdict and the counts add up (property)', () => {
  const t = compileLogTable(corrTable(goodCorrelate()), 'x.json');
  const idArb = fc.constantFrom('aaaaaaaaaaaa', 'bbbbbbbbbbbb', 'cccccccccccc');
  const lineArb = fc.tuple(fc.integer({ min: 0, max: 59 }), fc.constantFrom('gone id=', 'lost ', 'stop ', 'noise '), idArb, fc.boolean())
    .map(([s, kind, id, dated]) => `${dated ? `time="2026-12-03T10:00:${String(s).padStart(2, '0')}Z" ` : ''}${kind}${id}`);
  fc.assert(fc.property(fc.array(lineArb, { maxLength: 60 }), (lines) => {
    const scan = scanText(lines.join('\n'), t, 'x');
    for (const ep of scan.episodes) {
      const v = ep.idVerdicts!;
      assert.equal(v.abnormal + v.normal + v.unexplained, ep.ids!.length);
      assert.equal(ep.ids!.reduce((n, x) => n + x.count, 0) + v.noId, ep.count);
      for (const x of ep.ids!) assert.equal(x.verdict === 'abnormal', 'lost' in x.markers);
    }
  }), { numRuns: 300 });
});
