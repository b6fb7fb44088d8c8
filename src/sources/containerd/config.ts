// containerd's effective config: `containerd config dump` (the running binary with the node's
// config, imports merged) against `containerd config default` of the same binary, diffed key by
// key, raw and in the one shape of layout.ts (the same keys on a v2 and a v3 config). Runs the
// binary read-only under a deadline; a config that fails to load is a fact.
import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { parse as parseToml } from 'smol-toml';
import { CtrdocError } from '../../errors.ts';
import type { ConfigDiffEntry, ContainerdConfigView } from '../../snapshot/types/index.ts';
import { configCommands, diffConfigShapes, diffFlat, readConfigShape } from './layout.ts';

function run(bin: string, args: string[], timeoutMs: number): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve, reject) => {
    execFile(bin, args, { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { killed?: boolean; code?: number | string }) | null;
      if (e?.killed) return reject(new CtrdocError('deadline-exceeded', `${bin} ${args.join(' ')}: no answer within ${timeoutMs}ms`));
      if (e && typeof e.code === 'string') return reject(CtrdocError.from(e, `running ${bin}`));
      resolve({ stdout, stderr, code: e ? Number(e.code ?? 1) : 0 });
    });
  });
}

const bare = /^[A-Za-z0-9_-]+$/;
const keyOf = (k: string) => (bare.test(k) ? k : JSON.stringify(k));

/** Flattens a TOML document into dotted paths (TOML's own quoting) → JSON-encoded leaf values. */
export function flattenToml(doc: unknown, prefix = '', out = new Map<string, string>()): Map<string, string> {
  if (doc && typeof doc === 'object' && !Array.isArray(doc) && !(doc instanceof Date)) {
    const entries = Object.entries(doc as Record<string, unknown>);
    if (!entries.length && prefix) out.set(prefix, '{}');
    for (const [k, v] of entries) flattenToml(v, prefix ? `${prefix}.${keyOf(k)}` : keyOf(k), out);
  } else {
    out.set(prefix, JSON.stringify(doc));
  }
  return out;
}

/** Entries where the two configs differ; an empty table on one side and absence on the other count as equal. */
export function diffConfigs(defaults: unknown, actual: unknown): ConfigDiffEntry[] {
  return diffFlat(flattenToml(defaults), flattenToml(actual)).map(({ key, ...d }) => ({ path: key, ...d }));
}

export async function readContainerdConfig(opts: { binary: string; configPath?: string; timeoutMs: number }): Promise<ContainerdConfigView> {
  const cmd = configCommands(opts.configPath);
  const [dump, def, st] = await Promise.all([
    run(opts.binary, cmd.dump, opts.timeoutMs),
    run(opts.binary, cmd.default, opts.timeoutMs),
    opts.configPath ? stat(opts.configPath).catch(() => undefined) : undefined,
  ]);
  const modifiedAt = st ? { modifiedAt: st.mtime.toISOString() } : {};
  if (def.code !== 0) throw new CtrdocError('internal', `${opts.binary} config default failed: ${def.stderr.trim().slice(0, 300)}`);
  const defaults = parseToml(def.stdout) as Record<string, any>;
  if (dump.code !== 0) {
    // The node's config does not load: containerd would not start with it either.
    const msg = (dump.stderr.trim().split('\n').pop() ?? '').slice(0, 500);
    return { path: opts.configPath, ...modifiedAt, dumpOk: false, loadError: msg || `exit ${dump.code}`, diff: [], facts: {} };
  }
  let actual: Record<string, any>;
  try {
    actual = parseToml(dump.stdout) as Record<string, any>;
  } catch (err) {
    return { path: opts.configPath, ...modifiedAt, dumpOk: false, loadError: `config dump is not TOML: ${(err as Error).message}`, diff: [], facts: {} };
  }
  // containerd lists the main config file itself under imports: not a change by anyone
  const diff = diffConfigs(defaults, actual).filter((d) => !(d.path === 'imports' && d.actual === JSON.stringify([opts.configPath])));
  // the one shape of each side (layout.ts reads v2 and v3 alike): the drift keys are the same on every version
  const facts = readConfigShape(actual);
  return {
    path: opts.configPath,
    ...modifiedAt,
    dumpOk: true,
    version: typeof actual.version === 'number' ? actual.version : undefined,
    diff,
    factsDiff: diffConfigShapes(readConfigShape(defaults), facts),
    facts,
  };
}
