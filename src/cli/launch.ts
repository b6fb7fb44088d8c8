// dist/ctrdoc.cjs, what `ctrdoc` runs: runs the bundle, dist/ctrdoc-main.cjs, with the V8 code
// cache the build made for it (dist/ctrdoc-main.cache). Node 20 has no compile cache of its own
// (module.enableCompileCache is Node 22), and a cold gRPC command spends a third of its time
// compiling grpc-js and protobufjs. The cache is only an accelerator: missing, stale or
// rejected, the bundle runs all the same. Built as CommonJS apart from the bundle and importing
// nothing of it: a CommonJS entry starts ~5 ms sooner than an ES module one.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Script } from 'node:vm';

/** What the bundle exports (src/cli/main.ts). */
interface Bundle {
  start(argv: string[]): void;
  main(argv: string[], io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream; isTTY: boolean }): Promise<number>;
}

/**
 * The cache file: the build id (the bundle's first line names it), the SHA-1 of the rest, then
 * V8's data. V8 checks a cache against the source's length only, and in release builds does not
 * checksum it: a corrupt cache would crash node, so it is hashed here first.
 */
const BUILD_ID_BYTES = 16;
const HASH_BYTES = 20;
const HEADER_BYTES = BUILD_ID_BYTES + HASH_BYTES;
const BUILD_LINE = /^\/\/ ctrdoc build ([0-9a-f]{16})\n/;
const sha1 = (b: Uint8Array): Buffer => createHash('sha1').update(b).digest();

const bundleFile = join(__dirname, 'ctrdoc-main.cjs');
const cacheFile = join(__dirname, 'ctrdoc-main.cache');

/** A bundle that is missing or does not compile is a broken install: say so, exit 2 (EXIT_FAILED). */
function brokenInstall(err: unknown): never {
  process.stderr.write(`error: ctrdoc's bundle ${bundleFile} does not load: ${(err as Error).message}\n  hint: rebuild it (npm run build) or reinstall ctrdoc\n`);
  process.exit(2);
}

let source = '';
try {
  // esbuild writes ASCII only (charset: 'ascii'), so latin1 reads it exactly, and faster than utf8.
  source = readFileSync(bundleFile, 'latin1');
} catch (err) {
  brokenInstall(err);
}
const buildId = BUILD_LINE.exec(source)?.[1];
let cachedData: Buffer | undefined;
let cacheState = 'none';
try {
  const c = readFileSync(cacheFile);
  if (!buildId || c.subarray(0, BUILD_ID_BYTES).toString('latin1') !== buildId) cacheState = 'stale';
  else if (!sha1(c.subarray(HEADER_BYTES)).equals(c.subarray(BUILD_ID_BYTES, HEADER_BYTES))) cacheState = 'corrupt';
  else cachedData = c.subarray(HEADER_BYTES);
} catch {
  // no cache: compile as usual
}

let script: Script;
const mod = { exports: {} as Bundle };
try {
  script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: bundleFile, cachedData });
  if (cachedData) cacheState = script.cachedDataRejected ? 'rejected' : 'used';
  if (process.env.CTRDOC_DEBUG) process.stderr.write(`ctrdoc: code cache ${cacheState} (${cacheFile})\n`);
  (script.runInThisContext() as (...a: unknown[]) => void)(mod.exports, createRequire(bundleFile), mod, bundleFile, __dirname);
  if (typeof mod.exports.start !== 'function') throw new Error('it exports no start()');
} catch (err) {
  brokenInstall(err);
}

const training = process.env.CTRDOC_CODE_CACHE_TRAIN;
if (training) {
  train(mod.exports, training).then(() => process.exit(0), (err: Error) => {
    process.stderr.write(`training run failed: ${err.stack ?? err.message}\n`);
    process.exit(2);
  });
} else {
  mod.exports.start(process.argv.slice(2));
}

/**
 * The build's training run: runs the given command lines in this process, output discarded, then
 * writes the cache with every function they compiled. JSON: {"out": FILE, "runs": [[ARG, ...], ...]}.
 */
async function train(bundle: Bundle, spec: string): Promise<void> {
  const { Writable } = await import('node:stream');
  const { out, runs } = JSON.parse(spec) as { out: string; runs: string[][] };
  const sink = () => new Writable({ write: (_c, _e, cb) => cb() });
  for (const argv of runs) await bundle.main(argv, { stdout: sink(), stderr: sink(), isTTY: false });
  if (!buildId) throw new Error(`${bundleFile} has no build line: rebuild with npm run build`);
  const data = script.createCachedData();
  writeFileSync(out, Buffer.concat([Buffer.from(buildId, 'latin1'), sha1(data), data]));
}
