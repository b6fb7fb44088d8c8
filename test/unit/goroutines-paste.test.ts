// The goroutine reader on synthetic dumps pasted the ways people paste them: every framing of
// lines.ts/scan.ts in small cases (each with what must be said when something cannot be read),
// fast-check properties (any dump, framed any way, reads as the plain dump; no input throws or
// hangs), and a 500k-goroutine dump streamed in bounded memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { analyzeDump, GoroutineAnalyzer } from '../../src/goroutines/index.ts';
import { splitOneLine } from '../../src/goroutines/oneline.ts';
import { pprofState } from '../../src/goroutines/pprof-state.ts';
import { sniffOrder, linesLastFirst } from '../../src/goroutines/reverse.ts';
import type { GoroutineAnalysis } from '../../src/snapshot/types/goroutines.ts';

// real frames of containerd 1.6.20 (from the lab's debug=2 capture)
const FRAMES: [string, string][] = [
  ['runtime.gopark(0xc000507e48?, 0x2?, 0x0?, 0x0?, 0xc000507e2c?)', '\truntime/proc.go:363 +0xd6'],
  ['runtime.selectgo(0xc000507e48, 0xc000507e28, 0x0?, 0x0, 0x0?, 0x1)', '\truntime/select.go:328 +0x7bc'],
  ['github.com/containerd/ttrpc.(*Client).run(0xc0001a4a80)', '\tgithub.com/containerd/ttrpc/client.go:263 +0x285'],
  ['internal/poll.runtime_pollWait(0x7f8a1c1e5b58, 0x72)', '\truntime/netpoll.go:305 +0x89'],
  ['internal/poll.(*pollDesc).wait(0xc0003f4a80?, 0xc000420000?, 0x0)', '\tinternal/poll/fd_poll_runtime.go:84 +0x32'],
  ['sync.runtime_SemacquireMutex(0xc0002a6b04?, 0x0?, 0x1?)', '\truntime/sema.go:77 +0x26'],
  ['sync.(*Mutex).lockSlow(0xc0002a6b00)', '\tsync/mutex.go:171 +0x165'],
  ['github.com/docker/go-metrics.(*Namespace).WithConstLabels(0xc0002a6b00, 0xc000a5c0c0)', '\tgithub.com/docker/go-metrics/namespace.go:48 +0x9c'],
];
const STATES = ['select', 'IO wait', 'semacquire, 3 minutes', 'chan receive, 12 minutes', 'running', 'select, locked to thread'];
const CREATORS: [string, string][] = [['created by github.com/containerd/ttrpc.NewClient', '\tgithub.com/containerd/ttrpc/client.go:87 +0x21b'], ['created by main.main in goroutine 1', '\tmain.go:12 +0x44']];

interface G { id: number; state: number; frames: number[]; creator: number }
const goroutine = fc.record({
  id: fc.integer({ min: 1, max: 99999 }),
  state: fc.integer({ min: 0, max: STATES.length - 1 }),
  frames: fc.array(fc.integer({ min: 0, max: FRAMES.length - 1 }), { minLength: 1, maxLength: 6 }),
  creator: fc.integer({ min: -1, max: CREATORS.length - 1 }),
});
function block(g: G): string[] {
  const out = [`goroutine ${g.id} [${STATES[g.state]}]:`];
  for (const f of g.frames) out.push(...FRAMES[f]);
  if (g.creator >= 0) out.push(...CREATORS[g.creator]);
  return out;
}
const plainDump = (gs: G[]): string => gs.map((g) => block(g).join('\n')).join('\n\n') + '\n';
const total = (a: GoroutineAnalysis): number => a.dumps.reduce((n, d) => n + d.goroutines, 0);
const shape = (a: GoroutineAnalysis) => a.dumps.flatMap((d) => d.buckets.map((b) => `${b.count}|${b.state}|${b.waitMaxMinutes}|${b.lockedCount}|${b.createdBy?.func ?? ''}|${b.frames.map((f) => `${f.func}(${f.args})@${f.file}:${f.line}`).join('<')}`)).sort();

const J = (line: string) => (line ? `Dec  3 09:52:26 node1 containerd[8346]: ${line}` : 'Dec  3 09:52:26 node1 containerd[8346]:');
/** Each framing turns a plain dump (as Go printed it) into what a person pastes. */
const FRAMINGS: Record<string, (plain: string) => string> = {
  'file lines with spaces': (p) => p.replace(/^\t/gm, '    '),
  'file lines without indent': (p) => p.replace(/^\t/gm, ''),
  'markdown code block': (p) => p.split('\n').map((l) => (l ? `    ${l.replace(/^\t/, '    ')}` : l)).join('\n'),
  CRLF: (p) => p.replace(/\n/g, '\r\n'),
  'double-spaced': (p) => p.replace(/\n/g, '\n\n'),
  'one goroutine per line': (p) => p.trimEnd().split('\n\n').map((b) => b.replace(/\n\t?/g, ' ')).join('\n') + '\n',
  'all on one line': (p) => p.trimEnd().split('\n\n').map((b) => b.replace(/\n\t?/g, ' ')).join(' ') + '\n',
  'journald, a line each': (p) => p.trimEnd().split('\n').map(J).join('\n') + '\n',
  'journald, newest first': (p) => ['=== BEGIN goroutine stack dump ===', ...p.trimEnd().split('\n'), '=== END goroutine stack dump ==='].map(J).reverse().join('\n') + '\n',
  'logrus, a line each': (p) => p.trimEnd().split('\n').map((l) => `time="2026-12-03T09:52:26Z" level=info msg=${JSON.stringify(l)}`).join('\n') + '\n',
  'logrus escaped, behind journald': (p) => J(`time="2026-12-03T09:52:26Z" level=info msg=${JSON.stringify(`=== BEGIN goroutine stack dump ===\n${p}=== END goroutine stack dump ===`)} pid=42`) + '\n',
  'logrus with real newlines': (p) => `time="2026-12-03T09:52:26Z" level=info msg="=== BEGIN goroutine stack dump ===\n${p.replace(/\n\n/g, '\n')}=== END goroutine stack dump ==="\n`,
};

test('every framing of a small real-frame dump reads as the plain dump', () => {
  const gs: G[] = [
    { id: 1, state: 4, frames: [2], creator: -1 },
    { id: 7, state: 2, frames: [5, 6, 7], creator: 1 },
    { id: 8, state: 2, frames: [5, 6, 7], creator: 1 },
    { id: 9, state: 0, frames: [0, 1, 2], creator: 0 },
  ];
  const plain = analyzeDump(plainDump(gs));
  assert.equal(total(plain), 4);
  for (const [name, frame] of Object.entries(FRAMINGS)) {
    const a = analyzeDump(frame(plainDump(gs)));
    assert.equal(a.dumps.length, 1, `${name}: ${a.warnings.join('; ')}`);
    assert.deepEqual(shape(a), shape(plain), name);
    assert.equal(a.dumps[0].cut, undefined, `${name}: ${JSON.stringify(a.dumps[0].cut)}`);
  }
});

test('property: any dump, framed any way, reads as the plain dump (whole or in chunks)', () => {
  fc.assert(fc.property(fc.array(goroutine, { minLength: 1, maxLength: 12 }), fc.constantFrom(...Object.keys(FRAMINGS)), fc.integer({ min: 1, max: 97 }), (gs, name, step) => {
    const plain = analyzeDump(plainDump(gs));
    const framed = Buffer.from(FRAMINGS[name](plainDump(gs)));
    const whole = analyzeDump(framed);
    assert.deepEqual(shape(whole), shape(plain), name);
    const an = new GoroutineAnalyzer();
    for (let i = 0; i < framed.length; i += step) an.write(framed.subarray(i, i + step));
    assert.deepEqual(shape(an.end()), shape(plain), `${name}, chunks of ${step}`);
  }), { numRuns: 400 });
});

test('journald prefixes: localized months, another process\'s lines between the dump\'s, and an empty message', () => {
  const dump = plainDump([{ id: 3, state: 0, frames: [0, 1, 2], creator: 0 }, { id: 4, state: 1, frames: [3, 4], creator: -1 }]);
  const lines = dump.trimEnd().split('\n');
  for (const month of ['Dez  3', 'déc.  3', '12月  3', 'дек  3']) {
    const text = lines.flatMap((l, i) => [l ? `${month} 09:52:26 node1 containerd[8346]: ${l}` : `${month} 09:52:26 node1 containerd[8346]:`, ...(i === 2 ? [`${month} 09:52:27 node1 systemd[1]: Started session-42.scope.`] : [])]).join('\n');
    const a = analyzeDump(text);
    assert.equal(a.dumps.length, 1, month);
    assert.deepEqual(shape(a), shape(analyzeDump(dump)), month);
  }
});

test('pprof debug=1: records, labels, spaces for tabs, states from the frames, a total that does not add up', () => {
  const text = [
    'goroutine profile: total 7',
    '4 @ 0x43a8b6 0x4069ce 0x406a8b 0x4715e1',
    '#\t0x4715e0\tinternal/poll.runtime_pollWait+0x88\t\t\truntime/netpoll.go:305',
    '#\t0x4d1234\tinternal/poll.(*pollDesc).wait+0x31\t\tinternal/poll/fd_poll_runtime.go:84',
    '',
    '2 @ 0x43a8b6 0x4069ce',
    '# labels: {"plugin":"cri"}',
    '#\t0x46e0e1\tsync.runtime_SemacquireMutex+0x25\truntime/sema.go:77',
    '#\t0x47d8a4\tsync.(*Mutex).lockSlow+0x164\tsync/mutex.go:171',
    '#\t0x9a1b2c\tgithub.com/docker/go-metrics.(*Namespace).WithConstLabels+0x9b\tgithub.com/docker/go-metrics/namespace.go:48',
    '',
    '1 @ 0x43a8b6',
    '#   0x4a1b2c   main.main+0x1d   /src/main.go:12',
    '',
  ].join('\n');
  const d = analyzeDump(text).dumps[0];
  assert.equal(d.format, 'pprof');
  assert.equal(d.goroutines, 7);
  assert.equal(d.cut, undefined);
  assert.deepEqual(d.states, { 'IO wait': 4, 'sync.Mutex.Lock': 2, unknown: 1 });
  assert.deepEqual(d.buckets.map((b) => b.count), [4, 2, 1]);
  assert.deepEqual(d.buckets[1].frames[2], { func: 'github.com/docker/go-metrics.(*Namespace).WithConstLabels', args: '', file: 'github.com/docker/go-metrics/namespace.go', line: 48 });
  assert.equal(d.buckets[2].frames[0].file, '/src/main.go');
  const short = analyzeDump(text.replace('total 7', 'total 9')).dumps[0];
  assert.match(short.cut!.reason, /declares 9 goroutines; its records add up to 7/);
  // without its first line (pasted from the middle): still records
  assert.equal(analyzeDump(text.split('\n').slice(1).join('\n')).dumps[0].goroutines, 7);
  assert.equal(pprofState(['sync.runtime_SemacquireRWMutexR', 'sync.(*RWMutex).RLock']), 'sync.RWMutex.RLock');
  assert.equal(pprofState(['sync.runtime_Semacquire', 'sync.(*WaitGroup).Wait']), 'sync.WaitGroup.Wait');
  assert.equal(pprofState(['os/signal.signal_recv']), 'syscall');
  assert.equal(pprofState([]), 'unknown');
});

test('what cannot be read is said with its line number', () => {
  // a goroutine on one line whose frames run together
  const a = analyzeDump('some text\ngoroutine 5 [select]: main.f(0x1) /src/a.go:3 +0x1 this is not a frame\n');
  assert.match(a.warnings.join('\n'), /line 2: goroutines on one line \(newlines lost\); the frames cannot be told apart from "this is not a frame"/);
  assert.equal(total(a), 1);
  // a header that lost its colon, or was cut
  const h = analyzeDump('goroutine 7 [select]\nmain.f()\n\t/a.go:1 +0x1\ngoroutine 8 [sel\n');
  assert.equal(h.dumps.length, 0);
  assert.deepEqual(h.warnings, [
    'line 1: "goroutine 7 [select]" looks like a goroutine header but is not one (expected "goroutine N [state]:"); not read',
    'line 4: "goroutine 8 [sel" looks like a goroutine header but is not one (expected "goroutine N [state]:"); not read',
  ]);
  assert.deepEqual(analyzeDump('goroutine 5 finished\n').warnings, [], 'a log line that only mentions a goroutine is not one');
  // a function without its file line
  const b = analyzeDump('goroutine 1 [running]:\nmain.main()\nmain.other()\n');
  assert.deepEqual([b.dumps[0].cut!.line, b.dumps[0].cut!.reason], [3, 'goroutine 1: function main.main without its file line']);
  // a truncated last goroutine: it counts, with its complete frames, and the cut says where
  const c = analyzeDump(`${plainDump([{ id: 1, state: 0, frames: [0, 1, 2], creator: -1 }])}goroutine 2 [select]:\nruntime.gopark(0x1)\n\truntime/pro`);
  assert.equal(total(c), 2);
  assert.equal(c.dumps[0].cut!.line, 10);
  assert.equal(c.dumps[0].cut!.reason, 'goroutine 2: function runtime.gopark without its file line');
});

test('newest first: a journal read backwards is turned around and said; a log whose head ends one dump and starts another is not', () => {
  const dump = plainDump([{ id: 3, state: 0, frames: [0, 1, 2], creator: 0 }, { id: 4, state: 2, frames: [5, 6, 7], creator: -1 }]);
  const rev = FRAMINGS['journald, newest first'](dump);
  assert.equal(sniffOrder(Buffer.from(rev)).reversed, true);
  const a = analyzeDump(rev);
  assert.equal(a.newestFirst, true);
  assert.match(a.warnings[0], /newest first \(journalctl -r: .*function line\(s\) or pprof frames come before their header/);
  assert.equal(a.dumps[0].startOffset, 0);
  assert.equal(a.dumps[0].endOffset, Buffer.byteLength(rev));
  // forward, with the END of an earlier split message first
  const escaped = (s: string) => JSON.stringify(s).slice(1, -1);
  const fwd = `${J(`${escaped(dump.slice(10))}=== END goroutine stack dump ===" pid=42`)}\n${FRAMINGS['logrus escaped, behind journald'](dump)}`;
  assert.equal(sniffOrder(Buffer.from(fwd)).reversed, false);
  assert.equal(analyzeDump(fwd).newestFirst, undefined);
  assert.equal(sniffOrder(Buffer.from(dump)).reversed, false);
  assert.equal(sniffOrder(Buffer.alloc(0)).reversed, false);
});

test('reading lines last first: any text, any block size, gives its lines in reverse (property)', () => {
  fc.assert(fc.property(fc.array(fc.string({ maxLength: 30 }).map((s) => s.replace(/\n/g, '')), { maxLength: 30 }), fc.boolean(), fc.integer({ min: 1, max: 40 }), (ls, finalNl, block) => {
    const text = ls.join('\n') + (finalNl && ls.length ? '\n' : '');
    const buf = Buffer.from(text);
    const out = Buffer.concat([...linesLastFirst((p, l) => Buffer.from(buf.subarray(p, p + l)), buf.length, block)]).toString();
    const want = buf.length ? text.replace(/\n$/, '').split('\n').reverse().join('\n') + '\n' : '';
    assert.equal(out, want);
  }), { numRuns: 500 });
});

test('one line: goroutines split back into Go\'s lines; a line that is not one is left', () => {
  const s = splitOneLine('goroutine 7 [select, 5 minutes]: net/http.(*conn).serve(0xc000123456, {0x1, 0x2}) /usr/lib/go/src/net/http/server.go:1995 +0x612 created by net/http.(*Server).Serve in goroutine 1 /usr/lib/go/src/net/http/server.go:3089 +0x5ed goroutine 8 [running]: goroutine running on other thread; stack unavailable');
  assert.deepEqual(s, { lines: [
    'goroutine 7 [select, 5 minutes]:', 'net/http.(*conn).serve(0xc000123456, {0x1, 0x2})', '\t/usr/lib/go/src/net/http/server.go:1995 +0x612',
    'created by net/http.(*Server).Serve in goroutine 1', '\t/usr/lib/go/src/net/http/server.go:3089 +0x5ed', '',
    'goroutine 8 [running]:', '\tgoroutine running on other thread; stack unavailable', '',
  ] });
  assert.equal(splitOneLine('goroutine 7 [select]:'), undefined);
  assert.equal(splitOneLine('goroutines: 7'), undefined);
});

test('one line: any text splits without throwing, into lines that each read as one line (property)', () => {
  fc.assert(fc.property(fc.string({ maxLength: 200 }), fc.constantFrom('', 'goroutine 1 [running]: ', 'goroutine 2 [select, 3 minutes]: main.f(0x1) /a.go:1 +0x2 '), (tail, head) => {
    const r = splitOneLine(head + tail);
    if (r) for (const l of r.lines) assert.ok(!l.includes('\n'));
  }), { numRuns: 1000 });
});

test('a one-line dump longer than 64 KiB is still read; garbage after a header line is said', () => {
  const gs: G[] = Array.from({ length: 400 }, (_, i) => ({ id: i + 1, state: i % STATES.length, frames: [0, 1, 2, 3, 4], creator: i % 2 }));
  const text = FRAMINGS['all on one line'](plainDump(gs));
  assert.ok(text.length > 64 * 1024);
  const a = analyzeDump(text);
  assert.equal(total(a), 400);
  assert.deepEqual(shape(a), shape(analyzeDump(plainDump(gs))));
});

const noise = [
  'goroutine profile: total 3\n', '2 @ 0x1 0x2\n', '#\t0x1\tmain.f+0x1\t/a.go:1\n', '# labels: {}\n', 'Dec  3 09:52:26 node1 containerd[1]: ', 'Dec  3 09:52:26 node1 systemd[1]: x\n',
  'goroutine 9 [select]: main.f(0x1) /a.go:1 +0x1 created by main.g /a.go:2 +0x2\n', '    goroutine 1 [running]:\n', '    main.main()\n', '        /a.go:3 +0x1\n', '/a.go:4\n',
  'time="t" level=info msg="goroutine 2 [IO wait]:"\n', 'time="t" level=info msg="\\t/a.go:5 +0x1"\n', 'msg="=== BEGIN goroutine stack dump ===\n', '=== END goroutine stack dump ==="\n',
  '\r\n', '\n', 'main.main()\n', '\t/src/main.go:10 +0x1d\n', '8月 31 10:08:26 h k[1]: ', '<30>1 2026-12-03T09:52:26Z h c 1 - - ',
];
const anyInput = fc.array(fc.oneof(fc.constantFrom(...noise), fc.uint8Array({ maxLength: 30 }).map((u) => Buffer.from(u).toString('latin1'))), { maxLength: 40 }).map((xs) => Buffer.from(xs.join(''), 'latin1'));

test('property: no input throws or hangs, whatever the bytes and chunks; chunks do not change the result', () => {
  fc.assert(fc.property(anyInput, fc.integer({ min: 1, max: 64 }), (input, step) => {
    const whole = analyzeDump(input);
    const an = new GoroutineAnalyzer();
    for (let i = 0; i < input.length; i += step) an.write(input.subarray(i, i + step));
    const a = an.end();
    assert.equal(a.inputBytes, input.length);
    assert.deepEqual(a, whole);
  }), { numRuns: 600 });
});

test('empty, blank and binary input: no dump, nothing thrown', () => {
  for (const input of ['', '\n\n\n', '\r\n', Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7919) & 0xff))]) {
    const a = analyzeDump(input);
    assert.equal(a.dumps.length, 0);
  }
});

test('huge: 500k goroutines streamed through the analyser in bounded memory', () => {
  const gs: G[] = Array.from({ length: 50 }, (_, i) => ({ id: i, state: i % STATES.length, frames: [0, 1, 2, 3, 4, 5, 6].slice(0, 2 + (i % 5)), creator: i % 2 }));
  const blocks = gs.map((g) => block(g).slice(1).join('\n'));
  const an = new GoroutineAnalyzer();
  const before = process.memoryUsage().heapUsed;
  let peak = 0;
  let bytes = 0;
  const N = 500_000;
  for (let i = 0; i < N;) {
    const parts: string[] = [];
    for (let k = 0; k < 2000 && i < N; k++, i++) parts.push(`goroutine ${i + 1} [${STATES[i % STATES.length]}]:\n${blocks[i % blocks.length].replace(/0xc0[0-9a-f]{8}/g, () => `0xc0${(i * 2654435761 % 0xffffffff).toString(16).padStart(8, '0')}`)}\n\n`);
    const chunk = Buffer.from(parts.join(''));
    bytes += chunk.length;
    an.write(chunk);
    if (i % 50_000 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed - before);
  }
  const a = an.end();
  assert.equal(total(a), N);
  assert.ok(bytes > 200 * 1024 * 1024, `${bytes} bytes went through`);
  assert.ok(peak < 128 * 1024 * 1024, `heap grew ${Math.round(peak / 1048576)} MiB for ${Math.round(bytes / 1048576)} MiB of dump`);
  assert.ok(a.dumps[0].buckets.length <= 200, 'buckets, not goroutines, are kept');
});
