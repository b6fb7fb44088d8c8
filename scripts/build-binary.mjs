// `npm run build:binary`: one executable, dist/ctrdoc, that runs on a node with no Node.js: this
// node binary with ctrdoc injected as a single executable application (Node's SEA). Its main
// script is the launcher (dist/ctrdoc.cjs, which requires only built-ins); the bundle, the codecs
// and their V8 code caches ride along as SEA assets, read with node:sea's getAsset. The caches were
// trained by this same node, so the executable starts as fast as `node dist/ctrdoc.cjs`.
//   node scripts/build-binary.mjs [--out FILE]   (after npm run build)
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createRequire } from 'node:module';

/** The fuse Node looks for to know it carries a SEA blob (Node's docs, "Single executable applications"). */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
/** Runs a build step, its output shown only when it fails. */
function quiet(cmd, args) {
  try {
    execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  } catch (err) {
    throw new Error(`build:binary: ${args.join(' ')} failed: ${err.stderr || err.message}`);
  }
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const { values } = parseArgs({ options: { out: { type: 'string' } } });
const out = resolve(values.out ?? join(dist, 'ctrdoc'));

const assets = ['ctrdoc-main', 'ctrdoc-vendor', 'ctrdoc-cri', 'ctrdoc-vendor-cri', 'ctrdoc-tree'].flatMap((n) => [`${n}.cjs`, `${n}.cache`]);
for (const a of ['ctrdoc.cjs', ...assets]) {
  if (!existsSync(join(dist, a))) throw new Error(`build:binary: dist/${a} is missing: run npm run build first`);
}

const tmp = mkdtempSync(join(tmpdir(), 'ctrdoc-sea-'));
try {
  const blob = join(tmp, 'sea.blob');
  const config = join(tmp, 'sea-config.json');
  writeFileSync(config, JSON.stringify({
    main: join(dist, 'ctrdoc.cjs'),
    output: blob,
    disableExperimentalSEAWarning: true,
    assets: Object.fromEntries(assets.map((a) => [a, join(dist, a)])),
  }));
  quiet(process.execPath, ['--experimental-sea-config', config]);

  // built beside its final name and renamed in place: never a half-written executable there
  mkdirSync(dirname(out), { recursive: true });
  const exe = `${out}.tmp-${process.pid}`;
  copyFileSync(process.execPath, exe);
  chmodSync(exe, 0o755);
  // node ships its symbol table and debug notes: no use on a node, 12 MiB of the size
  try {
    execFileSync('strip', ['--strip-all', exe], { stdio: 'ignore' });
  } catch {
    console.warn('build:binary: strip (binutils) not found: the executable keeps node\'s debug symbols');
  }
  // postject's CLI, in a child: its ELF writer prints a warning per note section it rewrites
  quiet(process.execPath, [createRequire(import.meta.url).resolve('postject/dist/cli.js'), exe, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE]);

  const version = execFileSync(exe, ['--version'], { encoding: 'utf8', env: { PATH: '/nonexistent' } }).trim();
  if (!/^ctrdoc \d/.test(version)) throw new Error(`build:binary: the executable answered --version with "${version}"`);
  renameSync(exe, out);
  console.log(`${out}: ${version}, ${(statSync(out).size / 2 ** 20).toFixed(1)} MiB (node ${process.version} + ctrdoc)`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
  rmSync(`${out}.tmp-${process.pid}`, { force: true });
}
