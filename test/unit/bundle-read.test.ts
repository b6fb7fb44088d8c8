// Hostile and broken bundles: each is refused with a message naming what is wrong, and reading
// never writes a file. Archives are built here with tar-stream (and one header by hand).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync, createGzip } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { pack as tarPack } from 'tar-stream';
import { readBundle, checkEntryName, snapshotProblem } from '../../src/bundle/read.ts';
import { writeBundle } from '../../src/bundle/write.ts';
import type { Snapshot } from '../../src/snapshot/types/index.ts';
import { CtrdocError } from '../../src/errors.ts';

let dir: string;
before(() => { dir = mkdtempSync(join(tmpdir(), 'b7-read-')); });
after(() => rmSync(dir, { recursive: true, force: true }));

const probe = (name: string) => ({ probe: name, status: 'skipped', durationMs: 0, message: 'test' });
function tinySnapshot(): Snapshot {
  return {
    apiVersion: 'ctrdoc/v1alpha1', kind: 'Snapshot', collectedAt: '2026-01-02T03:04:05.000Z', ctrdocVersion: '0.1.0',
    host: { hostname: 'node-1', kernel: '6.1.0', cpus: 2 },
    stack: { runtimeEndpoint: 'unix:///run/containerd/containerd.sock', address: '/run/containerd/containerd.sock', namespace: 'k8s.io', runcRoot: '/nonexistent/runc', stateDir: '/nonexistent/state', rootDir: '/nonexistent/root', timeoutMs: 2000, sources: {}, notes: [] },
    deadlineMs: 10000, durationMs: 5,
    cri: { version: probe('cri.version'), status: probe('cri.status'), pods: probe('cri.pods'), containers: probe('cri.containers'), containerDetails: probe('cri.containerDetails'), sandboxDetails: probe('cri.sandboxDetails'), images: probe('cri.images') },
    containerd: { process: probe('containerd.process'), version: probe('containerd.version'), tasks: probe('containerd.tasks'), containers: probe('containerd.containers'), plugins: probe('containerd.plugins'), config: probe('containerd.config'), log: probe('containerd.log') },
    proc: probe('proc'), runc: probe('runc'), bundles: probe('bundles'), tree: probe('tree'), kubelet: probe('kubelet'), kubeletLog: probe('kubelet.log'), node: probe('node'),
  } as unknown as Snapshot;
}

type Entry = { name: string; type?: string; content?: string; linkname?: string; size?: number };

async function makeTar(entries: Entry[]): Promise<Buffer> {
  const p = tarPack();
  const chunks: Buffer[] = [];
  p.on('data', (b: unknown) => { chunks.push(b as Buffer); });
  const done = new Promise<void>((r) => p.on('end', () => r()));
  for (const e of entries) {
    await new Promise<void>((resolve, reject) => {
      const content = e.content !== undefined ? Buffer.from(e.content) : undefined;
      p.entry({ name: e.name, type: (e.type ?? 'file') as 'file', linkname: e.linkname, size: content?.length ?? 0, ...(e.type === 'character-device' ? { devmajor: 1, devminor: 3 } : {}) },
        content ?? Buffer.alloc(0), (err) => (err ? reject(err) : resolve()));
    });
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

const MANIFEST = JSON.stringify({ apiVersion: 'ctrdoc/v1alpha1', kind: 'BundleManifest', entries: [], redacted: true, redactions: [], redactionCount: 0 });
const good = (): Entry[] => [
  { name: 'b/', type: 'directory' },
  { name: 'b/manifest.json', content: MANIFEST },
  { name: 'b/snapshot.json', content: JSON.stringify(tinySnapshot()) },
];

async function file(name: string, entries: Entry[]): Promise<string> {
  const path = join(dir, name);
  writeFileSync(path, gzipSync(await makeTar(entries)));
  return path;
}

async function refused(path: string, re: RegExp, limits?: Parameters<typeof readBundle>[1]): Promise<CtrdocError> {
  const before = readdirSync(dir).sort();
  const err = await readBundle(path, limits).then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof CtrdocError, `expected a refusal, got ${String(err)}`);
  assert.equal(err.kind === 'bad-input' || err.kind === 'not-found', true, err.message);
  assert.match(err.message, re);
  assert.deepEqual(readdirSync(dir).sort(), before, 'reading wrote nothing');
  return err;
}

test('a well-formed bundle reads, in memory', async () => {
  const b = await readBundle(await file('good.tar.gz', [...good(), { name: 'b/logs/containerd.log', content: 'line\n' }]));
  assert.equal(b.topDir, 'b');
  assert.equal(b.snapshot.kind, 'Snapshot');
  assert.equal(b.files.get('logs/containerd.log')?.toString(), 'line\n');
});

test('writeBundle then readBundle round-trips the Snapshot', async () => {
  const s = tinySnapshot();
  const out = join(dir, 'w.tar.gz');
  const w = await writeBundle(s, { output: out, redact: true, evidence: [{ name: 'notes/x.txt', source: 'test', status: 'ok', durationMs: 1, content: Buffer.from('password=hunter2x\n') }] });
  const b = await readBundle(out);
  assert.deepEqual(b.snapshot, s);
  assert.equal(b.manifest.redacted, true);
  assert.equal(b.files.get('notes/x.txt')?.toString(), 'password=<redacted>\n');
  assert.deepEqual(b.manifest.redactions, [{ file: 'notes/x.txt', where: 'line 1', key: 'password', rule: 'sensitive-key' }]);
  assert.equal(w.manifest.entries.find((e) => e.name === 'notes/x.txt')?.redactions, 1);
  rmSync(out);
});

test('path traversal with .. is refused, naming the entry', async () => {
  await refused(await file('dotdot.tar.gz', [...good(), { name: 'b/../../etc/cron.d/x', content: 'boom' }]), /"b\/\.\.\/\.\.\/etc\/cron\.d\/x" climbs out/);
});

test('an absolute path is refused', async () => {
  await refused(await file('abs.tar.gz', [...good(), { name: '/etc/passwd', content: 'root' }]), /"\/etc\/passwd" has an absolute path/);
});

test('a symbolic link is refused', async () => {
  await refused(await file('sym.tar.gz', [...good(), { name: 'b/link', type: 'symlink', linkname: '/etc/shadow' }]), /"b\/link" is a symbolic link \(to "\/etc\/shadow"\)/);
});

test('a hard link is refused', async () => {
  await refused(await file('hard.tar.gz', [...good(), { name: 'b/hl', type: 'link', linkname: 'b/manifest.json' }]), /"b\/hl" is a hard link/);
});

test('device files and fifos are refused', async () => {
  await refused(await file('chr.tar.gz', [...good(), { name: 'b/null', type: 'character-device' }]), /"b\/null" is a character-device/);
  await refused(await file('fifo.tar.gz', [...good(), { name: 'b/pipe', type: 'fifo' }]), /"b\/pipe" is a fifo/);
});

test('an entry declaring 2 GB is refused from its header, before any data', async () => {
  // tar-stream will not pack a lie, so this header is written by hand.
  const h = Buffer.alloc(512);
  h.write('b/huge.bin', 0, 'latin1');
  h.write('0000644\0', 100, 'latin1');
  h.write('0000000\0', 108, 'latin1');
  h.write('0000000\0', 116, 'latin1');
  h.write((2 ** 31).toString(8).padStart(11, '0') + '\0', 124, 'latin1');
  h.write('00000000000\0', 136, 'latin1');
  h.write('        ', 148, 'latin1');
  h[156] = '0'.charCodeAt(0);
  h.write('ustar\0', 257, 'latin1');
  h.write('00', 263, 'latin1');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
  const head = await makeTar(good());
  const tar = Buffer.concat([head.subarray(0, head.length - 1024), h, Buffer.alloc(4096)]);
  const path = join(dir, 'huge.tar.gz');
  writeFileSync(path, gzipSync(tar));
  await refused(path, /"b\/huge\.bin" declares 2147483648 bytes, over the \d+-byte cap/);
});

test('a gzip bomb (~200 MB of zeros, streamed) is refused while inflating, early', async () => {
  const path = join(dir, 'bomb.tar.gz');
  const total = 200 << 20;
  const zeros = Buffer.alloc(1 << 20);
  let sent = 0;
  const src = new Readable({ read() { if (sent >= total) this.push(null); else { sent += zeros.length; this.push(zeros); } } });
  await pipeline(src, createGzip({ level: 9 }), createWriteStream(path));
  const err = await refused(path, /a gzip bomb/);
  const at = Number(/after (\d+) bytes/.exec(err.message)?.[1]);
  assert.ok(at < 64 << 20, `stopped after ${at} inflated bytes, not 200 MB`);
});

test('a tar entry of 200 MB of zeros inside a valid archive is refused by the ratio too', async () => {
  const p = tarPack();
  const path = join(dir, 'bomb2.tar.gz');
  const out = pipeline(p, createGzip({ level: 9 }), createWriteStream(path));
  p.entry({ name: 'b/', type: 'directory' });
  p.entry({ name: 'b/manifest.json', size: MANIFEST.length }, MANIFEST);
  const size = 200 << 20;
  const s = p.entry({ name: 'b/zeros.bin', size });
  const zeros = Buffer.alloc(1 << 20);
  for (let i = 0; i < size; i += zeros.length) if (!s.write(zeros)) await new Promise<void>((r) => s.once('drain', () => r()));
  s.end(Buffer.alloc(0));
  p.finalize();
  await out;
  await refused(path, /a gzip bomb/);
});

test('over the total or entry caps (small caps to show the message)', async () => {
  const path = await file('big.tar.gz', [...good(), { name: 'b/big.txt', content: 'x'.repeat(100_000) }]);
  await refused(path, /"b\/big\.txt" declares 100000 bytes, over the 50000-byte cap/, { entryBytes: 50_000 });
  await refused(path, /inflates to more than 60000 bytes/, { totalBytes: 60_000 });
  await refused(path, /more than 2 entries/, { entries: 2 });
});

test('entries outside the top directory, duplicates', async () => {
  await refused(await file('two-tops.tar.gz', [...good(), { name: 'c/x', content: '' }]), /"c\/x" is outside the bundle's top directory "b"/);
  await refused(await file('dup.tar.gz', [...good(), { name: 'b/snapshot.json', content: '{}' }]), /"b\/snapshot\.json" appears twice/);
});

test('missing or malformed manifest and snapshot', async () => {
  const [dirEntry, manifest, snapshot] = good();
  await refused(await file('nomanifest.tar.gz', [dirEntry, snapshot]), /has no b\/manifest\.json/);
  await refused(await file('badmanifest.tar.gz', [dirEntry, { name: 'b/manifest.json', content: '{"kind":' }, snapshot]), /b\/manifest\.json is not valid JSON/);
  await refused(await file('wrongmanifest.tar.gz', [dirEntry, { name: 'b/manifest.json', content: '[]' }, snapshot]), /b\/manifest\.json is not a JSON object/);
  await refused(await file('nosnap.tar.gz', [dirEntry, manifest]), /has no b\/snapshot\.json/);
  await refused(await file('badsnap.tar.gz', [dirEntry, manifest, { name: 'b/snapshot.json', content: '{"kind":"Snapshot"' }]), /b\/snapshot\.json is not valid JSON/);
  await refused(await file('wrongsnap.tar.gz', [dirEntry, manifest, { name: 'b/snapshot.json', content: JSON.stringify({ ...tinySnapshot(), cri: { version: 1 } }) }]), /has no probe result "cri\.version"/);
});

test('not gzip, empty, truncated, garbage, missing file', async () => {
  const plain = join(dir, 'plain.tar.gz');
  writeFileSync(plain, await makeTar(good()));
  await refused(plain, /not a valid gzip stream/);
  const empty = join(dir, 'empty.tar.gz');
  writeFileSync(empty, '');
  await refused(empty, /(empty|not a valid)/);
  const whole = gzipSync(await makeTar(good()));
  const cut = join(dir, 'cut.tar.gz');
  writeFileSync(cut, whole.subarray(0, Math.floor(whole.length / 2)));
  await refused(cut, /not a valid gzip stream|unexpected end|not a valid tar/);
  const junk = join(dir, 'junk.tar.gz');
  writeFileSync(junk, gzipSync(Buffer.from('this is not a tar archive at all, '.repeat(40))));
  await refused(junk, /not a valid tar archive/);
  await refused(join(dir, 'nope.tar.gz'), /no such file/);
});

test('entry names: the checks by themselves', () => {
  assert.deepEqual(checkEntryName('f', 'a/./b/c/'), ['a', 'b', 'c']);
  for (const bad of ['', '/x', 'a/../b', '..', 'a\\b', 'C:\\x', 'a//b', 'a\0b']) assert.throws(() => checkEntryName('f', bad), CtrdocError, bad);
  assert.equal(snapshotProblem(tinySnapshot()), undefined);
  assert.match(snapshotProblem(null) ?? '', /not a JSON object/);
  assert.match(snapshotProblem({ kind: 'Snapshot', apiVersion: 'v9' }) ?? '', /apiVersion/);
});
