// The launcher (dist/ctrdoc.cjs) runs the bundle with the build's V8 code caches (the bundle's,
// and the protobuf codecs', loaded only by commands that speak gRPC; `ctrdoc cri` has a bundle
// and codecs of its own). A cache that is corrupt,
// truncated, from another build or missing never stops ctrdoc: V8 would crash node on a corrupt
// cache (it checks only the source length), so the launcher must catch it. A broken script is
// a clear error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const dist = join(import.meta.dirname, '..', '..', 'dist');
const skip = ['ctrdoc-main', 'ctrdoc-vendor', 'ctrdoc-cri', 'ctrdoc-vendor-cri', 'ctrdoc-tree'].every((n) => existsSync(join(dist, `${n}.cache`))) ? false : 'dist/*.cache is missing: run npm run build';
const version = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')).version as string;

/** A gRPC command that fails fast and the same way every time: the socket is not there. */
const GRPC_ARGS = ['cri', 'version', '-r', 'unix:///nonexistent/ctrdoc-launcher.sock'];
const NO_SOCKET = /^error: CRI: socket \/nonexistent\/ctrdoc-launcher\.sock does not exist$/m;
/** A command of the whole bundle that speaks gRPC: the doctor, on sockets that are not there. */
const MAIN_GRPC_ARGS = ['doctor', '-r', 'unix:///nonexistent/ctrdoc-launcher.sock', '--address', '/nonexistent/ctrdoc-launcher.sock', '--timeout', '2s', '--no-goroutines', '-o', 'json'];
/** What the doctor said: a report, whatever it found on this machine. */
const reported = (r: Run): boolean => r.code !== 2 && typeof JSON.parse(r.stdout).findings === 'object';

interface Run { code: number | null; stdout: string; stderr: string; states: Record<string, string> }

/** Runs ctrdoc from a copy of dist after `spoil` changed files in it; returns what it said. */
function runSpoiled(spoil: (dir: string) => void, args = ['--version']): Run {
  const dir = mkdtempSync(join(tmpdir(), 'ctrdoc-launcher-'));
  try {
    cpSync(dist, dir, { recursive: true });
    spoil(dir);
    const r = spawnSync(process.execPath, [join(dir, 'ctrdoc.cjs'), ...args], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, CTRDOC_DEBUG: '1' } });
    const states = Object.fromEntries([...r.stderr.matchAll(/code cache (\w+) \(.*\/(ctrdoc-[\w-]+)\.cache\)/g)].map((m) => [m[2], m[1]]));
    return { code: r.status, stdout: r.stdout, stderr: r.stderr, states };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Replaces a cache file with what `f` makes of it (undefined: deletes it). */
const cache = (name: string, f: (c: Buffer) => Buffer | undefined) => (dir: string) => {
  const file = join(dir, `${name}.cache`);
  const out = f(readFileSync(file));
  if (out) writeFileSync(file, out);
  else rmSync(file);
};

const corrupt = (c: Buffer) => {
  const bad = Buffer.from(c);
  for (let i = 100; i < bad.length; i += 997) bad[i] ^= 0xff;
  return bad;
};

test('the build\'s code caches are accepted by this node; the codecs\' only when gRPC is spoken; cri runs its own bundle', { skip }, () => {
  const plain = runSpoiled(() => {});
  assert.deepEqual(plain.states, { 'ctrdoc-main': 'used' }, 'no gRPC: the codecs are never read');
  assert.equal(plain.code, 0);
  assert.equal(plain.stdout, `ctrdoc ${version}\n`);
  const cri = runSpoiled(() => {}, GRPC_ARGS);
  assert.deepEqual(cri.states, { 'ctrdoc-cri': 'used', 'ctrdoc-vendor-cri': 'used' }, 'ctrdoc cri: the CRI bundle and CRI\'s codecs alone');
  assert.equal(cri.code, 2);
  assert.match(cri.stderr, NO_SOCKET);
  const tree = runSpoiled(() => {}, ['tree', '--help']);
  assert.deepEqual(tree.states, { 'ctrdoc-tree': 'used' }, 'tree, shims and runc: their bundle alone');
  assert.match(tree.stdout, /^Usage: ctrdoc tree/);
  const doctor = runSpoiled(() => {}, MAIN_GRPC_ARGS);
  assert.deepEqual(doctor.states, { 'ctrdoc-main': 'used', 'ctrdoc-vendor': 'used' });
  assert.ok(reported(doctor), doctor.stderr);
});

test('a corrupt cache is refused before V8 sees it; ctrdoc still runs', { skip }, () => {
  const main = runSpoiled(cache('ctrdoc-main', corrupt));
  assert.equal(main.states['ctrdoc-main'], 'corrupt');
  assert.equal(main.stdout, `ctrdoc ${version}\n`);
  const vendor = runSpoiled(cache('ctrdoc-vendor', corrupt), MAIN_GRPC_ARGS);
  assert.deepEqual(vendor.states, { 'ctrdoc-main': 'used', 'ctrdoc-vendor': 'corrupt' });
  assert.ok(reported(vendor), `the command itself went on as usual: ${vendor.stderr}`);
  for (const name of ['ctrdoc-cri', 'ctrdoc-vendor-cri']) {
    const r = runSpoiled(cache(name, corrupt), GRPC_ARGS);
    assert.equal(r.states[name], 'corrupt', name);
    assert.match(r.stderr, NO_SOCKET, `${name}: the command itself went on as usual`);
  }
});

test('a truncated, empty or other build\'s cache is stale; a missing one is none; ctrdoc runs each time', { skip }, () => {
  const cases: [string, (c: Buffer) => Buffer | undefined, string][] = [
    ['truncated to 10 bytes', (c) => c.subarray(0, 10), 'stale'],
    ['empty', () => Buffer.alloc(0), 'stale'],
    ['another build', (c) => Buffer.concat([Buffer.from('0123456789abcdef'), c.subarray(16)]), 'stale'],
    ['missing', () => undefined, 'none'],
  ];
  for (const [what, spoil, state] of cases) {
    const r = runSpoiled(cache('ctrdoc-main', spoil));
    assert.equal(r.states['ctrdoc-main'], state, what);
    assert.equal(r.code, 0, what);
    assert.equal(r.stdout, `ctrdoc ${version}\n`, what);
  }
});

test('a cache with a valid header that V8 does not accept is said to be rejected; ctrdoc runs', { skip }, () => {
  // the right build and hash over data V8 cannot use (cut short): only V8's own checks remain
  const r = runSpoiled(cache('ctrdoc-main', (c) => {
    const data = c.subarray(36, 36 + 4096);
    return Buffer.concat([c.subarray(0, 16), createHash('sha1').update(data).digest(), data]);
  }));
  assert.equal(r.states['ctrdoc-main'], 'rejected');
  assert.equal(r.code, 0);
});

test('a script cut short, emptied or missing: exit 2 with a message naming it, no stack trace', { skip }, () => {
  const cases: [string, string, (file: string) => void, string[]][] = [
    ['bundle cut short', 'ctrdoc-main', (f) => writeFileSync(f, readFileSync(f).subarray(0, 100_000)), ['--version']],
    ['bundle empty', 'ctrdoc-main', (f) => writeFileSync(f, ''), ['--version']],
    ['bundle missing', 'ctrdoc-main', (f) => rmSync(f), ['--version']],
    ['vendor cut short', 'ctrdoc-vendor', (f) => writeFileSync(f, readFileSync(f).subarray(0, 100_000)), MAIN_GRPC_ARGS],
    ['vendor missing', 'ctrdoc-vendor', (f) => rmSync(f), MAIN_GRPC_ARGS],
    ['CRI bundle cut short', 'ctrdoc-cri', (f) => writeFileSync(f, readFileSync(f).subarray(0, 100_000)), GRPC_ARGS],
    ['CRI bundle missing', 'ctrdoc-cri', (f) => rmSync(f), GRPC_ARGS],
    ['CRI codecs cut short', 'ctrdoc-vendor-cri', (f) => writeFileSync(f, readFileSync(f).subarray(0, 100_000)), GRPC_ARGS],
    ['tree bundle cut short', 'ctrdoc-tree', (f) => writeFileSync(f, readFileSync(f).subarray(0, 100_000)), ['shims', '--help']],
  ];
  for (const [what, name, spoil, args] of cases) {
    const r = runSpoiled((dir) => spoil(join(dir, `${name}.cjs`)), args);
    assert.equal(r.code, 2, `${what}: ${r.stderr}`);
    // the doctor's note on which containerd it took (one runs on this machine) is not the error
    const errors = r.stderr.split('\n').filter((l) => !l.startsWith('ctrdoc: code cache') && !l.startsWith('note: ')).join('\n');
    assert.match(errors, new RegExp(`^error: ctrdoc's bundle .*${name}\\.cjs does not load: .+\\n  hint: rebuild it \\(npm run build\\) or reinstall ctrdoc\\n$`), what);
  }
});

test('a bundle of a few commands, run for another (a launcher bug), says so and exits 2', async () => {
  const { main } = await import('../../src/cli/main-cri.ts');
  let err = '';
  const io = { stdout: { write: () => true }, stderr: { write: (t: string) => { err += t; return true; } }, isTTY: false } as never;
  assert.equal(await main(['doctor'], io), 2);
  assert.match(err, /^error: the CRI bundle runs only `ctrdoc cri`, not "doctor"\n  hint: run dist\/ctrdoc\.cjs, which picks the bundle\n$/);
});
