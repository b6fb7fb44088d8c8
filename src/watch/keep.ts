// What one diagnosis may keep for the next: results that cannot change while the same containerd
// runs with the same config file. containerd's version, its plugins and CRI's version are fixed
// for a daemon's life, and `containerd config dump` against `config default` (two runs of the
// containerd binary, most of a diagnosis's cost) for a config file's. Keeping them spares a hung
// containerd three calls per diagnosis and the node two processes. Only answers are kept, never
// a timeout or an error: those are asked again.
import { statSync } from 'node:fs';
import type { ProbeResult, Snapshot } from '../snapshot/types/index.ts';

/** What must stay the same for a kept result to hold. */
export interface KeepKey {
  containerdPid?: number;
  /** the config file's path, mtime and size ('' when it could not be read) */
  config: string;
}

export function keepKeyOf(containerdPid: number | undefined, configPath: string | undefined): KeepKey {
  let config = '';
  if (configPath) {
    try {
      const st = statSync(configPath);
      config = `${configPath}\0${st.mtimeMs}\0${st.size}`;
    } catch {
      config = `${configPath}\0unreadable`;
    }
  }
  return { containerdPid, config };
}

/** The probes kept, and what each depends on. */
const KEPT: Record<string, 'daemon' | 'config'> = {
  'containerd.version': 'daemon',
  'containerd.plugins': 'daemon',
  'cri.version': 'daemon',
  'containerd.config': 'config',
};

export class ProbeKeeper {
  private key?: KeepKey;
  private readonly kept = new Map<string, ProbeResult<unknown>>();

  /** The reuse function for a collection under this key (collect's `reuse` option). */
  reuseFor(key: KeepKey): (probe: string) => ProbeResult<unknown> | undefined {
    const before = this.key;
    const sameDaemon = before !== undefined && key.containerdPid !== undefined && before.containerdPid === key.containerdPid;
    const sameConfig = sameDaemon && before.config === key.config && key.config !== '';
    if (!sameDaemon) this.kept.clear();
    else if (!sameConfig) this.kept.delete('containerd.config');
    this.key = key;
    return (probe) => {
      const dep = KEPT[probe];
      if (!dep || (dep === 'config' && !sameConfig) || !sameDaemon) return undefined;
      return this.kept.get(probe);
    };
  }

  /** Keeps the answers of a Snapshot collected under the current key. */
  keep(s: Snapshot): void {
    const found: Record<string, ProbeResult<unknown>> = {
      'containerd.version': s.containerd.version,
      'containerd.plugins': s.containerd.plugins,
      'cri.version': s.cri.version,
      'containerd.config': s.containerd.config,
    };
    for (const [name, r] of Object.entries(found)) if (r.status === 'ok') this.kept.set(name, r);
  }
}
