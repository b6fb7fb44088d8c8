// The image build's reading of `ldd`: real output (this machine's node, captured below as ldd
// printed it), a static binary, and what it must refuse: a library ldd cannot find, lines it
// does not understand, truncated and hostile text. Building and running the image is
// test/e2e/image.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { imageName, linkedLibraries, parseLdd } from '../../src/image/build.ts';

// `ldd /usr/bin/node` on Debian 12 (x86_64), Node 20
const NODE_LDD = `\tlinux-vdso.so.1 (0x00007f0cdaaf8000)
\tlibdl.so.2 => /lib/x86_64-linux-gnu/libdl.so.2 (0x00007f0cdaae2000)
\tlibstdc++.so.6 => /lib/x86_64-linux-gnu/libstdc++.so.6 (0x00007f0cda800000)
\tlibm.so.6 => /lib/x86_64-linux-gnu/libm.so.6 (0x00007f0cda720000)
\tlibgcc_s.so.1 => /lib/x86_64-linux-gnu/libgcc_s.so.1 (0x00007f0cdaac2000)
\tlibpthread.so.0 => /lib/x86_64-linux-gnu/libpthread.so.0 (0x00007f0cdaabd000)
\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f0cda53e000)
\t/lib64/ld-linux-x86-64.so.2 (0x00007f0cdaafa000)
`;

test('ldd: every library and the dynamic linker, not the vDSO', () => {
  assert.deepEqual(parseLdd(NODE_LDD), [
    '/lib/x86_64-linux-gnu/libdl.so.2',
    '/lib/x86_64-linux-gnu/libstdc++.so.6',
    '/lib/x86_64-linux-gnu/libm.so.6',
    '/lib/x86_64-linux-gnu/libgcc_s.so.1',
    '/lib/x86_64-linux-gnu/libpthread.so.0',
    '/lib/x86_64-linux-gnu/libc.so.6',
    '/lib64/ld-linux-x86-64.so.2',
  ]);
  assert.deepEqual(parseLdd(NODE_LDD.replaceAll('\n', '\r\n').replaceAll('\r', '')), parseLdd(NODE_LDD));
});

test('ldd: a static binary and empty output have no libraries', () => {
  assert.deepEqual(parseLdd('\tnot a dynamic executable\n'), []);
  assert.deepEqual(parseLdd('\tstatically linked\n'), []);
  assert.deepEqual(parseLdd(''), []);
});

test('ldd: a missing library is an error naming it; a line it does not know is refused', () => {
  assert.throws(() => parseLdd('\tlibfoo.so.1 => not found\n'), /links libfoo\.so\.1, which ldd cannot find/);
  assert.throws(() => parseLdd('\tsomething odd\n'), /a line ctrdoc does not understand/);
  // cut mid-line: the address is missing
  assert.throws(() => parseLdd('\t/lib64/ld-linux-x86-64.so.2 (0x00007f'), /does not understand/);
});

test('ldd: hostile text never throws anything but a clear error, and never yields a relative path', () => {
  fc.assert(fc.property(fc.string({ maxLength: 300 }), (text) => {
    try {
      for (const p of parseLdd(text)) assert.ok(p.startsWith('/'), p);
    } catch (err) {
      assert.match((err as Error).message, /ldd|links/);
    }
  }));
});

test('this machine\'s ldd on node agrees with the parser, and each file exists', { skip: process.platform !== 'linux' && 'ldd is Linux\'s' }, () => {
  const libs = linkedLibraries(process.execPath);
  assert.ok(libs.some((l) => /libc\.so/.test(l.path)));
  for (const l of libs) assert.ok(l.file.startsWith('/'));
});

test('the image name carries the version and the executable\'s digest', () => {
  const a = imageName(Buffer.from('one'));
  assert.match(a, /^ctrdoc\.local\/ctrdoc:\d+\.\d+\.\d+-[0-9a-f]{12}$/);
  assert.notEqual(a, imageName(Buffer.from('two')));
});
