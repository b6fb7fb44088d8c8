// The bundle's manifest.json: what was collected, from where, how long each piece took, what was
// cut for size and what was redacted (where and which key, never the value).
import type { Redaction } from './redact.ts';

export const MANIFEST_NAME = 'manifest.json';
export const SNAPSHOT_NAME = 'snapshot.json';

export interface ManifestEntry {
  /** path inside the bundle (below its top directory) */
  name: string;
  source: string;
  status: 'ok' | 'error' | 'timeout' | 'skipped';
  message?: string;
  durationMs: number;
  /** bytes written (after redaction) */
  bytes?: number;
  sha256?: string;
  cut?: { originalBytes: number; keptBytes: number; kept: 'head' | 'tail' };
  /** how many values were redacted in this entry */
  redactions?: number;
}

export interface BundleManifest {
  apiVersion: 'ctrdoc/v1alpha1';
  kind: 'BundleManifest';
  createdAt: string;
  ctrdocVersion: string;
  host: { hostname: string; kernel: string; cpus: number };
  /** the command line that made it */
  command: string[];
  /** false only when --no-redact was given */
  redacted: boolean;
  redactionNote: string;
  collectMs: number;
  evidenceMs: number;
  entries: ManifestEntry[];
  /** every redaction (capped at redactionsListed; redactionCount is the full count) */
  redactions: Redaction[];
  redactionCount: number;
}

/** Checks a parsed manifest's shape; returns what is wrong, or undefined. */
export function manifestProblem(m: unknown): string | undefined {
  if (!m || typeof m !== 'object' || Array.isArray(m)) return 'is not a JSON object';
  const o = m as Record<string, unknown>;
  if (o.kind !== 'BundleManifest') return `kind is ${JSON.stringify(o.kind)}, not "BundleManifest"`;
  if (o.apiVersion !== 'ctrdoc/v1alpha1') return `apiVersion ${JSON.stringify(o.apiVersion)} is not one this ctrdoc reads (ctrdoc/v1alpha1)`;
  if (!Array.isArray(o.entries)) return 'has no "entries" list';
  if (typeof o.redacted !== 'boolean') return 'does not say whether it was redacted';
  return undefined;
}
