// Writes an OCI image layout (image-spec v1) as one tarball that `ctr images import` accepts:
// oci-layout, index.json and blobs/sha256/<digest> for one gzip tar layer, the image config and
// the manifest. Deterministic: the same input gives the same digests (fixed mtimes, owners).
import { createHash } from 'node:crypto';
import { gzipSync, gunzipSync } from 'node:zlib';
import { posix } from 'node:path';
import * as tar from 'tar-stream';
import { CtrdocError } from '../errors.ts';

export const MEDIA_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const MEDIA_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const MEDIA_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
/** The annotation containerd's importer reads the image name from. */
export const ANNOTATION_CONTAINERD_NAME = 'io.containerd.image.name';
export const ANNOTATION_REF_NAME = 'org.opencontainers.image.ref.name';

export type LayerEntry =
  | { path: string; type: 'file'; content: Buffer; mode?: number }
  | { path: string; type: 'dir'; mode?: number }
  | { path: string; type: 'symlink'; target: string };

export interface ImageSpec {
  /** Full reference, e.g. ctrdoc.local/pause:1 (a registry host with a dot, a path, a tag). */
  name: string;
  entries: LayerEntry[];
  entrypoint?: string[];
  cmd?: string[];
  env?: string[];
  workingDir?: string;
  labels?: Record<string, string>;
  architecture?: string;
  os?: string;
  /** the config's history line: what made the layer */
  createdBy?: string;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

export interface OciImageTarball {
  tarball: Buffer;
  manifest: Descriptor;
  config: Descriptor;
  layer: Descriptor;
  /** sha256 of the uncompressed layer tar (the config's rootfs.diff_ids). */
  diffId: string;
}

/** What tar-stream's pack.entry takes: a partial header with a name. */
type TarHeader = Partial<tar.Header> & { name: string };

const FIXED_MTIME = new Date('2024-01-01T00:00:00Z');
const REFERENCE = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)+:[\w][\w.-]{0,127}$/;

export function sha256(data: Buffer | string): string {
  return 'sha256:' + createHash('sha256').update(data).digest('hex');
}

function badInput(message: string, hint: string): CtrdocError {
  return new CtrdocError('bad-input', `OCI image: ${message}`, hint);
}

/** Checks a spec before anything is written; every problem is a bad-input error naming the entry. */
export function validateImageSpec(spec: ImageSpec): void {
  if (!spec || typeof spec.name !== 'string' || !REFERENCE.test(spec.name)) {
    throw badInput(`"${spec?.name}" is not a full image reference`, 'use host.domain/path:tag, e.g. ctrdoc.local/pause:1');
  }
  if (!Array.isArray(spec.entries) || spec.entries.length === 0) {
    throw badInput(`image ${spec.name} has no layer entries`, 'give at least one file');
  }
  const seen = new Set<string>();
  for (const e of spec.entries) {
    const p = normaliseEntryPath(e?.path);
    if (seen.has(p)) throw badInput(`duplicate layer entry "${p}"`, 'list each path once');
    seen.add(p);
    if (e.type === 'file') {
      if (!Buffer.isBuffer(e.content)) throw badInput(`file entry "${p}" has no content`, 'give content as a Buffer');
    } else if (e.type === 'symlink') {
      if (typeof e.target !== 'string' || e.target === '') throw badInput(`symlink entry "${p}" has no target`, 'give the link target');
    } else if (e.type !== 'dir') {
      throw badInput(`entry "${p}" has unknown type "${(e as { type?: unknown }).type}"`, 'use file, dir or symlink');
    }
  }
  if (!spec.entrypoint?.length && !spec.cmd?.length) {
    throw badInput(`image ${spec.name} has neither entrypoint nor cmd`, 'set what the container runs');
  }
}

function normaliseEntryPath(path: unknown): string {
  if (typeof path !== 'string' || path.trim() === '') throw badInput('a layer entry has an empty path', 'give every entry a path like bin/sh');
  const p = posix.normalize(path.replace(/^\/+/, ''));
  if (p === '.' || p.startsWith('../') || p === '..' || p.includes('\0')) {
    throw badInput(`layer entry path "${path}" leaves the root filesystem`, 'use a path inside the image, e.g. bin/sh');
  }
  return p.replace(/\/$/, '');
}

/** Every parent directory of the entries, so the layer never relies on implicit directories. */
function withParents(entries: LayerEntry[]): LayerEntry[] {
  const paths = new Set(entries.map((e) => normaliseEntryPath(e.path)));
  const dirs = new Set<string>();
  for (const p of paths) {
    let d = posix.dirname(p);
    while (d !== '.' && d !== '/') {
      if (!paths.has(d)) dirs.add(d);
      d = posix.dirname(d);
    }
  }
  const all: LayerEntry[] = [...[...dirs].map((d) => ({ path: d, type: 'dir' as const })), ...entries];
  return all.sort((a, b) => normaliseEntryPath(a.path).localeCompare(normaliseEntryPath(b.path)));
}

async function writeTar(items: { header: TarHeader; body?: Buffer }[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolveTar, reject) => {
    pack.on('data', (c: unknown) => { chunks.push(c as Buffer); });
    pack.on('end', () => resolveTar(Buffer.concat(chunks)));
    pack.on('error', reject);
  });
  for (const { header, body } of items) {
    await new Promise<void>((res, rej) => pack.entry(header, body ?? Buffer.alloc(0), (err) => (err ? rej(err) : res())));
  }
  pack.finalize();
  return done;
}

/** The uncompressed layer tar. */
export async function layerTar(entries: LayerEntry[]): Promise<Buffer> {
  const base = { mtime: FIXED_MTIME, uid: 0, gid: 0, uname: 'root', gname: 'root' };
  return writeTar(
    withParents(entries).map((e): { header: TarHeader; body?: Buffer } => {
      const name = normaliseEntryPath(e.path);
      if (e.type === 'file') return { header: { ...base, name, type: 'file', mode: e.mode ?? 0o644, size: e.content.length }, body: e.content };
      if (e.type === 'dir') return { header: { ...base, name: name + '/', type: 'directory', mode: e.mode ?? 0o755 } };
      return { header: { ...base, name, type: 'symlink', linkname: e.target, mode: 0o777 } };
    }),
  );
}

/** Builds the whole OCI layout tarball for one single-layer image. */
export async function buildOciImageTarball(spec: ImageSpec): Promise<OciImageTarball> {
  validateImageSpec(spec);
  const rawLayer = await layerTar(spec.entries);
  const gz = gzipSync(rawLayer, { level: 6 });
  const diffId = sha256(rawLayer);
  const layer: Descriptor = { mediaType: MEDIA_LAYER_GZIP, digest: sha256(gz), size: gz.length };
  const configJson = Buffer.from(
    JSON.stringify({
      created: FIXED_MTIME.toISOString(),
      architecture: spec.architecture ?? ociArchitecture(),
      os: spec.os ?? 'linux',
      config: {
        Env: spec.env ?? ['PATH=/bin'],
        ...(spec.entrypoint ? { Entrypoint: spec.entrypoint } : {}),
        ...(spec.cmd ? { Cmd: spec.cmd } : {}),
        WorkingDir: spec.workingDir ?? '/',
        ...(spec.labels ? { Labels: spec.labels } : {}),
      },
      rootfs: { type: 'layers', diff_ids: [diffId] },
      history: [{ created: FIXED_MTIME.toISOString(), created_by: spec.createdBy ?? 'ctrdoc lab (busybox-static)' }],
    }),
  );
  const config: Descriptor = { mediaType: MEDIA_CONFIG, digest: sha256(configJson), size: configJson.length };
  const manifestJson = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_MANIFEST, config, layers: [layer] }));
  const tag = spec.name.slice(spec.name.lastIndexOf(':') + 1);
  const manifest: Descriptor = {
    mediaType: MEDIA_MANIFEST,
    digest: sha256(manifestJson),
    size: manifestJson.length,
    annotations: { [ANNOTATION_CONTAINERD_NAME]: spec.name, [ANNOTATION_REF_NAME]: tag },
  };
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [manifest] }));
  const base = { mtime: FIXED_MTIME, uid: 0, gid: 0, mode: 0o644 };
  const blob = (d: Descriptor, body: Buffer) => ({ header: { ...base, name: `blobs/sha256/${d.digest.slice(7)}`, size: body.length }, body });
  const tarball = await writeTar([
    { header: { ...base, name: 'oci-layout', size: 0 }, body: Buffer.from('{"imageLayoutVersion":"1.0.0"}') },
    { header: { ...base, name: 'index.json' }, body: index },
    { header: { ...base, name: 'blobs/', type: 'directory', mode: 0o755 } },
    { header: { ...base, name: 'blobs/sha256/', type: 'directory', mode: 0o755 } },
    blob(layer, gz),
    blob(config, configJson),
    blob(manifest, manifestJson),
  ].map((i): { header: TarHeader; body?: Buffer } => ({ ...i, header: { ...i.header, size: i.body?.length ?? 0 } as TarHeader })));
  return { tarball, manifest, config, layer, diffId };
}

export function ociArchitecture(arch: string = process.arch): string {
  const map: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
  return map[arch] ?? arch;
}

/** Reads every regular file of a tar into memory (small archives only: the lab's images). */
export async function readTarFiles(data: Buffer): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  const extract = tar.extract();
  const done = new Promise<void>((res, rej) => {
    extract.on('entry', (header, stream, next) => {
      const parts: Buffer[] = [];
      stream.on('data', (c: unknown) => { parts.push(c as Buffer); });
      stream.on('end', () => {
        if (header.type === 'file') files.set(header.name, Buffer.concat(parts));
        next();
      });
      stream.on('error', rej);
      stream.resume();
    });
    extract.on('finish', () => res());
    extract.on('error', (err) => rej(badInput(`not a readable tar archive (${err.message})`, 'rebuild the image')));
  });
  extract.end(data);
  await done;
  return files;
}

/**
 * Checks an OCI layout tarball the way an importer would: index → manifest → config and layer,
 * each blob's sha256 and size against its descriptor, and the layer's diff_id. Returns the
 * image names; throws bad-input naming the first thing that does not verify.
 */
export async function verifyOciImageTarball(data: Buffer): Promise<string[]> {
  const files = await readTarFiles(data);
  if (!files.has('oci-layout')) throw badInput('no oci-layout file', 'is this an OCI image layout tarball?');
  const indexRaw = files.get('index.json');
  if (!indexRaw) throw badInput('no index.json', 'is this an OCI image layout tarball?');
  const index = parseJson(indexRaw, 'index.json') as { manifests?: Descriptor[] };
  const blob = (d: Descriptor, what: string): Buffer => {
    if (!d || typeof d.digest !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(d.digest)) throw badInput(`${what} has no sha256 digest`, 'rebuild the image');
    const b = files.get(`blobs/sha256/${d.digest.slice(7)}`);
    if (!b) throw badInput(`${what} blob ${d.digest} is missing`, 'rebuild the image');
    if (sha256(b) !== d.digest) throw badInput(`${what} blob does not match its digest ${d.digest}`, 'the archive is corrupt; rebuild it');
    if (b.length !== d.size) throw badInput(`${what} blob is ${b.length} bytes, descriptor says ${d.size}`, 'rebuild the image');
    return b;
  };
  if (!Array.isArray(index.manifests) || index.manifests.length === 0) throw badInput('index.json lists no manifests', 'rebuild the image');
  const names: string[] = [];
  for (const md of index.manifests) {
    const manifest = parseJson(blob(md, 'manifest'), 'manifest') as { config: Descriptor; layers: Descriptor[] };
    const config = parseJson(blob(manifest.config, 'config'), 'config') as { rootfs?: { diff_ids?: string[] } };
    const diffIds = config.rootfs?.diff_ids ?? [];
    if (diffIds.length !== (manifest.layers ?? []).length) throw badInput('config diff_ids do not match the manifest layers', 'rebuild the image');
    manifest.layers.forEach((ld, i) => {
      const gz = blob(ld, `layer ${i}`);
      let raw: Buffer;
      try {
        raw = gunzipSync(gz);
      } catch {
        throw badInput(`layer ${i} is not gzip`, 'rebuild the image');
      }
      if (sha256(raw) !== diffIds[i]) throw badInput(`layer ${i} does not match diff_id ${diffIds[i]}`, 'rebuild the image');
    });
    names.push(md.annotations?.[ANNOTATION_CONTAINERD_NAME] ?? md.annotations?.[ANNOTATION_REF_NAME] ?? md.digest);
  }
  return names;
}

function parseJson(b: Buffer, what: string): unknown {
  try {
    return JSON.parse(b.toString('utf8'));
  } catch {
    throw badInput(`${what} is not JSON`, 'rebuild the image');
  }
}
