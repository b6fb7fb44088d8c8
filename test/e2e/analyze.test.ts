// `ctrdoc analyze` as a user runs it on hostile archives: exit 2, a message naming the entry,
// and nothing written anywhere (run from an empty working directory with an empty TMPDIR).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { pack as tarPack } from 'tar-stream';
import { CLI } from './cli-run.ts';

let root: string;
let cwd: string;
let tmp: string;
before(() => {
  root = mkdtempSync(join(tmpdir(), 'b7-analyze-'));
  cwd = join(root, 'cwd');
  tmp = join(root, 'tmp');
  mkdirSync(cwd);
  mkdirSync(tmp);
});
after(() => rmSync(root, { recursive: true, force: true }));

async function tarOf(entries: { name: string; type?: string; linkname?: string; content?: string }[]): Promise<Buffer> {
  const p = tarPack();
  const chunks: Buffer[] = [];
  p.on('data', (b: unknown) => { chunks.push(b as Buffer); });
  const done = new Promise<void>((r) => p.on('end', () => r()));
  for (const e of entries) {
    await new Promise<void>((resolve, reject) => p.entry({ name: e.name, type: (e.type ?? 'file') as 'file', linkname: e.linkname, ...(e.type === 'character-device' ? { devmajor: 1, devminor: 3 } : {}) },
      Buffer.from(e.content ?? ''), (err) => (err ? reject(err) : resolve())));
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

function analyze(file: string) {
  return spawnSync(process.execPath, [CLI, 'analyze', file], { cwd, env: { ...process.env, TMPDIR: tmp }, encoding: 'utf8', timeout: 60_000 });
}

const manifest = { name: 'b/manifest.json', content: JSON.stringify({ apiVersion: 'ctrdoc/v1alpha1', kind: 'BundleManifest', entries: [], redacted: true }) };

for (const [label, entry, message] of [
  ['path traversal', { name: 'b/../../../tmp/evil', content: 'x' }, /entry "b\/\.\.\/\.\.\/\.\.\/tmp\/evil" climbs out of the archive/],
  ['absolute path', { name: '/tmp/evil', content: 'x' }, /entry "\/tmp\/evil" has an absolute path/],
  ['symlink', { name: 'b/evil', type: 'symlink', linkname: '/etc/shadow' }, /entry "b\/evil" is a symbolic link/],
  ['hardlink', { name: 'b/evil', type: 'link', linkname: '/etc/shadow' }, /entry "b\/evil" is a hard link/],
  ['character device', { name: 'b/evil', type: 'character-device' }, /entry "b\/evil" is a character-device/],
] as const) {
  test(`analyze refuses a bundle with a ${label}, names the entry, writes nothing`, async () => {
    const file = join(root, `${label.replace(/ /g, '-')}.tar.gz`);
    writeFileSync(file, gzipSync(await tarOf([{ name: 'b/', type: 'directory' }, manifest, entry])));
    const r = analyze(file);
    assert.equal(r.status, 2, r.stdout);
    assert.match(r.stderr, message);
    assert.match(r.stderr, /refusing to read it/);
    assert.equal(r.stdout, '');
    assert.deepEqual(readdirSync(cwd), []);
    assert.deepEqual(readdirSync(tmp), []);
  });
}

test('analyze of a missing snapshot says which file is missing', async () => {
  const file = join(root, 'nosnap.tar.gz');
  writeFileSync(file, gzipSync(await tarOf([{ name: 'b/', type: 'directory' }, manifest])));
  const r = analyze(file);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /has no b\/snapshot\.json/);
});

test('analyze without a file, or with two, is a usage error', () => {
  const r = spawnSync(process.execPath, [CLI, 'analyze'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /no bundle given/);
});
