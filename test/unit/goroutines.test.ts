// The goroutine analyser on synthetic dumps: every header and frame variant of Go 1.17–1.24,
// passthrough around dumps, dumps inside logfmt/JSON log lines (also split by journald),
// similarity, the lock/pile/signature analysis, and bad input (empty, garbage, a huge line
// without newline, a cut dump), plus fast-check properties of the scanner.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { analyzeDump, GoroutineAnalyzer } from '../../src/goroutines/index.ts';
import { GOROUTINE_SIGNATURES } from '../../src/goroutines/signatures.ts';
import type { GoroutineAnalysis } from '../../src/snapshot/types/goroutines.ts';

const G = (id: number, head: string, ...frames: string[]) => [`goroutine ${id} [${head}]:`, ...frames].join('\n');
const F = (fn: string, args: string, file: string, line: number, pc = '+0x1d') => `${fn}(${args})\n\t${file}:${line} ${pc}`;

function passthroughOf(input: string | Buffer): { a: GoroutineAnalysis; pt: Buffer } {
  const parts: Buffer[] = [];
  const a = analyzeDump(input, { onPassthrough: (b) => parts.push(Buffer.from(b)) });
  return { a, pt: Buffer.concat(parts) };
}

/** The input without the dumps' byte ranges. */
function withoutDumps(input: Buffer, a: GoroutineAnalysis): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (const d of a.dumps) {
    assert.ok(d.startOffset >= at, `dump ranges are ordered (${d.startOffset} >= ${at})`);
    assert.ok(d.endOffset >= d.startOffset);
    parts.push(input.subarray(at, d.startOffset));
    at = d.endOffset;
  }
  parts.push(input.subarray(at));
  return Buffer.concat(parts);
}

test('header variants of Go 1.17-1.24 and frames with and without arguments', () => {
  const dump = [
    G(1, 'running', F('main.main', '', '/src/main.go', 10)),
    G(2, 'semacquire, 5 minutes', F('sync.runtime_SemacquireMutex', '0xc000123456?, 0x0?, 0x1?', '/go/src/runtime/sema.go', 77), F('sync.(*Mutex).lockSlow', '0xc000123450', '/go/src/sync/mutex.go', 171), F('sync.(*Mutex).Lock', '...', '/go/src/sync/mutex.go', 90), F('main.worker', '{0x5, 0x6}', '/src/main.go', 20), 'created by main.main\n\t/src/main.go:12 +0x44'),
    G(3, 'sync.Mutex.Lock, 12 minutes', F('sync.runtime_SemacquireMutex', '0xc000223456?, 0x0?, 0x1?', '/go/src/runtime/sema.go', 77), 'main.inlined(...)\n\t/src/main.go:30', 'created by main.main in goroutine 1\n\t/src/main.go:13 +0x45'),
    G(4, 'chan receive, locked to thread', F('main.loop', '', '/src/main.go', 40)),
    G(5, 'select (no cases)', F('main.forever', '', '/src/main.go', 50)),
    'goroutine 6 gp=0xc000007c00 m=nil [IO wait]:\n' + F('internal/poll.runtime_pollWait', '0x7f0000000000, 0x72', '/go/src/runtime/netpoll.go', 345, '+0x85 fp=0xc00005fd50 sp=0xc00005fd30 pc=0x45e6e5'),
    G(7, 'running', F('main.deep', '', '/src/main.go', 60), '...additional frames elided...'),
    G(8, 'running', '\tgoroutine running on other thread; stack unavailable'),
  ].join('\n\n') + '\n';
  const { a, pt } = passthroughOf(dump);
  assert.equal(a.dumps.length, 1);
  const d = a.dumps[0];
  assert.equal(d.goroutines, 8);
  assert.equal(pt.length, 0);
  assert.equal(d.cut, undefined);
  const byId = (id: number) => d.buckets.find((b) => b.sampleIds.includes(id))!;
  assert.equal(byId(2).state, 'semacquire');
  assert.equal(byId(2).waitMaxMinutes, 5);
  assert.equal(byId(2).createdBy?.func, 'main.main');
  assert.equal(byId(2).topFunction, 'main.worker');
  assert.deepEqual(byId(2).frames[3], { func: 'main.worker', args: '{0x5, 0x6}', file: '/src/main.go', line: 20 });
  assert.equal(byId(3).state, 'sync.Mutex.Lock');
  assert.equal(byId(3).waitMaxMinutes, 12);
  assert.equal(byId(3).createdBy?.func, 'main.main', '"in goroutine N" is not part of the creator');
  assert.deepEqual(byId(3).frames[1], { func: 'main.inlined', args: '...', file: '/src/main.go', line: 30 });
  assert.equal(byId(4).state, 'chan receive');
  assert.equal(byId(4).lockedCount, 1);
  assert.equal(byId(5).state, 'select (no cases)');
  assert.equal(byId(6).state, 'IO wait');
  assert.equal(byId(6).frames[0].line, 345);
  assert.equal(byId(7).elided, true);
  assert.equal(byId(8).stackUnavailable, true);
  assert.deepEqual(d.states, { running: 3, semacquire: 1, 'sync.Mutex.Lock': 1, 'chan receive': 1, 'select (no cases)': 1, 'IO wait': 1 });
});

test('panic output: the message and the exit line are passed through, byte for byte', () => {
  const input = 'panic: boom\n\ngoroutine 1 [running]:\nmain.main()\n\t/x/main.go:5 +0x1d\nexit status 2\n';
  const { a, pt } = passthroughOf(input);
  assert.equal(a.dumps.length, 1);
  assert.equal(a.dumps[0].goroutines, 1);
  assert.equal(pt.toString(), 'panic: boom\n\nexit status 2\n');
  assert.deepEqual(withoutDumps(Buffer.from(input), a), pt);
});

test('SIGQUIT output: the register dump after the goroutines ends the dump', () => {
  const input = 'SIGQUIT: quit\nPC=0x46b1e1 m=0 sigcode=0\n\n' + G(1, 'select', F('main.main', '', '/x/main.go', 9)) + '\n\nrax    0xca\nrbx    0x0\n';
  const { a, pt } = passthroughOf(input);
  assert.equal(a.dumps[0].goroutines, 1);
  assert.equal(a.dumps[0].cut, undefined);
  assert.equal(pt.toString(), 'SIGQUIT: quit\nPC=0x46b1e1 m=0 sigcode=0\n\nrax    0xca\nrbx    0x0\n');
});

const plain = [
  G(10, 'select, 3 minutes', F('github.com/containerd/ttrpc.(*Client).dispatch', '0xc0004a3000, {0x2529fa0?, 0xc00031d770}', 'github.com/containerd/ttrpc/client.go', 163), F('github.com/containerd/containerd/services/tasks.(*local).Start', '0xc000508a18?', 'github.com/containerd/containerd/services/tasks/local.go', 257), 'created by google.golang.org/grpc.(*Server).serveStreams.func1\n\tgoogle.golang.org/grpc/server.go:869 +0x28a'),
  G(11, 'IO wait', F('internal/poll.runtime_pollWait', '0x7febe00826e0, 0x72', 'runtime/netpoll.go', 305)),
].join('\n\n') + '\n';

/** containerd's logrus line: msg="=== BEGIN …\n<dump>\n=== END …" with Go-quoted escapes. */
function logfmtLine(dump: string, fields = ''): string {
  const msg = JSON.stringify(`=== BEGIN goroutine stack dump ===\n${dump}\n=== END goroutine stack dump ===`);
  return `time="2026-11-26T22:52:28.19Z" level=info msg=${msg}${fields}\n`;
}

function sameBuckets(a: GoroutineAnalysis, b: GoroutineAnalysis): void {
  const strip = (x: GoroutineAnalysis) => x.dumps.map((d) => ({ g: d.goroutines, buckets: d.buckets, states: d.states, cut: d.cut }));
  assert.deepEqual(strip(a), strip(b));
}

test('a dump inside a logfmt line parses like the plain dump, with the shim fields', () => {
  const line = logfmtLine(plain, ' namespace=k8s.io path=/run/containerd/io.containerd.runtime.v2.task/k8s.io/abc pid=4242 runtime=io.containerd.runc.v2');
  const input = 'time="x" level=info msg="starting"\n' + line + 'time="y" level=info msg="after"\n';
  const { a, pt } = passthroughOf(input);
  assert.equal(a.dumps.length, 1);
  assert.equal(a.dumps[0].format, 'logfmt');
  assert.deepEqual(a.dumps[0].origin, {
    time: '2026-11-26T22:52:28.19Z', level: 'info', namespace: 'k8s.io', pid: 4242,
    path: '/run/containerd/io.containerd.runtime.v2.task/k8s.io/abc', runtime: 'io.containerd.runc.v2',
  });
  assert.equal(a.dumps[0].cut, undefined);
  sameBuckets(a, analyzeDump(plain));
  assert.equal(pt.toString(), 'time="x" level=info msg="starting"\ntime="y" level=info msg="after"\n');
  assert.deepEqual(withoutDumps(Buffer.from(input), a), pt);
});

test('a JSON log line with the dump in "msg"', () => {
  const line = JSON.stringify({ level: 'info', msg: `=== BEGIN goroutine stack dump ===\n${plain}\n=== END goroutine stack dump ===`, pid: 77, time: 't' }) + '\n';
  const a = analyzeDump(line);
  assert.equal(a.dumps[0].format, 'json');
  assert.equal(a.dumps[0].origin.pid, 77);
  sameBuckets(a, analyzeDump(plain));
});

test('journald split the long line into several entries (with and without its prefix)', () => {
  const line = logfmtLine(plain, ' pid=99').trimEnd();
  for (const prefix of ['', 'Nov 26 22:50:02 node-1 containerd[812]: ']) {
    const pieces: string[] = [];
    for (let i = 0; i < line.length; i += 97) pieces.push(prefix + line.slice(i, i + 97));
    const input = pieces.join('\n') + '\n';
    const a = analyzeDump(input);
    assert.equal(a.dumps.length, 1, `prefix "${prefix}"`);
    assert.equal(a.dumps[0].origin.pid, 99);
    assert.equal(a.dumps[0].cut, undefined);
    sameBuckets(a, analyzeDump(plain));
  }
});

test('a log line cut before the END marker reports where, and the next entry is passed through', () => {
  const line = logfmtLine(plain);
  const cutAt = line.indexOf('local.go');
  const input = line.slice(0, cutAt) + '\ntime="z" level=info msg="next"\n';
  const { a, pt } = passthroughOf(input);
  assert.equal(a.dumps.length, 1);
  assert.ok(a.dumps[0].cut, 'cut reported');
  assert.match(a.dumps[0].cut!.reason, /tasks\.\(\*local\)\.Start|END goroutine stack dump/);
  assert.equal(a.dumps[0].goroutines, 1);
  assert.equal(pt.toString(), 'time="z" level=info msg="next"\n');
});

test('a plain dump cut in the middle of a frame: what was parsed, and where it stops', () => {
  const cutAt = plain.indexOf('\tgithub.com/containerd/containerd/services');
  const a = analyzeDump(plain.slice(0, cutAt));
  const d = a.dumps[0];
  assert.equal(d.goroutines, 1);
  assert.ok(d.cut);
  assert.equal(d.cut!.offset, cutAt);
  assert.match(d.cut!.reason, /goroutine 10: input ended after function github\.com\/containerd\/containerd\/services\/tasks\.\(\*local\)\.Start, before its file line/);
  assert.equal(d.buckets[0].frames.length, 1, 'the complete frame is kept');
  // cut mid-line, in the middle of a file path
  const b = analyzeDump(plain.slice(0, cutAt + 10));
  assert.ok(b.dumps[0].cut);
});

test('several dumps in one log, in order', () => {
  const input = 'a\n' + plain + 'between\n' + logfmtLine(plain, ' pid=1') + G(1, 'running', F('main.main', '', '/m.go', 1)) + '\n';
  const a = analyzeDump(input);
  assert.deepEqual(a.dumps.map((d) => [d.index, d.format, d.goroutines]), [[0, 'plain', 2], [1, 'logfmt', 2], [2, 'plain', 1]]);
});

test('similarity: exact, pointer and value group like panicparse', () => {
  const mk = (id: number, args: string) => G(id, 'select', F('main.f', args, '/m.go', 3));
  const input = [mk(1, '0xc000100000, 0x1'), mk(2, '0xc000200000, 0x1'), mk(3, '0xc000300000, 0x2'), mk(4, '0xc000300000?, 0x2'), mk(5, '0x10, 0x1'), mk(6, '_, 0x1')].join('\n\n') + '\n';
  const sizes = (sim: 'exact' | 'pointer' | 'value') => analyzeDump(input, { similarity: sim }).dumps[0].buckets.map((b) => b.count);
  assert.deepEqual(sizes('exact'), [2, 1, 1, 1, 1], 'exact: only 3 and 4 (a ? is ignored) are equal');
  assert.deepEqual(sizes('pointer'), [2, 2, 1, 1], 'pointer: 1+2 (any pointer, same 0x1), 3+4; 0x10 is not a pointer; _ is its own');
  assert.deepEqual(sizes('value'), [6], 'value: any scalar');
});

test('pointer guess: above 512 KiB and below 2^63-1', () => {
  const one = (v: string) => analyzeDump([G(1, 'select', F('f.g', v, '/a.go', 1)), G(2, 'select', F('f.g', '0x80001', '/a.go', 1))].join('\n\n')).dumps[0].buckets.length;
  assert.equal(one('0x80000'), 2, '512 KiB itself is not a pointer');
  assert.equal(one('0x80002'), 1, 'just above is');
  assert.equal(one('0x7ffffffffffffffe'), 1);
  assert.equal(one('0x7fffffffffffffff'), 2, 'MaxInt64 is not');
  assert.equal(one('0xffffffffffffffff'), 2);
});

/** A synthetic containerd#6772 deadlock: victims under tasks.Create, one culprit under Namespace.Collect. */
function deadlock6772(victims: number): string {
  const gs: string[] = [];
  for (let i = 0; i < victims; i++) {
    gs.push(G(100 + i, `semacquire, ${200 + i} minutes`,
      F('sync.runtime_SemacquireMutex', '0xc000a00000?, 0x0?, 0x1?', '/usr/lib/go/src/runtime/sema.go', 77),
      F('sync.(*Mutex).lockSlow', `0xc000${(0xb00000 + i * 16).toString(16)}`, '/usr/lib/go/src/sync/mutex.go', 171),
      F('sync.(*Mutex).Lock', '...', '/usr/lib/go/src/sync/mutex.go', 90),
      F('github.com/docker/go-metrics.(*Namespace).WithConstLabels', '0xc000300000, 0xc000400000', 'github.com/docker/go-metrics/namespace.go', 53),
      F('github.com/containerd/containerd/metrics/cgroups/v1.(*Collector).Add', '0xc000500000, {0x1, 0x2}, 0xc000600000', 'github.com/containerd/containerd/metrics/cgroups/v1/metrics.go', 170),
      F('github.com/containerd/containerd/metrics/cgroups/v1.(*cgroupsMonitor).Monitor', '0xc000700000, {0x1, 0x2}, 0xc000800000', 'github.com/containerd/containerd/metrics/cgroups/cgroups.go', 90),
      F('github.com/containerd/containerd/services/tasks.(*local).Create', '0xc000900000, {0x1, 0x2}, 0xc000910000', 'github.com/containerd/containerd/services/tasks/local.go', 240)));
  }
  gs.push(G(7, 'semacquire, 240 minutes',
    F('sync.runtime_SemacquireMutex', '0xc000a10000?, 0x0?, 0x0?', '/usr/lib/go/src/runtime/sema.go', 77),
    F('sync.(*RWMutex).RLock', '...', '/usr/lib/go/src/sync/rwmutex.go', 71),
    F('github.com/containerd/containerd/metrics/cgroups/v1.(*Collector).Collect', '0xc000500000, 0xc000a20000', 'github.com/containerd/containerd/metrics/cgroups/v1/metrics.go', 140),
    F('github.com/docker/go-metrics.(*Namespace).Collect', '0xc000300000, 0xc000a20000', 'github.com/docker/go-metrics/namespace.go', 160),
    F('github.com/prometheus/client_golang/prometheus.(*Registry).Gather.func1', '', 'github.com/prometheus/client_golang/prometheus/registry.go', 446)));
  return gs.join('\n\n') + '\n';
}

test('containerd#6772: victims, culprit, the lock cycle, waiters and likely holders', () => {
  const d = analyzeDump(deadlock6772(40)).dumps[0];
  const ids = d.findings.map((f) => f.id);
  assert.equal(d.findings[0].severity, 'critical');
  assert.ok(ids.includes('containerd-6772-victim'));
  assert.ok(ids.includes('containerd-6772-culprit'));
  assert.ok(ids.includes('lock-cycle'));
  assert.ok(!ids.includes('task-create-waiting'), 'victims are not reported twice');
  const victim = d.findings.find((f) => f.id === 'containerd-6772-victim')!;
  assert.equal(victim.count, 40);
  assert.equal(victim.waitMaxMinutes, 239);
  assert.ok(victim.links.includes('https://github.com/containerd/containerd/issues/6772'));
  const ns = d.lockContention.find((l) => l.lockSite.endsWith('(*Namespace).WithConstLabels'))!;
  assert.equal(ns.lockOwner, 'github.com/docker/go-metrics.(*Namespace)');
  assert.equal(ns.waiters, 40);
  assert.deepEqual(ns.holders.map((h) => h.inFunction), ['github.com/docker/go-metrics.(*Namespace).Collect']);
  const coll = d.lockContention.find((l) => l.lockSite.endsWith('(*Collector).Collect'))!;
  assert.equal(coll.lockCall, 'sync.(*RWMutex).RLock');
  assert.deepEqual(coll.holders.map((h) => [h.count, h.inFunction]), [[40, 'github.com/containerd/containerd/metrics/cgroups/v1.(*Collector).Add']]);
  assert.deepEqual(d.waitRanking.slice(0, 1), [d.buckets.find((b) => b.waitMaxMinutes === 240)!.id]);
  assert.ok(d.piles.some((p) => p.function.endsWith('(*Namespace).WithConstLabels') && p.count === 40));
});

test('ttrpc calls are grouped per client (one shim)', () => {
  const call = (id: number, client: string) => G(id, 'select, 4 minutes',
    F('github.com/containerd/ttrpc.(*Client).dispatch', `${client}, {0x1, 0x2}`, 'github.com/containerd/ttrpc/client.go', 163),
    F('github.com/containerd/ttrpc.(*Client).Call', `${client}, {0x1, 0x2}, {0x3, 0x4}`, 'github.com/containerd/ttrpc/client.go', 132),
    F('github.com/containerd/containerd/runtime/v2/task.(*taskClient).State', '0xc000100000', 'x/shim.pb.go', 3000));
  const input = [call(1, '0xc0004a3000'), call(2, '0xc0004a3000'), call(3, '0xc0004a3000'), call(4, '0xc000777000')].join('\n\n');
  const f = analyzeDump(input).dumps[0].findings.find((x) => x.id === 'ttrpc-calls-to-one-shim')!;
  assert.equal(f.count, 4);
  assert.ok(f.evidence.some((e) => e.includes('2 clients; the busiest, 0xc0004a3000, has 3 calls waiting')), f.evidence.join('\n'));
});

test('shim reaper Monitor.notify storm (containerd#9217)', () => {
  const gs = [];
  for (let i = 0; i < 60; i++) {
    gs.push(G(i + 1, 'semacquire', F('sync.runtime_SemacquireMutex', '0xc000100000?, 0x0?, 0x1?', '/go/src/runtime/sema.go', 77),
      F('sync.(*Mutex).Lock', '...', '/go/src/sync/mutex.go', 90),
      F('github.com/containerd/containerd/sys/reaper.(*Monitor).notify', `0xc000${(0x200000 + i).toString(16)}, {0x1, 0x2}`, 'github.com/containerd/containerd/sys/reaper/reaper_unix.go', 150)));
  }
  const f = analyzeDump(gs.join('\n\n')).dumps[0].findings.find((x) => x.id === 'shim-reaper-notify-storm')!;
  assert.equal(f.count, 60);
  assert.deepEqual(f.links, ['https://github.com/containerd/containerd/issues/9217']);
  assert.equal(analyzeDump(gs.slice(0, 10).join('\n\n')).dumps[0].findings.some((x) => x.id === 'shim-reaper-notify-storm'), false, 'ten are not a storm');
});

test('the signature table: unique ids, valid patterns, an explanation and a link each', () => {
  const ids = new Set<string>();
  for (const s of GOROUTINE_SIGNATURES) {
    assert.ok(!ids.has(s.id), s.id);
    ids.add(s.id);
    for (const f of s.frames) new RegExp(f);
    if (s.state) new RegExp(s.state);
    assert.ok(s.explanation.length > 40, s.id);
    assert.ok(s.links.length > 0 && s.links.every((l) => l.startsWith('https://')), s.id);
    for (const u of s.unless ?? []) assert.ok(ids.has(u), `${s.id}: unless ${u} must come earlier`);
  }
});

test('bad input: empty, binary garbage, no dump', () => {
  for (const input of [Buffer.alloc(0), Buffer.from([0, 255, 254, 10, 13, 0, 1, 2]), Buffer.from('just a log line\nand another')]) {
    const { a, pt } = passthroughOf(input);
    assert.equal(a.dumps.length, 0);
    assert.deepEqual(pt, input);
  }
});

test('bad input: a huge line without a newline streams through in bounded memory', () => {
  const parts: number[] = [];
  const an = new GoroutineAnalyzer({ onPassthrough: (b) => parts.push(b.length) });
  const chunk = Buffer.alloc(1 << 20, 0x78);
  const before = process.memoryUsage().rss;
  const total = 256; // 256 MiB, generated here, not stored
  for (let i = 0; i < total; i++) an.write(chunk);
  an.write(Buffer.from('\n' + plain));
  const a = an.end();
  const grew = process.memoryUsage().rss - before;
  assert.equal(parts.reduce((x, y) => x + y, 0), total * chunk.length + 1);
  assert.equal(a.dumps.length, 1, 'the dump after the huge line is still found');
  assert.equal(a.dumps[0].goroutines, 2);
  assert.ok(a.warnings.some((w) => /longer than/.test(w)), a.warnings.join('\n'));
  assert.ok(grew < 128 * 1024 * 1024, `memory grew by ${grew} bytes`);
});

test('bad input: an escaped dump that never ends is cut at the end of input, memory bounded', () => {
  const an = new GoroutineAnalyzer();
  an.write(Buffer.from('time="t" level=info msg="=== BEGIN goroutine stack dump ===\\n'));
  const g = Buffer.from(JSON.stringify(plain).slice(1, -1) + '\\n');
  for (let i = 0; i < 2000; i++) an.write(g);
  const a = an.end();
  assert.equal(a.dumps.length, 1);
  assert.ok(a.dumps[0].cut);
  assert.equal(a.dumps[0].goroutines, 4000);
});

// ---- properties ------------------------------------------------------------------------------

const fragments = [
  'goroutine 1 [running]:\n', 'goroutine 22 [select, 3 minutes]:\n', 'main.main()\n', 'github.com/a/b.(*T).m(0xc000123456, {0x1, 0x2}, 0x0?)\n',
  '\t/src/main.go:10 +0x1d\n', '\t/src/x.go:7\n', 'created by main.main\n', 'created by main.f in goroutine 3\n', '\n', '...additional frames elided...\n',
  '=== BEGIN goroutine stack dump ===\n', '=== END goroutine stack dump ===\n', 'time="t" level=info msg="=== BEGIN goroutine stack dump ===\\n',
  'goroutine 3 [IO wait]:\\nmain.f()\\n\\t/a.go:1 +0x1\\n', '\\n=== END goroutine stack dump ===" pid=5\n', '{"msg":"=== BEGIN goroutine stack dump ===\\n',
  'Nov 26 22:50:02 host containerd[1]: ', 'panic: x\n', 'rax 0x0\n', '\\', '"', '\r\n', 'garbage line\n',
];

const inputs = fc.array(fc.oneof(fc.constantFrom(...fragments), fc.uint8Array({ maxLength: 40 }).map((u) => Buffer.from(u).toString('latin1'))), { maxLength: 40 })
  .map((xs) => Buffer.from(xs.join(''), 'latin1'));

test('property: the scanner never throws, whatever the bytes and however they are chunked', () => {
  fc.assert(
    fc.property(inputs, fc.integer({ min: 1, max: 64 }), (input, step) => {
      const an = new GoroutineAnalyzer();
      for (let i = 0; i < input.length; i += step) an.write(input.subarray(i, i + step));
      const a = an.end();
      assert.ok(a.inputBytes === input.length);
    }),
    { numRuns: 400 },
  );
});

test('property: passthrough + dumps reproduce every byte that is not part of a dump', () => {
  fc.assert(
    fc.property(inputs, fc.integer({ min: 1, max: 64 }), (input, step) => {
      const parts: Buffer[] = [];
      const an = new GoroutineAnalyzer({ onPassthrough: (b) => parts.push(Buffer.from(b)) });
      for (let i = 0; i < input.length; i += step) an.write(input.subarray(i, i + step));
      const a = an.end();
      const pt = Buffer.concat(parts);
      assert.equal(a.passthroughBytes, pt.length);
      // an input judged newest first is read from its end: its passthrough comes last line first
      if (!a.newestFirst) assert.deepEqual(pt, withoutDumps(input, a));
    }),
    { numRuns: 400 },
  );
});

test('property: chunking does not change the result', () => {
  fc.assert(
    fc.property(inputs, fc.integer({ min: 1, max: 16 }), (input, step) => {
      const whole = analyzeDump(input);
      const an = new GoroutineAnalyzer();
      for (let i = 0; i < input.length; i += step) an.write(input.subarray(i, i + step));
      assert.deepEqual(an.end(), whole);
    }),
    { numRuns: 300 },
  );
});

test('a task Wait parked on its shim is normal, not a ttrpc hang; a Start waiting is', () => {
  // From the lab: the CRI plugin keeps one Wait call per running task open on its shim until the task exits.
  const call = (caller: string, created: string, n: number) => `goroutine ${n} [select, 8 minutes]:
github.com/containerd/ttrpc.(*Client).dispatch(0xc0000ba780, {0x2529fa0?, 0xc000041560}, 0xc0002ea0c0, 0xc0005640a0)
	github.com/containerd/ttrpc/client.go:163 +0x2ad
github.com/containerd/ttrpc.(*Client).Call(0xc0000ba780, {0x2529fa0, 0xc000041560}, {0x229144f, 0x17}, {0x226ca6a, 0x5}, {0x21c6720?, 0xc00015a7c0?}, {0x21c6860, 0x1})
	github.com/containerd/ttrpc/client.go:132 +0x3ac
${caller}(0xc000014310, {0x2529fa0, 0xc000041560}, 0x20e9020?)
	github.com/containerd/containerd/runtime/v2/task/shim.pb.go:3601 +0x98
created by ${created}
	github.com/containerd/containerd/task.go:290 +0x1aa
`;
  const waits = [1, 2, 3].map((n) => call('github.com/containerd/containerd/runtime/v2/task.(*taskClient).Wait', 'github.com/containerd/containerd.(*task).Wait', n)).join('\n');
  const ids = (a: GoroutineAnalysis) => a.dumps.flatMap((d) => d.findings.map((f) => f.id));
  assert.ok(!ids(analyzeDump(waits)).includes('ttrpc-calls-to-one-shim'));
  const start = call('github.com/containerd/containerd/runtime/v2/task.(*taskClient).Start', 'google.golang.org/grpc.(*Server).serveStreams.func1.2', 9);
  assert.ok(ids(analyzeDump(`${waits}\n${start}`)).includes('ttrpc-calls-to-one-shim'));
});

test('a call in flight (no wait shown: under a minute) is info on a busy node; the same call waiting minutes is a warning', () => {
  const start = (wait: string) => `goroutine 9 [select${wait}]:
github.com/containerd/ttrpc.(*Client).dispatch(0xc0000ba780, {0x2529fa0?, 0xc000041560}, 0xc0002ea0c0, 0xc0005640a0)
	github.com/containerd/ttrpc/client.go:163 +0x2ad
github.com/containerd/ttrpc.(*Client).Call(0xc0000ba780, {0x2529fa0, 0xc000041560}, {0x229144f, 0x17}, {0x226ca6a, 0x5}, {0x21c6720?, 0xc00015a7c0?}, {0x21c6860, 0x1})
	github.com/containerd/ttrpc/client.go:132 +0x3ac
github.com/containerd/containerd/runtime/v2/task.(*taskClient).Start(0xc000014310, {0x2529fa0, 0xc000041560}, 0x20e9020?)
	github.com/containerd/containerd/runtime/v2/task/shim.pb.go:3601 +0x98
github.com/containerd/containerd/services/tasks.(*local).Start(0xc000120000, {0x2529fa0, 0xc000041560}, 0xc0002ea0c0, {0x0, 0x0, 0x0})
	github.com/containerd/containerd/services/tasks/local.go:281 +0x1aa
created by google.golang.org/grpc.(*Server).serveStreams.func1.2
	google.golang.org/grpc/server.go:938 +0x8b
`;
  const sev = (wait: string) => Object.fromEntries(analyzeDump(start(wait)).dumps[0].findings.map((f) => [f.id, f.severity]));
  assert.deepEqual(sev(''), { 'task-start-waiting': 'info', 'ttrpc-calls-to-one-shim': 'info' });
  assert.deepEqual(sev(', 3 minutes'), { 'task-start-waiting': 'critical', 'ttrpc-calls-to-one-shim': 'warning' });
});
