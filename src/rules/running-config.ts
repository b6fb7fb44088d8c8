// The config containerd's CRI plugin runs with, as its verbose Status shows it (info.config, the
// CRI plugin's config struct as JSON), set against the config file as `containerd config dump`
// reads it now. They differ when the file was edited and containerd not restarted: containerd
// reads its config once, at start.
import type { ConfigFacts } from '../snapshot/types/index.ts';
import { readCriStatusShape } from '../sources/containerd/layout.ts';

type Obj = Record<string, unknown>;

/**
 * The facts the running CRI plugin shows, in the one shape (layout.ts knows each version's
 * Status: 2.x shows no sandbox image or snapshotter, so those are not compared there);
 * undefined without a config.
 */
export function runningConfigFacts(info: Obj | undefined): ConfigFacts | undefined {
  return readCriStatusShape(info)?.facts;
}

/** The keys compared, by the name an operator knows from config.toml. */
export const comparedKeys: { fact: keyof ConfigFacts; key: string }[] = [
  { fact: 'systemdCgroup', key: 'SystemdCgroup' },
  { fact: 'sandboxImage', key: 'sandbox_image' },
  { fact: 'snapshotter', key: 'snapshotter' },
  { fact: 'restrictOomScoreAdj', key: 'restrict_oom_score_adj' },
  { fact: 'drainExecSyncIoTimeout', key: 'drain_exec_sync_io_timeout' },
  { fact: 'runcBinaryName', key: 'BinaryName' },
  { fact: 'cniConfDir', key: 'cni conf_dir' },
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
