// Builds dist/ctrdoc.mjs: one ESM bundle so `ctrdoc --help` starts fast, plus the compiled
// protobuf descriptor (proto/*.proto -> JSON) so no .proto text is parsed at run time.
import { build } from 'esbuild';
import { mkdirSync, readdirSync, writeFileSync, chmodSync, rmSync, renameSync, existsSync } from 'node:fs';
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

// Build into a fresh dir and swap it in, so stale chunks never linger and a CLI run (or a test)
// that overlaps a build never sees a half-written dist/.
const dist = join(root, 'dist');
const fresh = join(root, `dist.build-${process.pid}`);
rmSync(fresh, { recursive: true, force: true });

await build({
  entryPoints: [join(root, 'src/cli/main.ts')],
  outdir: fresh,
  entryNames: 'ctrdoc',
  chunkNames: 'chunks/[name]-[hash]',
  splitting: true,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  outExtension: { '.js': '.mjs' },
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
  // esbuild's ESM output needs a require() for the CommonJS dependencies it bundles.
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __ctrdocRequire } from 'node:module';\nconst require = __ctrdocRequire(import.meta.url);",
  },
  // grpc-js loads proto-loader (and with it a second protobufjs) only for channelz and ORCA,
  // which ctrdoc never uses: keep it out of the bundle so every gRPC command starts faster.
  external: ['playwright-core', '@grpc/proto-loader'],
});
chmodSync(join(fresh, 'ctrdoc.mjs'), 0o755);
const old = join(root, `dist.old-${process.pid}`);
if (existsSync(dist)) renameSync(dist, old);
renameSync(fresh, dist);
rmSync(old, { recursive: true, force: true });
