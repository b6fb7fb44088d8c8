// The goroutine dumps a bundle carries as raw text (goroutines/*.txt: taken from the debug socket
// when the bundle was written), analysed by `ctrdoc analyze` beside the Snapshot's own: a dump
// the live run did not analyse (an older ctrdoc, or a run that took none) is judged offline all
// the same, and a deadlock seconds old is named from the bundle as it is live.
import type { GoroutineAnalysis, GoroutineDump, ProbeResult, Snapshot } from '../snapshot/types/index.ts';

/** Bundle entries holding a goroutine dump. */
export const DUMP_ENTRY = /^goroutines\/[^/]+\.txt$/;

/** The Snapshot with every dump of the bundle analysed into containerd.goroutines (a copy; the input is not changed). */
export async function withBundleDumps(s: Snapshot, files: ReadonlyMap<string, Buffer>): Promise<Snapshot> {
  const entries = [...files].filter(([name, content]) => DUMP_ENTRY.test(name) && content.length > 0).sort(([a], [b]) => a.localeCompare(b));
  if (!entries.length) return s;
  const { analyzeDump } = await import('../goroutines/index.ts');
  const live = s.containerd.goroutines;
  const own = live?.status === 'ok' && live.data ? live.data : undefined;
  const dumps: GoroutineDump[] = [...(own?.dumps ?? []).map((d) => ({ ...d, source: d.source ?? 'the live run' }))];
  const warnings = [...(own?.warnings ?? [])];
  for (const [name, content] of entries) {
    const a = analyzeDump(content);
    for (const d of a.dumps) dumps.push({ ...d, source: `bundle ${name}` });
    for (const w of a.warnings) warnings.push(`${name}: ${w}`);
  }
  if (dumps.length === (own?.dumps.length ?? 0)) return s;
  const analysis: GoroutineAnalysis = {
    similarity: own?.similarity ?? 'pointer',
    inputBytes: (own?.inputBytes ?? 0) + entries.reduce((n, [, c]) => n + c.length, 0),
    passthroughBytes: own?.passthroughBytes ?? 0,
    dumps: dumps.map((d, index) => ({ ...d, index })),
    warnings,
  };
  const names = entries.map(([n]) => n).join(', ');
  const result: ProbeResult<GoroutineAnalysis> = {
    probe: 'containerd.goroutines',
    status: 'ok',
    durationMs: live?.durationMs ?? 0,
    data: analysis,
    message: own ? `the live run's dump and the bundle's ${names}` : `analysed from the bundle's ${names}${live?.message ? ` (the live run: ${live.message})` : ''}`,
  };
  return { ...s, containerd: { ...s.containerd, goroutines: result } };
}
