// Builds dist/: the bundle (ctrdoc-main.cjs), grpc-js and protobufjs apart (ctrdoc-vendor.cjs),
// the launcher (ctrdoc.cjs) and their V8 code caches, plus the compiled
// protobuf descriptor (proto/*.proto -> JSON) so no .proto text is parsed at run time.
import { build } from 'esbuild';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync, chmodSync, rmSync, renameSync, existsSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http2 from 'node:http2';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const protoDir = join(root, 'proto');
const files = readdirSync(protoDir).filter((f) => f.endsWith('.proto')).sort();
const pb = new protobuf.Root();
// google/protobuf/* are protobufjs's built-in common files; ours sit flat in proto/.
pb.resolvePath = (_origin, target) => (target.startsWith('google/protobuf/') ? target : join(protoDir, target.replace(/^.*\//, '')));
pb.loadSync(files.map((f) => join(protoDir, f)));
pb.resolveAll();
mkdirSync(join(root, 'src/generated'), { recursive: true });
writeFileSync(join(root, 'src/generated/descriptor.json'), JSON.stringify(pb.toJSON()) + '\n');

// Build into a fresh dir and swap it in, so stale files never linger and a CLI run (or a test)
// that overlaps a build never sees a half-written dist/.
const dist = join(root, 'dist');
const fresh = join(root, `dist.build-${process.pid}`);
rmSync(fresh, { recursive: true, force: true });

// The bundle and the vendor script (grpc-js, protobufjs): CommonJS scripts that the launcher
// compiles with V8's code cache, the vendor one only when a command speaks gRPC. Their first
// line names the build, so the launcher never pairs a script with another build's cache.
const buildId = randomBytes(8).toString('hex');
const common = { bundle: true, platform: 'node', target: 'node20', legalComments: 'none', logLevel: 'warning' };
const script = {
  ...common,
  format: 'cjs',
  // the launcher reads the scripts as latin1; ASCII output makes that exact
  charset: 'ascii',
  sourcemap: 'linked',
};
await build({
  ...script,
  entryPoints: [join(root, 'src/cli/main.ts')],
  outfile: join(fresh, 'ctrdoc-main.cjs'),
  // import.meta, for the one place that asks where ctrdoc itself is (the lab's supervisor)
  banner: { js: `// ctrdoc build ${buildId}\n'use strict';\nvar __ctrdocImportMeta = { url: require('node:url').pathToFileURL(__filename).href };` },
  define: { 'import.meta': '__ctrdocImportMeta' },
  // in ctrdoc-vendor.cjs, which the launcher hands over on require()
  external: ['@grpc/grpc-js', 'protobufjs/light.js'],
});
await build({
  ...script,
  entryPoints: [join(root, 'src/cli/vendor.cts')],
  outfile: join(fresh, 'ctrdoc-vendor.cjs'),
  banner: { js: `// ctrdoc build ${buildId}` },
  // grpc-js loads proto-loader (and with it a second protobufjs) only for channelz and ORCA,
  // which ctrdoc never uses: keep it out.
  external: ['@grpc/proto-loader'],
});
// The launcher runs the scripts as vm.Scripts, which have no loader for import(): every module
// must be bundled or require()d.
for (const name of ['ctrdoc-main.cjs', 'ctrdoc-vendor.cjs']) {
  const dynamicImport = /(?<![\w$.])import\(/.exec(readFileSync(join(fresh, name), 'latin1'));
  if (dynamicImport) throw new Error(`build: dist/${name} still has an import() (at ${dynamicImport.index}): import statically or bundle it`);
}
// The launcher, dist/ctrdoc.cjs: what `ctrdoc` runs.
await build({
  ...common,
  entryPoints: [join(root, 'src/cli/launch.ts')],
  outfile: join(fresh, 'ctrdoc.cjs'),
  format: 'cjs',
  banner: { js: '#!/usr/bin/env node' },
});
chmodSync(join(fresh, 'ctrdoc.cjs'), 0o755);

const old = join(root, `dist.old-${process.pid}`);
if (existsSync(dist)) renameSync(dist, old);
renameSync(fresh, dist);
rmSync(old, { recursive: true, force: true });
// Trained in place: V8 keeps the script's path in the cache, and stack traces show it.
await trainCodeCache(dist);

/**
 * Makes dist/ctrdoc-main.cache and dist/ctrdoc-vendor.cache: the launcher runs `--help`, every command's `--help` and the CRI
 * commands against a stand-in gRPC endpoint (an http2 server that answers every call with an
 * empty message), then saves the code V8 compiled. Without it ctrdoc works, only slower to start;
 * so a failure here is a warning, not a failed build.
 */
async function trainCodeCache(out) {
  const sockDir = mkdtempSync(join(tmpdir(), 'ctrdoc-build-'));
  const sock = join(sockDir, 'cri.sock');
  const server = http2.createServer();
  server.on('stream', (stream) => {
    stream.resume();
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
    stream.end(Buffer.alloc(5)); // one empty, uncompressed message
  });
  await new Promise((resolve, reject) => server.once('error', reject).listen(sock, resolve));
  const ep = `unix://${sock}`;
  const commands = ['analyze', 'bundle', 'core', 'cri', 'doctor', 'goroutines', 'lab', 'report', 'runc', 'serve', 'shims', 'tree'];
  const runs = [
    ['--help'],
    ...commands.map((c) => [c, '--help']),
    ...['ps', 'pods', 'images', 'version', 'info', 'stats'].map((c) => ['cri', c, '-r', ep, '--timeout', '2s']),
    ['cri', 'ps', '-a', '-o', 'json', '-r', ep],
    ['cri', 'pods', '-o', 'yaml', '-r', ep],
  ];
  const caches = ['ctrdoc-main.cache', 'ctrdoc-vendor.cache'].map((f) => join(out, f));
  try {
    const r = await new Promise((resolve) => {
      const child = spawn(process.execPath, [join(out, 'ctrdoc.cjs')], {
        env: { ...process.env, CTRDOC_CODE_CACHE_TRAIN: JSON.stringify({ runs }) },
        stdio: ['ignore', 'ignore', 'pipe'],
        timeout: 60_000,
      });
      let err = '';
      child.stderr.on('data', (d) => (err += d));
      child.on('close', (code, signal) => resolve({ code, signal, err }));
    });
    if (r.code === 0 && caches.every((c) => existsSync(`${c}.tmp`))) for (const c of caches) renameSync(`${c}.tmp`, c);
    else console.warn(`build: no code cache (training run: exit ${r.code ?? r.signal}) ${r.err.trim()}\nctrdoc works without it, only slower to start.`);
  } finally {
    for (const c of caches) rmSync(`${c}.tmp`, { force: true });
    server.close();
    rmSync(sockDir, { recursive: true, force: true });
  }
}
