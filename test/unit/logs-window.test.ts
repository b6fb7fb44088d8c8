// The log window (issue 11, item 7, the reader's side): the default from containerd's start or
// the last few hours, the --since parser, and episodes older than the window kept but marked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  DEFAULT_LOG_WINDOW_HOURS, defaultLogWindow, describeWindow, parseSince, parseSinceDuration, sinceWindow,
  scanText, containerdLogTable, EpisodeBuilder, compileLogTable,
} from '../../src/sources/logs/index.ts';
import { CtrdocError } from '../../src/errors.ts';

const NOW = Date.UTC(2026, 11, 3, 12, 0, 0);
const H = 3_600_000;

test('default window: containerd\'s start when it is recent, else the last few hours; the result says which', () => {
  assert.deepEqual(defaultLogWindow(NOW - 20 * 60_000, NOW), { start: '2026-12-03T11:40:00.000Z', basis: 'containerd-start' });
  assert.deepEqual(defaultLogWindow(NOW - 30 * H, NOW), { start: new Date(NOW - DEFAULT_LOG_WINDOW_HOURS * H).toISOString(), basis: 'recent-hours', hours: DEFAULT_LOG_WINDOW_HOURS });
  assert.deepEqual(defaultLogWindow(undefined, NOW), { start: new Date(NOW - DEFAULT_LOG_WINDOW_HOURS * H).toISOString(), basis: 'recent-hours', hours: DEFAULT_LOG_WINDOW_HOURS });
  assert.deepEqual(defaultLogWindow(NOW - 3 * H, NOW, 2), { start: new Date(NOW - 2 * H).toISOString(), basis: 'recent-hours', hours: 2 });
  // a start after now (clocks disagree) is clamped to now
  assert.deepEqual(defaultLogWindow(NOW + 5000, NOW), { start: new Date(NOW).toISOString(), basis: 'containerd-start' });
  assert.equal(defaultLogWindow(Number.NaN, NOW).basis, 'recent-hours');
  assert.match(describeWindow(defaultLogWindow(NOW - 60_000, NOW)), /since containerd started \(2026-12-03T11:59:00/);
  assert.match(describeWindow(defaultLogWindow(undefined, NOW)), /the last 6 h/);
  assert.match(describeWindow(sinceWindow('2h', NOW)), /--since 2h \(from 2026-12-03T10:00:00/);
});

test('--since: durations back from now, RFC 3339 times; anything else is an error that says what to give', () => {
  assert.equal(parseSince('2h', NOW), NOW - 2 * H);
  assert.equal(parseSince('1h30m', NOW), NOW - 1.5 * H);
  assert.equal(parseSince('90s', NOW), NOW - 90_000);
  assert.equal(parseSince('-2h', NOW), NOW - 2 * H, 'journalctl style');
  assert.equal(parseSince('1.5h', NOW), NOW - 1.5 * H);
  assert.equal(parseSince('3d', NOW), NOW - 72 * H);
  assert.equal(parseSince('1w', NOW), NOW - 168 * H);
  assert.equal(parseSince('500ms', NOW), NOW - 500);
  assert.equal(parseSince(' 2026-12-03T08:00:00Z ', NOW), Date.UTC(2026, 11, 3, 8));
  assert.equal(parseSince('2026-12-03T09:00:00+01:00', NOW), Date.UTC(2026, 11, 3, 8));
  assert.equal(parseSince('2026-12-03 09:00:00.123456+0100', NOW), Date.UTC(2026, 11, 3, 8, 0, 0, 123));
  assert.equal(parseSince('2026-12-03T08:00Z', NOW), Date.UTC(2026, 11, 3, 8));
  const bad = (text: string, re: RegExp) => assert.throws(() => parseSince(text, NOW), (e: CtrdocError) => e.kind === 'invalid-argument' && re.test(e.message) && !!e.hint, text);
  bad('', /empty/);
  bad('0s', /more than zero/);
  bad('yesterday', /not a duration or an RFC 3339 time/);
  bad('2h30', /not a duration/);
  bad('2026-12-03T08:00:00', /has no zone/);
  bad('2026-13-03T08:00:00Z', /not a duration or an RFC 3339 time/);
  bad('2026-12-04T08:00:00Z', /in the future/);
  assert.deepEqual(sinceWindow('2h', NOW), { start: '2026-12-03T10:00:00.000Z', basis: 'since', since: '2h' });
});

test('--since: any text is a time at or before now, or a CtrdocError; never another throw (property)', () => {
  fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 40 }), fc.stringMatching(/^-?(\d{1,4}(\.\d)?(ms|s|m|h|d|w)){1,3}$/), fc.date({ noInvalidDate: true }).map((d) => d.toISOString())), (s) => {
    try {
      const t = parseSince(s, NOW);
      assert.ok(Number.isFinite(t) && t <= NOW + 60_000);
    } catch (e) {
      assert.ok(e instanceof CtrdocError, String(e));
    }
  }), { numRuns: 1000 });
  assert.equal(parseSinceDuration('1h'), H);
  assert.equal(parseSinceDuration('h'), undefined);
});

test('episodes that ended before the window are kept and marked; those reaching into it are not', () => {
  const table = compileLogTable({ rules: [{ id: 'T_X', pattern: 'boom', layer: 'node', severity: 'warning', title: 't', explanation: 'e', nextStep: 'n', references: [] }] }, 'test.json');
  const window = sinceWindow('1h', NOW);
  const b = new EpisodeBuilder(table, { gapMs: 60_000, window });
  b.add('boom', NOW - 3 * H); // old, alone
  b.add('boom', NOW - 70 * 60_000); // starts before the window …
  b.add('boom', NOW - 69.5 * 60_000);
  b.add('boom', NOW - 69 * 60_000);
  b.add('boom', NOW - 10 * 60_000); // a new one inside
  b.add('boom'); // no time: joins the open one
  const scan = b.finish('t', 0, false);
  assert.deepEqual(scan.episodes.map((e) => [e.count, e.beforeWindow ?? false]), [[1, true], [3, true], [2, false]]);
  assert.deepEqual(scan.window, window);
});

test('the window on containerd\'s real log: a dead shim an hour before containerd\'s (re)start is before the window', () => {
  const text = readFileSync(join(import.meta.dirname, '..', '..', 'testdata', 'captures', 'containerd-log', '1.6.20', 'dead-shim', 'excerpt.log'), 'utf8');
  const lastLine = Date.parse('2026-11-27T01:18:43.448Z');
  const after = scanText(text, containerdLogTable(), 'x', { window: defaultLogWindow(lastLine + H, lastLine + 2 * H) });
  assert.ok(after.episodes.length >= 2);
  assert.ok(after.episodes.every((e) => e.beforeWindow === true));
  assert.equal(after.window?.basis, 'containerd-start');
  const during = scanText(text, containerdLogTable(), 'x', { window: defaultLogWindow(lastLine - H, lastLine + 60_000) });
  assert.ok(during.episodes.every((e) => e.beforeWindow === undefined));
  const none = scanText(text, containerdLogTable(), 'x');
  assert.equal(none.window, undefined);
});
