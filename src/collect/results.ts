// Probe results keyed by probe name, typed by what each probe returns (registry.ts).
import type { ProbeResult } from '../snapshot/types/index.ts';
import type { ProbeData, ProbeName } from './registry.ts';

/** What a probe (or the command that ran them) reads of the results so far. */
export class Got {
  constructor(
    private readonly results: ReadonlyMap<string, ProbeResult<unknown>>,
    private readonly pending: ReadonlyMap<string, Promise<ProbeResult<unknown>>> = new Map(),
  ) {}

  /**
   * A probe's result once it settles, for a probe that reads something first and corrects it
   * after (undefined when the probe is not part of this run).
   */
  async settled<K extends ProbeName>(name: K): Promise<ProbeResult<ProbeData[K]> | undefined> {
    return (await this.pending.get(name)) as ProbeResult<ProbeData[K]> | undefined;
  }

  /** The result of a probe that ran (undefined: not part of this run, or not settled in time). */
  result<K extends ProbeName>(name: K): ProbeResult<ProbeData[K]> | undefined {
    return this.results.get(name) as ProbeResult<ProbeData[K]> | undefined;
  }

  /** Its data when it ended ok. */
  data<K extends ProbeName>(name: K): ProbeData[K] | undefined {
    const r = this.result(name);
    return r?.status === 'ok' ? r.data : undefined;
  }

  /** Its result, or a skipped one saying it was not collected (for a Snapshot's required fields). */
  must<K extends ProbeName>(name: K): ProbeResult<ProbeData[K]> {
    return this.result(name) ?? { probe: name, status: 'skipped', durationMs: 0, message: 'not collected by this command' };
  }

  /** "cri.pods: CRI did not answer ..." for each probe that failed or timed out. */
  problems(): string[] {
    return [...this.results.values()].filter((r) => r.status === 'error' || r.status === 'timeout').map((r) => `${r.probe}: ${r.message ?? r.status}`);
  }

  names(): string[] {
    return [...this.results.keys()];
  }
}
