// The goroutine dumps a bundle carries as raw text (goroutines/*.txt: taken from the debug socket
// when the bundle was written), analysed by `ctrdoc analyze` beside the Snapshot's own: a dump
// the live run did not analyse (an older ctrdoc, or a run that took none) is judged offline all
// the same, and a deadlock seconds old is named from the bundle as it is live.
import type { GoroutineAnalysis, GoroutineDump, ProbeResult, Snapshot } from '../snapshot/types/index.ts';
import { compareText } from '../order.ts';

/** Bundle entries holding a goroutine dump. */
export const DUMP_ENTRY = /^goroutines\/[^/]+\.txt$/;

/** The Snapshot with every dump of the bundle analysed into containerd.goroutines (a copy; the input is not changed). */
export async function withBundleDumps(s: Snapshot, files: ReadonlyMap<string, Buffer>): Promise<Snapshot> {
  const entries = dumpEntries(files);
  if (!entries.length) return s;
  const { analyzeDump } = await import('../goroutines/index.ts');
  const live = s.containerd.goroutines;
  const own = liveAnalysis(live);
  const merged = mergeDumps(own, entries.map(([name, content]) => [name, analyzeDump(content)]));
  // every bundle dump was empty of goroutines: nothing to add to what the live run said
  if (merged.dumps.length === (own?.dumps.length ?? 0)) return s;
  const result: ProbeResult<GoroutineAnalysis> = {
    probe: 'containerd.goroutines',
    status: 'ok',
    durationMs: live?.durationMs ?? 0,
    data: combinedAnalysis(own, entries, merged),
    message: combinedMessage(own, live, entries),
  };
  return { ...s, containerd: { ...s.containerd, goroutines: result } };
}

type DumpEntry = [name: string, content: Buffer];

/** The bundle's non-empty dump entries, in name order (so the merged dumps' order does not depend on the archive's). */
function dumpEntries(files: ReadonlyMap<string, Buffer>): DumpEntry[] {
  return [...files].filter(([name, content]) => DUMP_ENTRY.test(name) && content.length > 0).sort(([a], [b]) => compareText(a, b));
}

/** The live run's own analysis, when it has one to build on. */
function liveAnalysis(live: ProbeResult<GoroutineAnalysis> | undefined): GoroutineAnalysis | undefined {
  return live?.status === 'ok' && live.data ? live.data : undefined;
}

/** The live run's dumps and warnings first, then each bundle entry's, each dump saying where it came from. */
function mergeDumps(own: GoroutineAnalysis | undefined, analysed: [name: string, a: GoroutineAnalysis][]): { dumps: GoroutineDump[]; warnings: string[] } {
  const dumps: GoroutineDump[] = (own?.dumps ?? []).map((d) => ({ ...d, source: d.source ?? 'the live run' }));
  const warnings = [...(own?.warnings ?? [])];
  for (const [name, a] of analysed) {
    for (const d of a.dumps) dumps.push({ ...d, source: `bundle ${name}` });
    for (const w of a.warnings) warnings.push(`${name}: ${w}`);
  }
  return { dumps, warnings };
}

/** One analysis over the live run's input and the bundle's, the dumps numbered anew. */
function combinedAnalysis(own: GoroutineAnalysis | undefined, entries: DumpEntry[], merged: { dumps: GoroutineDump[]; warnings: string[] }): GoroutineAnalysis {
  return {
    similarity: own?.similarity ?? 'pointer',
    inputBytes: (own?.inputBytes ?? 0) + entries.reduce((n, [, c]) => n + c.length, 0),
    passthroughBytes: own?.passthroughBytes ?? 0,
    dumps: merged.dumps.map((d, index) => ({ ...d, index })),
    warnings: merged.warnings,
  };
}

/** Says which dumps were read; without a live analysis, also what the live run said instead. */
function combinedMessage(own: GoroutineAnalysis | undefined, live: ProbeResult<GoroutineAnalysis> | undefined, entries: DumpEntry[]): string {
  const names = entries.map(([n]) => n).join(', ');
  if (own) return `the live run's dump and the bundle's ${names}`;
  return `analysed from the bundle's ${names}${live?.message ? ` (the live run: ${live.message})` : ''}`;
}
