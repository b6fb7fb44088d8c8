// The config containerd's CRI plugin runs with, as its verbose Status shows it (info.config, the
// CRI plugin's config struct as JSON), set against the config file as `containerd config dump`
// reads it now. They differ when the file was edited and containerd not restarted: containerd
// reads its config once, at start.
import type { ConfigFacts } from '../snapshot/types/index.ts';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const bool = (v: unknown): boolean | undefined => (typeof v === 'boolean' ? v : undefined);

/** The facts the running CRI plugin shows (1.6/1.7 field names); undefined without a config. */
export function runningConfigFacts(info: Obj | undefined): ConfigFacts | undefined {
  const cfg = obj(info?.config);
  if (!cfg) return undefined;
  const section = obj(cfg.containerd);
  const runtimes = obj(section?.runtimes);
  const defName = str(section?.defaultRuntimeName) || 'runc';
  const runtime = obj(runtimes?.[defName]) ?? obj(runtimes?.runc);
  return {
    sandboxImage: str(cfg.sandboxImage),
    systemdCgroup: bool(obj(runtime?.options)?.SystemdCgroup),
    snapshotter: str(section?.snapshotter),
    restrictOomScoreAdj: bool(cfg.restrictOOMScoreAdj),
    drainExecSyncIoTimeout: str(cfg.drainExecSyncIOTimeout),
  };
}

/** The keys compared, by the name an operator knows from config.toml. */
export const comparedKeys: { fact: keyof ConfigFacts; key: string }[] = [
  { fact: 'systemdCgroup', key: 'SystemdCgroup' },
  { fact: 'sandboxImage', key: 'sandbox_image' },
  { fact: 'snapshotter', key: 'snapshotter' },
  { fact: 'restrictOomScoreAdj', key: 'restrict_oom_score_adj' },
  { fact: 'drainExecSyncIoTimeout', key: 'drain_exec_sync_io_timeout' },
];

export interface UnappliedKey {
  key: string;
  file: string;
  running: string;
}

/** Keys whose value in the file differs from the running one; a key either side lacks is not compared. */
export function unappliedKeys(file: ConfigFacts, running: ConfigFacts): UnappliedKey[] {
  const out: UnappliedKey[] = [];
  for (const { fact, key } of comparedKeys) {
    const f = file[fact];
    const r = running[fact];
    if (f === undefined || r === undefined) continue;
    if (JSON.stringify(f) !== JSON.stringify(r)) out.push({ key, file: JSON.stringify(f), running: JSON.stringify(r) });
  }
  return out;
}
