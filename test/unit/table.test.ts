// Tables and ages read the way crictl users expect.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { agoFromNanos, humanBytes, humanDuration, renderTable, shortAge, truncateId } from '../../src/report/table.ts';

test('crictl-style table: uppercase headers as given, padded columns, no trailing spaces', () => {
  const t = renderTable(['POD ID', 'NAME'], [['abc', 'web-0'], ['defghi', 'x']], { minWidth: 20 });
  assert.equal(t, 'POD ID              NAME\nabc                 web-0\ndefghi              x\n');
  assert.equal(renderTable(['A', 'B'], [['1', '2']], { noHeaders: true }), '1   2\n');
  assert.equal(renderTable(['A'], []), 'A\n');
});

test('ids are cut to 13 characters unless --no-trunc', () => {
  const id = 'a'.repeat(64);
  assert.equal(truncateId(id).length, 13);
  assert.equal(truncateId(id, true), id);
});

test('ages as crictl and kubectl say them', () => {
  assert.equal(humanDuration(500), 'Less than a second');
  assert.equal(humanDuration(45_000), '45 seconds');
  assert.equal(humanDuration(61_000), 'About a minute');
  assert.equal(humanDuration(5 * 60_000), '5 minutes');
  assert.equal(humanDuration(3 * 3600_000), '3 hours');
  assert.equal(agoFromNanos(String(BigInt(Date.now() - 120_000) * 1_000_000n)), '2 minutes ago');
  assert.equal(agoFromNanos('0'), '');
  assert.equal(agoFromNanos('-6795364578871345152'), '', 'Go zero time is never set');
  assert.equal(shortAge(30_000), '30s');
  assert.equal(shortAge(600_000), '10m');
  assert.equal(humanBytes(1_234_567), '1.235MB');
  assert.equal(humanBytes(123_456_789), '123.5MB');
  assert.equal(humanBytes(12), '12B');
});

test('ids shown to a person: containerd\'s 64-hex cut to 13, hand-made ids whole', async () => {
  const { shortId } = await import('../../src/ids.ts');
  assert.equal(shortId('a'.repeat(64)), 'a'.repeat(13));
  assert.equal(shortId('ctrdoc-fault-stuck-72e72a8b'), 'ctrdoc-fault-stuck-72e72a8b');
  assert.equal(shortId('A'.repeat(64)), 'A'.repeat(64), 'not containerd\'s form');
  assert.equal(shortId(''), '');
});

test('the version ctrdoc reports is package.json\'s', async () => {
  const { CTRDOC_VERSION } = await import('../../src/version.ts');
  const { readFileSync } = await import('node:fs');
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  assert.equal(CTRDOC_VERSION, pkg.version);
});
