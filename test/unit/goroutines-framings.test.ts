// The goroutine reader on dumps as people paste them. The dumps are real: the lab's containerd
// 1.6.20 and one of its shims (debug socket debug=2 and debug=1, SIGUSR1 stacks file and log
// lines), captured by testdata/captures/goroutines/1.6.20/framings/capture.sh and re-framed by
// reframe.ts beside it (inside log lines with escaped or real newlines, behind journald
// prefixes, newest first, indented with spaces or not at all, CRLF, double-spaced, cut, one
// goroutine per line). Every fixture must give the count of the capture it was made from
// (counted here with a plain regular expression) and the same buckets; panicparse must agree
// where it reads the format.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeDump, analyzeFile, GoroutineAnalyzer } from '../../src/goroutines/index.ts';
import type { GoroutineAnalysis } from '../../src/snapshot/types/goroutines.ts';
import { PANICPARSE, panicparseCount, panicparseSizes, ourSizes } from './panicparse.ts';

const DIR = join(import.meta.dirname, '../../testdata/captures/goroutines/1.6.20/framings');
const expected = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as Record<string, { from: string; what: string }>;

/** The goroutines of a raw capture, counted without the reader: headers, or debug=1 records' N. */
function rawCount(name: string): number {
  const text = readFileSync(join(DIR, name), 'utf8');
  if (/^goroutine profile: total \d+/.test(text)) return [...text.matchAll(/^(\d+) @ /gm)].reduce((n, m) => n + Number(m[1]), 0);
  if (name.endsWith('.log')) return (text.match(/(?:\\n|msg=")goroutine \d+ \[/g) ?? []).length;
  return (text.match(/^goroutine \d+ \[/gm) ?? []).length;
}

const total = (a: GoroutineAnalysis): number => a.dumps.reduce((n, d) => n + d.goroutines, 0);
/** The buckets as a person reads them: size, state, where, in order. */
const shape = (a: GoroutineAnalysis) => a.dumps.flatMap((d) => d.buckets.map((b) => `${b.count} ${b.state} ${b.topFunction} ${b.frames.map((f) => `${f.func}@${f.line}`).join('<')}`)).sort();

test('the raw captures: counts as the dumps declare them (debug=1 adds up to its total), and there is one of each kind', () => {
  const d1 = readFileSync(join(DIR, 'raw/debug1.dump'), 'utf8');
  assert.equal(rawCount('raw/debug1.dump'), Number(/^goroutine profile: total (\d+)/.exec(d1)![1]));
  for (const raw of ['raw/debug2.dump', 'raw/debug1.dump', 'raw/containerd-stacks.dump', 'raw/containerd-sigusr1.log', 'raw/shim-sigusr1.log']) {
    const a = analyzeDump(readFileSync(join(DIR, raw)));
    assert.equal(a.dumps.length, 1, raw);
    assert.equal(total(a), rawCount(raw), raw);
    assert.ok(total(a) > 20, `${raw}: a real dump (${total(a)} goroutines)`);
  }
  // the SIGUSR1 log line and the stacks file are one dump written twice
  assert.deepEqual(shape(analyzeDump(readFileSync(join(DIR, 'raw/containerd-sigusr1.log')))), shape(analyzeDump(readFileSync(join(DIR, 'raw/containerd-stacks.dump')))));
});

for (const [name, { from, what }] of Object.entries(expected)) {
  test(`${name} (${what}): every goroutine of ${from}`, async () => {
    const bytes = readFileSync(join(DIR, name));
    const want = rawCount(from);
    const fromFile = await analyzeFile(join(DIR, name));
    const inMemory = analyzeDump(bytes);
    // and in odd chunks, as a socket would give it
    const an = new GoroutineAnalyzer();
    for (let i = 0; i < bytes.length; i += 4093) an.write(bytes.subarray(i, i + 4093));
    const chunked = an.end();
    for (const [how, a] of [['file', fromFile], ['memory', inMemory], ['chunked', chunked]] as const) {
      assert.equal(a.dumps.length, 1, `${how}: one dump (${a.dumps.map((d) => d.goroutines).join(', ')}); warnings: ${a.warnings.join('; ')}`);
      assert.equal(total(a), want, `${how}: goroutines`);
      assert.equal(a.newestFirst === true, name.includes('reversed'), `${how}: newest first said`);
      if (name.includes('reversed')) assert.match(a.warnings[0], /newest first \(journalctl -r/);
      const d = a.dumps[0];
      if (name === 'truncated.dump') {
        assert.ok(d.cut, 'the cut is said');
        assert.match(d.cut.reason, /without its file line/);
        assert.equal(d.cut.line, bytes.toString('latin1').split('\n').length, 'at the last line');
      } else assert.equal(d.cut, undefined, `${how}: ${JSON.stringify(d.cut)}`);
      assert.ok(d.startOffset >= 0 && d.endOffset <= bytes.length + 1 && d.startOffset < d.endOffset, `${how}: range ${d.startOffset}-${d.endOffset}`);
    }
    assert.deepEqual(shape(inMemory), shape(fromFile));
    assert.deepEqual(shape(chunked), shape(fromFile));
    if (name !== 'truncated.dump') assert.deepEqual(shape(fromFile), shape(analyzeDump(readFileSync(join(DIR, from)))), 'the same buckets as the capture it was made from');
  });
}

test('pprof debug=1: records count as their N, states are read from the frames, the profile\'s total is checked', () => {
  const a = analyzeDump(readFileSync(join(DIR, 'raw/debug1.dump')));
  const d = a.dumps[0];
  assert.equal(d.format, 'pprof');
  assert.ok(d.buckets.some((b) => b.count > 1), 'a record of several goroutines is one bucket');
  assert.ok(d.buckets.every((b) => b.sampleIds.length === 0), 'debug=1 has no goroutine ids');
  assert.equal(d.states['IO wait'], d.buckets.filter((b) => b.frames[0]?.func === 'internal/poll.runtime_pollWait').reduce((n, b) => n + b.count, 0));
  // the same moment through debug=2: IO waits agree
  const d2 = analyzeDump(readFileSync(join(DIR, 'raw/debug2.dump'))).dumps[0];
  assert.equal(d.states['IO wait'], d2.states['IO wait']);
  // cut between records: the profile's total says goroutines are missing
  const text = readFileSync(join(DIR, 'raw/debug1.dump'), 'utf8');
  const cutAt = text.trimEnd().lastIndexOf('\n\n') + 2; // before the last record
  const cut = analyzeDump(text.slice(0, cutAt)).dumps[0];
  assert.ok(cut.cut);
  assert.match(cut.cut.reason, new RegExp(`declares ${d.goroutines} goroutines; its records add up to ${cut.goroutines}`));
});

test('panicparse agrees on the framings it reads (count and bucket sizes)', (t) => {
  if (!existsSync(PANICPARSE)) {
    t.skip(`${PANICPARSE} is not installed (apt-get install panicparse)`);
    return;
  }
  // found by running it on every fixture: it reads these, and finds nothing (or one goroutine) in the others
  const reads = ['raw/debug2.dump', 'raw/containerd-stacks.dump', 'crlf.dump', 'spaces-indented.dump', 'markdown-indented.dump', 'truncated.dump', 'logrus-real-newlines.log'];
  // these it counts, but it groups them into fewer, larger buckets than it does the same dump
  // plain (ctrdoc's buckets equal those of the capture), so only the count is compared
  const countOnly = ['markdown-indented.dump', 'logrus-real-newlines.log'];
  for (const f of reads) {
    const ours = analyzeDump(readFileSync(join(DIR, f)));
    const theirs = panicparseSizes(join(DIR, f), 'pointer', f === 'truncated.dump');
    assert.equal(total(ours), theirs.reduce((n, x) => n + x, 0), `${f}: goroutines`);
    if (!countOnly.includes(f)) assert.deepEqual(ourSizes(ours), theirs, `${f}: bucket sizes`);
  }
  const missed = Object.keys(expected).filter((f) => !reads.includes(f)).filter((f) => panicparseCount(join(DIR, f)) === rawCount(expected[f].from));
  assert.deepEqual(missed, [], 'a fixture panicparse reads too belongs in the list above');
});

test('the fixtures are small, and the scripts that made them sit beside them', () => {
  for (const f of ['capture.sh', 'reframe.ts']) assert.ok(existsSync(join(DIR, f)), f);
  const sh = readFileSync(join(DIR, 'capture.sh'), 'utf8');
  assert.doesNotMatch(sh, /kill -(?:QUIT|3)\b/, 'never SIGQUIT');
  assert.match(sh, /lab up --dir "\$D"/, 'its own lab');
  for (const f of Object.keys(expected)) assert.ok(statSync(join(DIR, f)).size < 128 * 1024, `${f} is small`);
});
