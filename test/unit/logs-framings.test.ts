// The log readers on logs as people save them. The lines are real: containerd 1.6.20's own log
// under each lab fault (testdata/captures/containerd-log, capture.sh there) and the kubelet
// fixtures (kubelet cannot run here: real-format lines, see test/fixtures/logs/README.md). Each
// test frames them itself (log-framings.ts: journald's short forms in several locales, RFC 5424,
// journalctl -o json, CRLF, newest first, a syslog file shared with other processes, kubelet
// inside k3s and rke2) and checks that every rule fires on the framed text exactly as on the
// text as written: same episodes, counts, captured values and times.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  containerdLogTable, kubeletLogTable, kernelLogTable, lineTime, scanText, scanLogFile, lineFrame, frameTime, payloadOf, logFields,
  isNewestFirst, pagerCutWidth, type LogTable,
} from '../../src/sources/logs/index.ts';
import type { LogScan } from '../../src/snapshot/types/index.ts';
import { FRAMINGS, shortPrefix, type TimedLine, type Intruder } from './log-framings.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const CAPTURES = join(ROOT, 'testdata', 'captures', 'containerd-log', '1.6.20');
const KUBELET = [join(ROOT, 'test', 'fixtures', 'logs', 'kubelet-klog.log'), join(ROOT, 'testdata', 'captures', 'kubelet', '1.6.20', 'removed-flag', 'kubelet.log')];
// year-less klog lines are placed by this reference time (the fixtures are from November 2026)
const REF = new Date(2026, 10, 28).getTime();

/** The lines of a text with the time each carries (a line without one takes the previous line's). */
function timed(text: string): TimedLine[] {
  let last = REF - 86_400_000;
  return text.split('\n').filter(Boolean).map((t) => {
    last = lineTime(t, REF) ?? last;
    return { text: t, ms: last };
  });
}

/** What the rules read from a scan: episodes with counts, captures and times; and the span. */
function judged(s: LogScan) {
  return {
    from: s.from,
    to: s.to,
    episodes: s.episodes.map((e) => ({ pattern: e.pattern, count: e.count, first: e.first, last: e.last, captures: e.captures, levels: e.levels })),
  };
}

const CONTAINERD_INTRUDER: Intruder = {
  // kubelet logs containerd's error text too: in a shared syslog file it is kubelet's line, not containerd's
  tag: 'kubelet',
  text: 'E1127 01:18:43.448102    2817 remote_runtime.go:193] "RunPodSandbox from runtime service failed" err="rpc error: code = Unknown desc = failed to reserve sandbox name \\"web-0_default_1_0\\": name \\"web-0_default_1_0\\" is reserved for \\"0be4d712c7b7cc48f155b95aaf21c556128864b545b78afdf33f58943d09a705\\""',
};
const KUBELET_INTRUDER: Intruder = {
  tag: 'containerd',
  text: 'time="2026-11-26T22:45:13.142123Z" level=error msg="RunPodSandbox for &PodSandboxMetadata{Name:web-0,} failed, error" error="failed to reserve sandbox name \\"web-0_default_1_0\\": name \\"web-0_default_1_0\\" is reserved for \\"0be4d712c7b7\\""',
};

function checkFramings(name: string, text: string, table: LogTable, tag: string, intruder: Intruder): void {
  const lines = timed(text);
  const original = judged(scanText(text, table, 'as-written', { refMs: REF }));
  for (const f of FRAMINGS) {
    const framed = f.frame(lines, tag, [intruder]);
    const scan = scanText(framed, table, f.name, { refMs: REF });
    assert.deepEqual(judged(scan), original, `${name}, ${f.name}`);
    assert.equal(scan.newestFirst === true, f.name.includes('newest first'), `${name}, ${f.name}: order said`);
  }
}

test('containerd 1.6.20\'s own log under each lab fault: the rules fire on every framing as on the log as written', () => {
  const cases = readdirSync(CAPTURES).filter((d) => d !== 'sigusr1');
  assert.ok(cases.length >= 4);
  let episodes = 0;
  for (const c of cases) {
    const text = readFileSync(join(CAPTURES, c, 'excerpt.log'), 'utf8');
    checkFramings(c, text, containerdLogTable(), 'containerd', CONTAINERD_INTRUDER);
    episodes += scanText(text, containerdLogTable(), 'x', { refMs: REF }).episodes.length;
  }
  assert.ok(episodes >= 5, `the captures raise episodes to compare (${episodes})`);
});

test('kubelet lines: every framing, and under k3s, k3s-agent and rke2 as under kubelet', () => {
  for (const file of KUBELET) {
    const text = readFileSync(file, 'utf8');
    const original = judged(scanText(text, kubeletLogTable(), 'x', { refMs: REF }));
    assert.ok(original.episodes.length >= 3, `${file} raises episodes`);
    checkFramings(file, text, kubeletLogTable(), 'kubelet', KUBELET_INTRUDER);
    for (const tag of ['k3s', 'k3s-agent', 'rke2', 'kubelite']) {
      const framed = timed(text).map((l) => shortPrefix(l.ms, tag) + l.text).join('\n');
      assert.deepEqual(judged(scanText(framed, kubeletLogTable(), tag, { refMs: REF })), original, `kubelet inside ${tag}`);
    }
  }
});

test('a syslog file shared by containerd and kubelet: each table reads its own lines, and says what it left', () => {
  const c = timed(readFileSync(join(CAPTURES, 'dead-shim', 'excerpt.log'), 'utf8'));
  const k = timed(readFileSync(KUBELET[0], 'utf8'));
  const mixed = [...c.map((l) => shortPrefix(l.ms, 'containerd') + l.text), ...k.map((l) => shortPrefix(l.ms, 'kubelet') + l.text)].join('\n');
  const cs = scanText(mixed, containerdLogTable(), 'syslog', { refMs: REF });
  const ks = scanText(mixed, kubeletLogTable(), 'syslog', { refMs: REF });
  assert.deepEqual(judged(cs).episodes, judged(scanText(c.map((l) => l.text).join('\n'), containerdLogTable(), 'x', { refMs: REF })).episodes);
  assert.deepEqual(judged(ks).episodes, judged(scanText(k.map((l) => l.text).join('\n'), kubeletLogTable(), 'x', { refMs: REF })).episodes);
  assert.match(cs.notes!.join('\n'), new RegExp(`${k.length} line\\(s\\) logged by other processes were not matched \\(kubelet ${k.length}\\)`));
  assert.match(ks.notes!.join('\n'), /logged by other processes were not matched \(containerd \d+\)/);
});

test('a pager cut (less -S, ">" in the last column): matched as the same lines cut without the mark, and said', () => {
  const text = readFileSync(join(CAPTURES, 'dead-shim', 'excerpt.log'), 'utf8');
  const width = 160;
  const lines = timed(text);
  const prefixed = lines.map((l) => shortPrefix(l.ms, 'containerd') + l.text);
  const cutText = prefixed.map((l) => (l.length > width ? `${l.slice(0, width - 1)}>` : l)).join('\n');
  const plainCut = lines.map((l, i) => prefixed[i].length > width ? l.text.slice(0, width - 1 - (prefixed[i].length - l.text.length)) : l.text).join('\n');
  const scan = scanText(cutText, containerdLogTable(), 'cut', { refMs: REF });
  assert.deepEqual(judged(scan), judged(scanText(plainCut, containerdLogTable(), 'x', { refMs: REF })));
  assert.ok(scan.episodes.some((e) => e.pattern === 'CONTAINERD_LOG_SHIM_DISCONNECTED'), 'the cut keeps what matters here');
  assert.match(scan.notes!.join('\n'), new RegExp(`line\\(s\\) were cut at ${width} characters by a pager`));
  assert.equal(pagerCutWidth(text.split('\n')), undefined, 'lines as written are not taken for a cut');
});

test('a saved file: newest first with more than the window read takes the head of the file (the newest lines)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ctrdoc-logs-'));
  try {
    const path = join(dir, 'r.log');
    const lines: string[] = [];
    // newest first: the newest line (a metrics failure) first, then an hour of older filler
    lines.push(`${shortPrefix(Date.UTC(2026, 10, 26, 23, 0, 0), 'containerd')}time="2026-11-26T23:00:00Z" level=error msg="collecting metrics for abcdefabcdef0123" error="context deadline exceeded: unknown"`);
    for (let i = 0; i < 20_000; i++) {
      const ms = Date.UTC(2026, 10, 26, 22, 0, 0) - i * 1000;
      lines.push(`${shortPrefix(ms, 'containerd')}time="${new Date(ms).toISOString()}" level=info msg="loading plugin" padding=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`);
    }
    writeFileSync(path, lines.join('\n') + '\n');
    const scan = await scanLogFile(path, { table: containerdLogTable(), maxBytes: 256 * 1024, refMs: REF, deadlineMs: 20_000 });
    assert.equal(scan.newestFirst, true);
    assert.match(scan.notes!.join('\n'), /read the first 256 KiB|read the first 0\.3 MiB|read the first .* \(the newest lines\)/);
    assert.equal(scan.episodes.filter((e) => e.pattern === 'CONTAINERD_LOG_COLLECTING_METRICS_FAILED').length, 1);
    assert.equal(scan.to, '2026-11-26T23:00:00.000Z');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('frames: each journald and syslog prefix gives its tag, pid and time; payloads that only look like one are left alone', () => {
  const ref = new Date(2026, 11, 20).getTime();
  const cases: [string, string, number | undefined, number][] = [
    ['Dec 18 10:08:26 host containerd[3476]: x', 'containerd', 3476, new Date(2026, 11, 18, 10, 8, 26).getTime()],
    ['Oct  8 16:39:44 worker9 k3s[1636]: x', 'k3s', 1636, new Date(2026, 9, 8, 16, 39, 44).getTime()],
    ['Dez 18 10:08:26 host kubelet[12]: x', 'kubelet', 12, new Date(2026, 11, 18, 10, 8, 26).getTime()],
    ['déc. 18 10:08:26 host kubelet[12]: x', 'kubelet', 12, new Date(2026, 11, 18, 10, 8, 26).getTime()],
    ['8月 31 10:08:26 host kubelet[12]: x', 'kubelet', 12, new Date(2026, 7, 31, 10, 8, 26).getTime()],
    ['авг 31 10:08:26 host kubelet[12]: x', 'kubelet', 12, new Date(2026, 7, 31, 10, 8, 26).getTime()],
    ['Dec 18 10:08:26.250000 host kernel: x', 'kernel', undefined, new Date(2026, 11, 18, 10, 8, 26, 250).getTime()],
    ['<30>Dec 18 10:08:26 host containerd[1]: x', 'containerd', 1, new Date(2026, 11, 18, 10, 8, 26).getTime()],
    ['2026-12-18T10:08:26+0000 host containerd[1]: x', 'containerd', 1, Date.UTC(2026, 11, 18, 10, 8, 26)],
    ['2026-12-18T10:08:26.123456+01:00 host containerd[1]: x', 'containerd', 1, Date.UTC(2026, 11, 18, 9, 8, 26, 123)],
    ['Fri 2026-12-18 10:08:26 UTC host containerd[1]: x', 'containerd', 1, Date.UTC(2026, 11, 18, 10, 8, 26)],
    ['1797588506.500000 host containerd[1]: x', 'containerd', 1, 1797588506500],
    ['<30>1 2026-12-18T10:08:26.5Z host containerd 3476 - - x', 'containerd', 3476, Date.UTC(2026, 11, 18, 10, 8, 26, 500)],
    ['<30>1 2026-12-18T10:08:26.5Z host containerd 3476 ID47 [exampleSDID@32473 iut="3"] x', 'containerd', 3476, Date.UTC(2026, 11, 18, 10, 8, 26, 500)],
  ];
  for (const [line, tag, pid, ms] of cases) {
    const f = lineFrame(line);
    assert.ok(f, line);
    assert.equal(line.slice(f.at), 'x', line);
    assert.equal(f.tag, tag, line);
    assert.equal(f.pid, pid, line);
    assert.equal(frameTime(f, ref), ms, line);
  }
  for (const payload of [
    'time="2026-12-18T10:08:26Z" level=info msg="x"',
    'E1218 10:08:26.123456    1234 remote_runtime.go:193] "x"',
    '[ 3.123456] EXT4-fs (sda1): mounted filesystem',
    '[12345.678901] Out of memory: Killed process 42 (containerd-shim)',
    'goroutine 1 [running]:',
    'main.f(0x1, 0x2)',
    '\t/src/main.go:12 +0x1d',
    'created by main.main in goroutine 1',
    'Started session 42 of user root.',
  ]) {
    assert.equal(lineFrame(payload), undefined, payload);
    assert.equal(payloadOf(payload), payload);
  }
});

test('frames: any text gives a frame whose payload is the line\'s tail, or none; never throws (property)', () => {
  fc.assert(fc.property(fc.string({ maxLength: 200 }), fc.constantFrom('', 'Dec 18 10:08:26 h t[1]: ', '<3>1 - - - - - - ', '2026-12-18T10:08:26Z h t: '), (s, p) => {
    const line = p + s;
    const f = lineFrame(line);
    if (f) {
      assert.ok(f.at > 0 && f.at <= line.length);
      const t = frameTime(f, Date.now());
      assert.ok(t === undefined || Number.isFinite(t));
    }
  }), { numRuns: 1000 });
});

test('framings round-trip: any containerd-like lines, framed any way, match as written (property)', () => {
  const table = containerdLogTable();
  const msg = fc.constantFrom('shim disconnected', 'cleaning up dead shim', 'collecting metrics for 0123456789abcdef', 'too many open files', 'loading plugin', 'failed to reserve sandbox name "a_b_c_0": name "a_b_c_0" is reserved for "abcdef0123456789"');
  fc.assert(fc.property(
    fc.array(fc.tuple(fc.integer({ min: 0, max: 3 * 3600 }), msg, fc.constantFrom('info', 'error', 'warning')), { minLength: 1, maxLength: 30 }),
    fc.constantFrom(...FRAMINGS.map((f) => f.name)),
    (rows, framing) => {
      // newest first is told from at least two steps back in time: fewer lines cannot say
      if (framing.includes('newest first')) fc.pre(new Set(rows.map((r) => r[0])).size >= 3);
      const base = Date.UTC(2026, 10, 26, 20, 0, 0);
      const lines: TimedLine[] = rows.sort((a, b) => a[0] - b[0]).map(([s, m, level]) => {
        const ms = base + s * 1000;
        return { ms, text: `time="${new Date(ms).toISOString()}" level=${level} msg="${m.replace(/"/g, '\\"')}"` };
      });
      const text = lines.map((l) => l.text).join('\n');
      const f = FRAMINGS.find((x) => x.name === framing)!;
      assert.deepEqual(judged(scanText(f.frame(lines, 'containerd', [CONTAINERD_INTRUDER]), table, 'p', { refMs: REF })), judged(scanText(text, table, 'p', { refMs: REF })));
    },
  ), { numRuns: 300 });
});

test('newest first: told from a log whose lines are all one second, and from small disorder', () => {
  const same = Array.from({ length: 50 }, () => 'time="2026-11-26T22:00:00Z" level=info msg="x"');
  assert.equal(isNewestFirst(same, REF), false);
  const jitter = Array.from({ length: 50 }, (_, i) => `time="2026-11-26T22:00:${String(i + (i % 3 === 0 ? 1 : 0)).padStart(2, '0')}Z" level=info msg="x"`);
  assert.equal(isNewestFirst(jitter, REF), false);
  assert.equal(isNewestFirst([...jitter].reverse(), REF), true);
  assert.equal(isNewestFirst([], REF), false);
});

test('fields: logrus with escaped and unescaped quotes, JSON, klog; the episode keeps the levels', () => {
  assert.deepEqual(logFields('time="2020-08-29T08:38:21.573447253+03:00" level=info msg="loading plugin "io.containerd.grpc.v1.snapshots"..." type=io.containerd.grpc.v1'),
    { time: '2020-08-29T08:38:21.573447253+03:00', level: 'info', msg: 'loading plugin "io.containerd.grpc.v1.snapshots"...' });
  assert.deepEqual(logFields('time="2026-11-27T01:18:43.4Z" level=error msg="failed to reserve sandbox name \\"a_b\\": name \\"a_b\\" is reserved for \\"0be4\\"" error="x"'),
    { time: '2026-11-27T01:18:43.4Z', level: 'error', msg: 'failed to reserve sandbox name "a_b": name "a_b" is reserved for "0be4"' });
  assert.deepEqual(logFields('time="t" level=warning msg="cleaning up after shim disconnected" id=abc namespace=k8s.io'), { time: 't', level: 'warning', msg: 'cleaning up after shim disconnected' });
  assert.deepEqual(logFields('time="t" level=info msg=serving... address=/run/containerd/containerd.sock'), { time: 't', level: 'info', msg: 'serving...' });
  assert.deepEqual(logFields('{"level":"error","msg":"collecting metrics for 0123","time":"2026-11-26T22:48:13Z"}'), { level: 'error', msg: 'collecting metrics for 0123', time: '2026-11-26T22:48:13Z' });
  assert.deepEqual(logFields('E1126 22:48:13.123456    1234 remote_runtime.go:193] "RunPodSandbox from runtime service failed" err="x"'),
    { level: 'error', time: '1126 22:48:13.123456', msg: '"RunPodSandbox from runtime service failed" err="x"' });
  assert.deepEqual(logFields('{"level":'), {});
  // a JSON line's fields that are not text, or absent, are left out (fast-check found {"msg":""})
  assert.deepEqual(logFields('{"msg":""}'), { msg: '' });
  assert.deepEqual(logFields('{"level":3,"msg":"x","time":null}'), { msg: 'x' });
  assert.deepEqual(logFields('no fields here'), {});
  const shim = scanText(readFileSync(join(CAPTURES, 'dead-shim', 'excerpt.log'), 'utf8'), containerdLogTable(), 'x', { refMs: REF });
  assert.deepEqual(shim.episodes.find((e) => e.pattern === 'CONTAINERD_LOG_SHIM_DISCONNECTED')!.levels, ['info', 'warning']);
  fc.assert(fc.property(fc.string({ maxLength: 300 }), fc.constantFrom('', 'time="t" level=info msg="', '{"msg":"', 'E1126 22:48:13.123456    1 a.go:1] '), (s, p) => {
    const f = logFields(p + s);
    for (const v of Object.values(f)) assert.equal(typeof v, 'string');
  }), { numRuns: 1000 });
});

test('logrus lines with unescaped quotes inside msg still give the time and match', () => {
  // containerd 1.4 wrote plugin names unquoted inside the message (moby#41397 shows such lines)
  const line = 'Aug 29 08:38:21 gitlab containerd[7071]: time="2020-08-29T08:38:21.573447253+03:00" level=error msg="failed to get sandbox image "registry.k8s.io/pause:3.9"" error="not found"';
  const scan = scanText(line, containerdLogTable(), 'x', { refMs: Date.UTC(2020, 8, 1) });
  const ep = scan.episodes.find((e) => e.pattern === 'CONTAINERD_LOG_SANDBOX_IMAGE_FAILED');
  assert.ok(ep, JSON.stringify(scan.episodes));
  assert.equal(ep.first, '2020-08-29T05:38:21.573Z');
  assert.deepEqual(ep.captures.image, ['registry.k8s.io/pause:3.9']);
});

test('the kernel table on a saved kern.log and on journalctl -k: the payload behind the prefix', () => {
  const k = kernelLogTable();
  const text = [
    'Dec 18 10:08:26 node1 kernel: [12345.678901] Out of memory: Killed process 4242 (containerd-shim) total-vm:1234kB, anon-rss:100kB',
    'Dec 18 10:09:01 node1 kernel: INFO: task runc:[2:INIT]:31337 blocked for more than 120 seconds.',
    'Dec 18 10:09:02 node1 systemd[1]: Started Session 1 of User root.',
  ].join('\n');
  const scan = scanText(text, k, 'kern.log', { refMs: new Date(2026, 11, 20).getTime() });
  assert.deepEqual(scan.episodes.map((e) => e.pattern).sort(), ['KERNEL_HUNG_TASK', 'KERNEL_OOM_KILL', 'KERNEL_OOM_KILLED_RUNTIME']);
  assert.equal(scan.episodes.find((e) => e.pattern === 'KERNEL_HUNG_TASK')!.first, new Date(2026, 11, 18, 10, 9, 1).toISOString());
});
