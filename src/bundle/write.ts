// Writes a support bundle: a gzipped tar with one top directory holding snapshot.json, the raw
// evidence files and manifest.json. Everything is redacted before it is packed unless the caller
// says redact: false in so many words; the manifest records which.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { createGzip } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import { pack as tarPack } from 'tar-stream';
import type { Snapshot } from '../snapshot/types/index.ts';
import { gatherEvidence, type EvidenceItem, type EvidenceOptions } from './evidence.ts';
import { redactFile, redactJson, type RedactionLog } from './redact.ts';
import { MANIFEST_NAME, SNAPSHOT_NAME, type BundleManifest, type ManifestEntry } from './manifest.ts';

/** How many redactions the manifest lists one by one (the count is always exact). */
export const REDACTIONS_LISTED = 20_000;

export interface WriteBundleOptions extends EvidenceOptions {
  /** the .tar.gz to write (written to FILE.partial, then renamed) */
  output: string;
  /** false only on an explicit --no-redact */
  redact: boolean;
  command?: string[];
  collectMs?: number;
  /** evidence already gathered (tests); otherwise gathered here */
  evidence?: EvidenceItem[];
}

export interface WrittenBundle {
  path: string;
  bytes: number;
  manifest: BundleManifest;
  topDir: string;
}

const stamp = (iso: string) => iso.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');

export function defaultBundleName(s: Snapshot): string {
  return `ctrdoc-bundle-${s.host.hostname.replace(/[^A-Za-z0-9.-]/g, '_')}-${stamp(s.collectedAt)}.tar.gz`;
}

function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

export async function writeBundle(s: Snapshot, opts: WriteBundleOptions): Promise<WrittenBundle> {
  const t0 = Date.now();
  const evidence = opts.evidence ?? await gatherEvidence(s, opts);
  const evidenceMs = Date.now() - t0;
  const log: RedactionLog = [];
  const files: { name: string; content: Buffer }[] = [];
  const entries: ManifestEntry[] = [];

  const add = (e: Omit<ManifestEntry, 'bytes' | 'sha256' | 'redactions'>, content: Buffer | undefined, redact: (text: string) => string) => {
    if (!content) {
      entries.push(e);
      return;
    }
    let out = content;
    const before = log.length;
    if (opts.redact) out = Buffer.from(redact(content.toString('utf8')));
    const n = log.length - before;
    files.push({ name: e.name, content: out });
    entries.push({ ...e, bytes: out.length, sha256: sha256(out), ...(n ? { redactions: n } : {}) });
  };

  const snapText = Buffer.from(JSON.stringify(s, null, 2) + '\n');
  add({ name: SNAPSHOT_NAME, source: 'ctrdoc collect', status: 'ok', durationMs: s.durationMs }, snapText,
    () => JSON.stringify(redactJson(s, SNAPSHOT_NAME, log), null, 2) + '\n');
  for (const item of evidence) {
    const { content, ...meta } = item;
    add(meta, content, (text) => redactFile(item.name, text, log));
  }

  const manifest: BundleManifest = {
    apiVersion: 'ctrdoc/v1alpha1',
    kind: 'BundleManifest',
    createdAt: new Date().toISOString(),
    ctrdocVersion: s.ctrdocVersion,
    host: s.host,
    command: opts.command ?? [],
    redacted: opts.redact,
    redactionNote: opts.redact
      ? 'environment variable values, registry auths, tokens, passwords, keys and PEM private keys were replaced by <redacted>; each replacement is listed below (where and which key, never the value)'
      : 'NOT REDACTED: --no-redact was given. This bundle may hold secrets (environment variables, registry credentials, tokens, keys); share it only as you would share the node itself.',
    collectMs: opts.collectMs ?? s.durationMs,
    evidenceMs,
    entries,
    redactions: log.slice(0, REDACTIONS_LISTED),
    redactionCount: log.length,
  };

  const topDir = defaultBundleName(s).replace(/\.tar\.gz$/, '');
  const mtime = new Date(s.collectedAt);
  const partial = `${opts.output}.partial`;
  const pack = tarPack();
  const done = pipeline(pack, createGzip({ level: 6 }), createWriteStream(partial, { mode: 0o600 }));
  try {
    pack.entry({ name: `${topDir}/`, type: 'directory', mode: 0o755, mtime });
    const put = (name: string, content: Buffer) => new Promise<void>((resolve, reject) => {
      pack.entry({ name: `${topDir}/${name}`, size: content.length, mode: 0o644, mtime, type: 'file' }, content, (err) => (err ? reject(err) : resolve()));
    });
    await put(MANIFEST_NAME, Buffer.from(JSON.stringify(manifest, null, 2) + '\n'));
    for (const f of files) await put(f.name, f.content);
    pack.finalize();
    await done;
    await rename(partial, opts.output);
  } catch (err) {
    pack.destroy();
    await done.catch(() => undefined);
    await rm(partial, { force: true });
    throw err;
  }
  return { path: opts.output, bytes: (await stat(opts.output)).size, manifest, topDir };
}
