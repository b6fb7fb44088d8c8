// dist/ctrdoc.cjs, what `ctrdoc` runs: runs the bundle, dist/ctrdoc-main.cjs (for `cri`, `tree`,
// `shims` and `runc` a smaller one, see BUNDLES), with the V8 code cache the build made for it.
// Node 20 has no compile cache of its own (module.enableCompileCache is Node 22). The protobuf
// codecs live apart, in dist/ctrdoc-vendor.cjs (CRI's alone in ctrdoc-vendor-cri.cjs) with a
// cache of their own, loaded when the bundle first requires them: commands that speak no gRPC or
// ttrpc never read them. A cache is only an accelerator: missing, stale or rejected, the code
// runs all the same. Built as CommonJS apart from the bundle: a CommonJS entry starts ~5 ms sooner.
// The same launcher is the main script of the single executable (scripts/build-binary.mjs):
// there the scripts and caches are the executable's assets (node:sea), not files.
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
 * A cache file: the build id (each script's first line names it), the SHA-1 of the rest, then
 * V8's data. V8 checks a cache against the source's length only, and in release builds does not
 * checksum it: a corrupt cache would crash node, so it is hashed here first.
 */
const BUILD_ID_BYTES = 16;
const HASH_BYTES = 20;
const HEADER_BYTES = BUILD_ID_BYTES + HASH_BYTES;
const BUILD_LINE = /^\/\/ ctrdoc build ([0-9a-f]{16})\n/;
const sha1 = (b: Uint8Array): Buffer => createHash('sha1').update(b).digest();
/** The modules the vendor script holds, by the name the bundle requires them with. */
const VENDORED = new Set(['ctrdoc:codecs']);

interface Loaded<T> {
  exports: T;
  script: Script;
  buildId?: string;
  cacheFile: string;
}

/** A script that is missing or does not compile is a broken install: say so, exit 2 (EXIT_FAILED). */
function brokenInstall(file: string, err: unknown): never {
  const fix = sea ? 'rebuild the executable (npm run build:binary)' : 'rebuild it (npm run build) or reinstall ctrdoc';
  process.stderr.write(`error: ctrdoc's bundle ${file} does not load: ${(err as Error).message}\n  hint: ${fix}\n`);
  process.exit(2);
}

/** node:sea when this process is ctrdoc's single executable; node:sea is in Node 20.12 and later. */
interface Sea {
  isSea(): boolean;
  getAsset(key: string): ArrayBuffer;
  getAsset(key: string, encoding: string): string;
}
const nodeRequire = createRequire(join(__dirname, 'ctrdoc-main.cjs'));
const sea = ((): Sea | undefined => {
  try {
    const m = nodeRequire('node:sea') as Sea;
    return m.isSea() ? m : undefined;
  } catch {
    return undefined;
  }
})();

/** A script's text: the file beside the launcher, or the executable's asset of that name. */
function readScript(file: string, name: string): string {
  // esbuild writes ASCII only (charset: 'ascii'), so latin1 reads it exactly, and faster than utf8.
  return sea ? sea.getAsset(name, 'latin1') : readFileSync(file, 'latin1');
}

function readCache(file: string, name: string): Buffer {
  return sea ? Buffer.from(sea.getAsset(name)) : readFileSync(file);
}

/** Compiles dist/NAME.cjs as a CommonJS module, with dist/NAME.cache when it fits, and runs it. */
function load<T>(name: string, requireFn: (id: string) => unknown): Loaded<T> {
  const file = join(__dirname, `${name}.cjs`);
  const cacheFile = join(__dirname, `${name}.cache`);
  let source = '';
  try {
    source = readScript(file, `${name}.cjs`);
  } catch (err) {
    brokenInstall(file, err);
  }
  const buildId = BUILD_LINE.exec(source)?.[1];
  let cachedData: Buffer | undefined;
  let cacheState = 'none';
  try {
    const c = readCache(cacheFile, `${name}.cache`);
    if (!buildId || c.subarray(0, BUILD_ID_BYTES).toString('latin1') !== buildId) cacheState = 'stale';
    else if (!sha1(c.subarray(HEADER_BYTES)).equals(c.subarray(BUILD_ID_BYTES, HEADER_BYTES))) cacheState = 'corrupt';
    else cachedData = c.subarray(HEADER_BYTES);
  } catch {
    // no cache: compile as usual
  }
  try {
    const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: file, cachedData });
    if (cachedData) cacheState = script.cachedDataRejected ? 'rejected' : 'used';
    if (process.env.CTRDOC_DEBUG) process.stderr.write(`ctrdoc: code cache ${cacheState} (${cacheFile})\n`);
    const mod = { exports: {} as T };
    (script.runInThisContext() as (...a: unknown[]) => void)(mod.exports, requireFn, mod, file, __dirname);
    return { exports: mod.exports, script, buildId, cacheFile };
  } catch (err) {
    brokenInstall(file, err);
  }
}

/**
 * Which bundle runs, by the command (the first argument): `ctrdoc cri ...` has one of its own
 * (src/cli/main-cri.ts) with CRI's codecs alone beside it; tree, shims and runc share one
 * (main-tree.ts); every other command runs the whole bundle. Each is a fraction of the whole to
 * read and deserialize. The build's training run names the bundle it trains.
 */
const BUNDLES: Record<string, { bundle: string; vendor: string; commands: readonly string[] }> = {
  main: { bundle: 'ctrdoc-main', vendor: 'ctrdoc-vendor', commands: [] },
  cri: { bundle: 'ctrdoc-cri', vendor: 'ctrdoc-vendor-cri', commands: ['cri'] },
  tree: { bundle: 'ctrdoc-tree', vendor: 'ctrdoc-vendor', commands: ['tree', 'shims', 'runc'] },
};
const training = process.env.CTRDOC_CODE_CACHE_TRAIN;
const command = process.argv[2] ?? '';
const flavor = training
  ? BUNDLES[(JSON.parse(training) as { bundle?: string }).bundle ?? 'main'] ?? BUNDLES.main
  : Object.values(BUNDLES).find((b) => b.commands.includes(command)) ?? BUNDLES.main;
const { bundle: bundleName, vendor: vendorName } = flavor;

let vendor: Loaded<Record<string, unknown>> | undefined;
const bundleRequire = (id: string): unknown => {
  if (!VENDORED.has(id)) return nodeRequire(id);
  vendor ??= load<Record<string, unknown>>(vendorName, nodeRequire);
  if (!(id in vendor.exports)) brokenInstall(join(__dirname, `${vendorName}.cjs`), new Error(`it has no module ${id}`));
  return vendor.exports[id];
};
const main = load<Bundle>(bundleName, bundleRequire);
if (typeof main.exports.start !== 'function') brokenInstall(join(__dirname, `${bundleName}.cjs`), new Error('it exports no start()'));

if (training) {
  train(training).then(() => process.exit(0), (err: Error) => {
    process.stderr.write(`training run failed: ${err.stack ?? err.message}\n`);
    process.exit(2);
  });
} else {
  main.exports.start(process.argv.slice(2));
}

/**
 * The build's training run: runs the given command lines in this process, output discarded, then
 * writes each script's cache with every function they compiled. JSON: {"bundle": "main" | "cri" |
 * "tree", "runs": [[ARG, ...], ...]}; the caches go to FILE.cache.tmp, for the build to move in place.
 */
async function train(spec: string): Promise<void> {
  const { Writable } = await import('node:stream');
  const { runs } = JSON.parse(spec) as { runs: string[][] };
  const sink = () => new Writable({ write: (_c, _e, cb) => cb() });
  for (const argv of runs) await main.exports.main(argv, { stdout: sink(), stderr: sink(), isTTY: false });
  for (const s of [main, vendor]) {
    if (!s) continue;
    if (!s.buildId) throw new Error(`${s.cacheFile}: its script has no build line: rebuild with npm run build`);
    const data = s.script.createCachedData();
    writeFileSync(`${s.cacheFile}.tmp`, Buffer.concat([Buffer.from(s.buildId, 'latin1'), sha1(data), data]));
  }
}
