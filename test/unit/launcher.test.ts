// The launcher (dist/ctrdoc.cjs) runs the bundle with the build's V8 code cache, and a cache
// that is corrupt, truncated, from another build or missing never stops ctrdoc: V8 would crash
// node on a corrupt cache (it checks only the source length), so the launcher must catch it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const dist = join(import.meta.dirname, '..', '..', 'dist');
const skip = existsSync(join(dist, 'ctrdoc-main.cache')) ? false : 'dist/ctrdoc-main.cache is missing: run npm run build';

/** Runs `ctrdoc --version` from a copy of dist whose cache `spoil` changed; returns what it said. */
function runWithCache(spoil: (cache: Buffer) => Buffer | undefined): { code: number | null; stdout: string; state: string } {
  const dir = mkdtempSync(join(tmpdir(), 'ctrdoc-launcher-'));
  try {
    cpSync(dist, dir, { recursive: true });
    const cacheFile = join(dir, 'ctrdoc-main.cache');
    const spoiled = spoil(readFileSync(cacheFile));
    if (spoiled) writeFileSync(cacheFile, spoiled);
    else rmSync(cacheFile);
    const r = spawnSync(process.execPath, [join(dir, 'ctrdoc.cjs'), '--version'], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, CTRDOC_DEBUG: '1' } });
    return { code: r.status, stdout: r.stdout, state: /code cache (\w+)/.exec(r.stderr)?.[1] ?? `none said: ${r.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const version = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')).version as string;

test('the build\'s code cache is accepted by this node', { skip }, () => {
  const r = runWithCache((c) => c);
  assert.equal(r.state, 'used');
  assert.equal(r.code, 0);
  assert.equal(r.stdout, `ctrdoc ${version}\n`);
});

test('a corrupt cache is refused before V8 sees it; ctrdoc still runs', { skip }, () => {
  const r = runWithCache((c) => {
    const bad = Buffer.from(c);
    for (let i = 100; i < bad.length; i += 997) bad[i] ^= 0xff;
    return bad;
  });
  assert.equal(r.state, 'corrupt');
  assert.equal(r.code, 0);
  assert.equal(r.stdout, `ctrdoc ${version}\n`);
});

test('a truncated, empty or other build\'s cache is stale; a missing one is none; ctrdoc runs each time', { skip }, () => {
  const cases: [string, (c: Buffer) => Buffer | undefined, string][] = [
    ['truncated to 10 bytes', (c) => c.subarray(0, 10), 'stale'],
    ['empty', () => Buffer.alloc(0), 'stale'],
    ['another build', (c) => Buffer.concat([Buffer.from('0123456789abcdef'), c.subarray(16)]), 'stale'],
    ['missing', () => undefined, 'none'],
  ];
  for (const [what, spoil, state] of cases) {
    const r = runWithCache(spoil);
    assert.equal(r.state, state, what);
    assert.equal(r.code, 0, what);
    assert.equal(r.stdout, `ctrdoc ${version}\n`, what);
  }
});

test('a cache with a valid header that V8 does not accept is said to be rejected; ctrdoc runs', { skip }, () => {
  // the right build and hash over data V8 cannot use (cut short): only V8's own checks remain
  const r = runWithCache((c) => {
    const data = c.subarray(36, 36 + 4096);
    return Buffer.concat([c.subarray(0, 16), createHash('sha1').update(data).digest(), data]);
  });
  assert.equal(r.state, 'rejected');
  assert.equal(r.code, 0);
});

test('a bundle cut short, emptied or missing: exit 2 with a message naming it, no stack trace', { skip }, () => {
  const cases: [string, (file: string) => void][] = [
    ['cut short', (f) => writeFileSync(f, readFileSync(f).subarray(0, 100_000))],
    ['empty', (f) => writeFileSync(f, '')],
    ['missing', (f) => rmSync(f)],
  ];
  for (const [what, spoil] of cases) {
    const dir = mkdtempSync(join(tmpdir(), 'ctrdoc-launcher-'));
    try {
      cpSync(dist, dir, { recursive: true });
      spoil(join(dir, 'ctrdoc-main.cjs'));
      const r = spawnSync(process.execPath, [join(dir, 'ctrdoc.cjs'), '--version'], { encoding: 'utf8', timeout: 30_000 });
      assert.equal(r.status, 2, `${what}: ${r.stderr}`);
      assert.match(r.stderr, /^error: ctrdoc's bundle .*ctrdoc-main\.cjs does not load: .+\n  hint: rebuild it \(npm run build\) or reinstall ctrdoc\n$/, what);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});
