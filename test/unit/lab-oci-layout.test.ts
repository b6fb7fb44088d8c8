// The OCI image layout writer: digests and sizes verify the way an importer checks them, output
// is deterministic, and bad input is refused with a message that names the problem.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import {
  buildOciImageTarball, verifyOciImageTarball, readTarFiles, validateImageSpec, layerTar, ociArchitecture,
  type ImageSpec, type LayerEntry, MEDIA_LAYER_GZIP, MEDIA_MANIFEST,
} from '../../src/lab/oci-layout.ts';
import { CtrdocError } from '../../src/errors.ts';

const hex = (b: Buffer) => 'sha256:' + createHash('sha256').update(b).digest('hex');

const small: ImageSpec = {
  name: 'ctrdoc.local/test/tiny:1',
  entries: [
    { path: 'bin/sh', type: 'file', content: Buffer.from('#!fake shell\n'), mode: 0o755 },
    { path: 'bin/echo', type: 'symlink', target: 'sh' },
    { path: 'tmp', type: 'dir', mode: 0o1777 },
  ],
  entrypoint: ['/bin/sh'],
  cmd: ['-c', 'echo hi'],
};

test('every blob matches its descriptor digest and size; the layer matches its diff_id', async () => {
  const img = await buildOciImageTarball(small);
  const files = await readTarFiles(img.tarball);
  assert.equal(files.get('oci-layout')?.toString(), '{"imageLayoutVersion":"1.0.0"}');
  const index = JSON.parse(files.get('index.json')!.toString());
  assert.equal(index.manifests.length, 1);
  assert.equal(index.manifests[0].digest, img.manifest.digest);
  assert.equal(index.manifests[0].annotations['io.containerd.image.name'], small.name);
  assert.equal(index.manifests[0].mediaType, MEDIA_MANIFEST);
  for (const d of [img.manifest, img.config, img.layer]) {
    const blob = files.get(`blobs/sha256/${d.digest.slice(7)}`)!;
    assert.ok(blob, `blob ${d.digest} present`);
    assert.equal(hex(blob), d.digest);
    assert.equal(blob.length, d.size);
  }
  const manifest = JSON.parse(files.get(`blobs/sha256/${img.manifest.digest.slice(7)}`)!.toString());
  assert.equal(manifest.layers[0].mediaType, MEDIA_LAYER_GZIP);
  const config = JSON.parse(files.get(`blobs/sha256/${img.config.digest.slice(7)}`)!.toString());
  const raw = gunzipSync(files.get(`blobs/sha256/${img.layer.digest.slice(7)}`)!);
  assert.deepEqual(config.rootfs.diff_ids, [hex(raw)]);
  assert.equal(config.architecture, ociArchitecture());
  assert.deepEqual(config.config.Entrypoint, ['/bin/sh']);
  assert.deepEqual(await verifyOciImageTarball(img.tarball), [small.name]);
});

test('the layer holds the files, symlinks and their parent directories', async () => {
  const layer = await readTarFiles(await layerTar(small.entries));
  assert.equal(layer.get('bin/sh')?.toString(), '#!fake shell\n');
});

test('the same spec gives the same digests (deterministic)', async () => {
  const a = await buildOciImageTarball(small);
  const b = await buildOciImageTarball(small);
  assert.equal(a.manifest.digest, b.manifest.digest);
  assert.ok(a.tarball.equals(b.tarball));
});

test('a corrupted blob fails verification naming the digest', async () => {
  const img = await buildOciImageTarball(small);
  const t = Buffer.from(img.tarball);
  const at = t.indexOf(Buffer.from('"Entrypoint"'));
  assert.ok(at > 0);
  t[at + 1] = 'e'.charCodeAt(0); // "entrypoint": same size, another digest
  await assert.rejects(verifyOciImageTarball(t), (e: CtrdocError) => e.kind === 'bad-input' && /does not match its digest/.test(e.message));
});

test('bad input: each refused with a bad-input error that names the problem', async () => {
  const cases: [Partial<ImageSpec> | undefined, RegExp][] = [
    [{ ...small, name: '' }, /not a full image reference/],
    [{ ...small, name: 'pause' }, /not a full image reference/],
    [{ ...small, entries: [] }, /no layer entries/],
    [{ ...small, entries: [{ path: '../etc/passwd', type: 'file', content: Buffer.from('x') }] }, /leaves the root filesystem/],
    [{ ...small, entries: [{ path: '', type: 'dir' }] }, /empty path/],
    [{ ...small, entries: [{ path: 'a', type: 'file' } as unknown as LayerEntry] }, /has no content/],
    [{ ...small, entries: [{ path: 'a', type: 'symlink', target: '' }] }, /has no target/],
    [{ ...small, entries: [{ path: 'a', type: 'fifo' } as unknown as LayerEntry] }, /unknown type/],
    [{ ...small, entries: [...small.entries, { path: '/bin/sh', type: 'dir' }] }, /duplicate layer entry "bin\/sh"/],
    [{ ...small, entrypoint: undefined, cmd: undefined }, /neither entrypoint nor cmd/],
    [undefined, /not a full image reference/],
  ];
  for (const [spec, re] of cases) {
    await assert.rejects(buildOciImageTarball(spec as ImageSpec), (e: CtrdocError) => {
      assert.equal(e.kind, 'bad-input');
      assert.match(e.message, re);
      assert.ok(e.hint);
      return true;
    });
  }
});

test('verification of garbage, empty and truncated archives fails with bad-input, never a crash', async () => {
  const img = await buildOciImageTarball(small);
  const inputs = [Buffer.alloc(0), Buffer.from('garbage'.repeat(300)), img.tarball.subarray(0, 700), Buffer.alloc(10_000)];
  for (const b of inputs) {
    await assert.rejects(verifyOciImageTarball(b), (e: CtrdocError) => e instanceof CtrdocError && e.kind === 'bad-input');
  }
});

test('property: any set of valid entries builds an image that verifies', async () => {
  const seg = fc.stringMatching(/^[a-z0-9_]{1,12}$/);
  await fc.assert(
    fc.asyncProperty(fc.uniqueArray(fc.tuple(fc.array(seg, { minLength: 1, maxLength: 3 }), fc.uint8Array({ maxLength: 200 })), { minLength: 1, maxLength: 8, selector: ([p]) => p.join('/') }), async (items) => {
      // a path may not be both a file and a parent directory of another entry
      const paths = items.map(([p]) => p.join('/'));
      fc.pre(!paths.some((a) => paths.some((b) => b.startsWith(a + '/'))));
      const entries: LayerEntry[] = items.map(([p, c]) => ({ path: p.join('/'), type: 'file', content: Buffer.from(c) }));
      const img = await buildOciImageTarball({ name: 'ctrdoc.local/prop/x:1', entries, cmd: ['/x'] });
      assert.deepEqual(await verifyOciImageTarball(img.tarball), ['ctrdoc.local/prop/x:1']);
      const layer = await readTarFiles(gunzipSync((await readTarFiles(img.tarball)).get(`blobs/sha256/${img.layer.digest.slice(7)}`)!));
      for (const e of entries) if (e.type === 'file') assert.ok(layer.get(e.path)?.equals(e.content));
    }),
    { numRuns: 40 },
  );
});

test('validateImageSpec accepts the lab specs shape', () => {
  validateImageSpec(small);
});
