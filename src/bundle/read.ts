// Reads a support bundle safely: the archive is someone else's file and may be hostile. Entries
// are read into memory under caps and nothing is ever written to disk. Refused, each with a
// message naming the entry: absolute paths, `..` components, links (symbolic and hard), devices
// and fifos, an entry declaring more than the entry cap, more inflated bytes than the total cap
// or a compression ratio only a gzip bomb has (counted while streaming: the stream is aborted),
// too many entries, entries outside the one top directory, duplicates, and a missing or
// malformed manifest.json or snapshot.json.
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { extract as tarExtract, type Header } from 'tar-stream';
import { CtrdocError } from '../errors.ts';
import type { Snapshot } from '../snapshot/types/index.ts';
import { MANIFEST_NAME, SNAPSHOT_NAME, manifestProblem, type BundleManifest } from './manifest.ts';

export interface ReadLimits {
  /** largest single entry, by its header and by what is read */
  entryBytes: number;
  /** all inflated bytes of the archive (tar headers included) */
  totalBytes: number;
  entries: number;
  /** inflated/compressed beyond this, once ratioAfterBytes are inflated, is a bomb */
  maxRatio: number;
  ratioAfterBytes: number;
}

export const DEFAULT_READ_LIMITS: ReadLimits = {
  entryBytes: 256 << 20,
  totalBytes: 1024 << 20,
  entries: 50_000,
  maxRatio: 200,
  ratioAfterBytes: 16 << 20,
};

export interface BundleContents {
  path: string;
  topDir: string;
  manifest: BundleManifest;
  snapshot: Snapshot;
  /** every file entry, by its name below the top directory */
  files: Map<string, Buffer>;
  inflatedBytes: number;
  compressedBytes: number;
}

const refuse = (path: string, what: string, hint = 'this is not a bundle ctrdoc wrote, or it was altered: do not unpack it with tar either') =>
  new CtrdocError('bad-input', `${path}: ${what}; refusing to read it`, hint);

/** Checks one entry name; returns it split into components, or throws naming it. */
export function checkEntryName(path: string, name: string): string[] {
  const shown = JSON.stringify(name);
  if (name === '' || name.includes('\0')) throw refuse(path, `entry ${shown} has an empty or NUL-containing name`);
  if (name.startsWith('/') || /^[A-Za-z]:[\\/]/.test(name)) throw refuse(path, `entry ${shown} has an absolute path`);
  if (name.includes('\\')) throw refuse(path, `entry ${shown} has a backslash in its path`);
  const parts = name.split('/').filter((p, i, a) => !(p === '' && i === a.length - 1) && p !== '.');
  if (parts.some((p) => p === '..')) throw refuse(path, `entry ${shown} climbs out of the archive with ".."`);
  if (parts.some((p) => p === '')) throw refuse(path, `entry ${shown} has an empty path component`);
  return parts;
}

/** One tar header checked: its type, size and place under the one top directory (set by the first entry). */
function checkEntry(path: string, h: Header, L: ReadLimits, topDir: string | undefined): { topDir: string; rel: string; shown: string; directory: boolean } {
  const parts = checkEntryName(path, h.name);
  const shown = JSON.stringify(h.name);
  const type = h.type ?? 'file';
  if (type === 'symlink' || type === 'link') throw refuse(path, `entry ${shown} is a ${type === 'link' ? 'hard link' : 'symbolic link'} (to ${JSON.stringify(h.linkname ?? '')}); bundles hold only files and directories`);
  if (type !== 'file' && type !== 'directory') throw refuse(path, `entry ${shown} is a ${type}; bundles hold only files and directories`);
  if ((h.size ?? 0) > L.entryBytes) throw refuse(path, `entry ${shown} declares ${h.size} bytes, over the ${L.entryBytes}-byte cap for one entry`);
  const top = topDir ?? parts[0];
  if (parts[0] !== top) throw refuse(path, `entry ${shown} is outside the bundle's top directory ${JSON.stringify(top)}`);
  const rel = parts.slice(1).join('/');
  if (rel === '' && type !== 'directory') throw refuse(path, `entry ${shown} is a file where the top directory should be`);
  return { topDir: top, rel, shown, directory: type === 'directory' || rel === '' };
}

/** A JSON file every bundle has, parsed and checked by problem(); throws naming what is wrong. */
function requiredJson<T>(path: string, files: Map<string, Buffer>, topDir: string, name: string, problem: (v: unknown) => string | undefined): T {
  const buf = files.get(name);
  if (!buf) throw refuse(path, `it has no ${topDir}/${name}`, 'a bundle written by `ctrdoc bundle` always has one; was it cut short?');
  let v: unknown;
  try {
    v = JSON.parse(buf.toString('utf8'));
  } catch (err) {
    throw refuse(path, `${topDir}/${name} is not valid JSON (${(err as Error).message})`);
  }
  const p = problem(v);
  if (p) throw refuse(path, `${topDir}/${name} ${p}`);
  return v as T;
}

/** Reads a bundle into memory; throws a CtrdocError naming what is wrong. */
export async function readBundle(path: string, limits: Partial<ReadLimits> = {}): Promise<BundleContents> {
  const L = { ...DEFAULT_READ_LIMITS, ...limits };
  const files = new Map<string, Buffer>();
  let topDir: string | undefined;
  let compressed = 0;
  let inflated = 0;
  let count = 0;

  const source = createReadStream(path);
  const gunzip = createGunzip();
  const ex = tarExtract();
  let failure: Error | undefined;
  const fail = (err: Error) => {
    if (failure) return;
    failure = err;
    source.destroy();
    gunzip.destroy();
    ex.destroy(err);
  };

  source.on('data', (b: Buffer | string) => { compressed += b.length; });
  gunzip.on('data', (b: Buffer) => {
    inflated += b.length;
    if (inflated > L.totalBytes) {
      fail(refuse(path, `it inflates to more than ${L.totalBytes} bytes (a gzip bomb, or far larger than any bundle)`));
    } else if (inflated > L.ratioAfterBytes && inflated / Math.max(compressed, 1) > L.maxRatio) {
      fail(refuse(path, `it inflates ${Math.round(inflated / Math.max(compressed, 1))} times its compressed size after ${inflated} bytes (a gzip bomb)`));
    }
  });
  source.on('error', (err: NodeJS.ErrnoException) => fail(err.code === 'ENOENT'
    ? new CtrdocError('not-found', `${path}: no such file`, 'give the path of a bundle written by `ctrdoc bundle`')
    : CtrdocError.from(err, `reading ${path}`)));
  gunzip.on('error', (err) => fail(refuse(path, `it is not a valid gzip stream (${err.message})`, 'a bundle is a .tar.gz written by `ctrdoc bundle`')));

  ex.on('entry', (h: Header, stream, next) => {
    // the entry stream errors when the archive is destroyed: that error is ours, already recorded
    stream.on('error', (err: Error) => fail(err));
    try {
      if (++count > L.entries) throw refuse(path, `it has more than ${L.entries} entries`);
      const e = checkEntry(path, h, L, topDir);
      topDir = e.topDir;
      const { rel, shown } = e;
      if (e.directory) {
        stream.resume();
        stream.on('end', () => next());
        return;
      }
      if (files.has(rel)) throw refuse(path, `entry ${shown} appears twice`);
      const chunks: Buffer[] = [];
      let got = 0;
      stream.on('data', (chunk: unknown) => {
        const b = chunk as Buffer;
        got += b.length;
        if (got > L.entryBytes) fail(refuse(path, `entry ${shown} holds more than ${L.entryBytes} bytes`));
        else chunks.push(b);
      });
      stream.on('end', () => {
        files.set(rel, Buffer.concat(chunks));
        next();
      });
    } catch (err) {
      fail(err as Error);
    }
  });

  await new Promise<void>((resolve, reject) => {
    ex.on('finish', () => (failure ? reject(failure) : resolve()));
    ex.on('close', () => (failure ? reject(failure) : resolve()));
    ex.on('error', (err: Error) => reject(failure ?? refuse(path, `it is not a valid tar archive (${err.message})`)));
    source.pipe(gunzip).pipe(ex);
  });
  if (failure) throw failure;
  if (!topDir) throw refuse(path, 'it is empty (no entries)', 'a bundle is a .tar.gz written by `ctrdoc bundle`');
  const manifest = requiredJson<BundleManifest>(path, files, topDir, MANIFEST_NAME, manifestProblem);
  const snapshot = requiredJson<Snapshot>(path, files, topDir, SNAPSHOT_NAME, snapshotProblem);
  return { path, topDir, manifest, snapshot, files, inflatedBytes: inflated, compressedBytes: compressed };
}

const isProbe = (v: unknown) => !!v && typeof v === 'object' && typeof (v as { status?: unknown }).status === 'string';

/** Checks the Snapshot's shape enough that the rules can read it; returns what is wrong. */
export function snapshotProblem(s: unknown): string | undefined {
  if (!s || typeof s !== 'object' || Array.isArray(s)) return 'is not a JSON object';
  const o = s as Record<string, any>;
  if (o.kind !== 'Snapshot') return `kind is ${JSON.stringify(o.kind)}, not "Snapshot"`;
  if (o.apiVersion !== 'ctrdoc/v1alpha1') return `apiVersion ${JSON.stringify(o.apiVersion)} is not one this ctrdoc reads (ctrdoc/v1alpha1)`;
  if (!o.stack || typeof o.stack !== 'object') return 'has no "stack"';
  if (!o.host || typeof o.host !== 'object') return 'has no "host"';
  for (const area of ['cri', 'containerd'] as const) {
    if (!o[area] || typeof o[area] !== 'object') return `has no "${area}"`;
  }
  const probes: [string, unknown][] = [
    ...['version', 'status', 'pods', 'containers', 'containerDetails', 'sandboxDetails', 'images'].map((k) => [`cri.${k}`, o.cri[k]] as [string, unknown]),
    ...['process', 'version', 'tasks', 'containers', 'plugins', 'config', 'log'].map((k) => [`containerd.${k}`, o.containerd[k]] as [string, unknown]),
    ...['proc', 'runc', 'bundles', 'tree', 'kubelet', 'kubeletLog', 'node'].map((k) => [k, o[k]] as [string, unknown]),
  ];
  for (const [name, v] of probes) if (!isProbe(v)) return `has no probe result "${name}"`;
  return undefined;
}
