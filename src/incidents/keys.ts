// A stable key for every finding of a report, unique within it, so incidents (and whoever reads
// the JSON) can refer to findings by name: RULE, RULE@subject, RULE:signature, with #2, #3 for
// repeats (episodes of one log rule). The same node state gives the same keys run after run.
import type { Finding, GoroutineFinding, Snapshot } from '../snapshot/types/index.ts';
import { shortId } from '../ids.ts';

const GOROUTINES_RULE = 'CONTAINERD_GOROUTINES';

/**
 * The goroutine finding a CONTAINERD_GOROUTINES finding reports (its id: containerd-6772-victim,
 * lock-cycle, ...), found in the Snapshot's analysis by the title the finding's summary starts with.
 */
export function goroutineSignatureOf(f: Finding, s: Snapshot): string | undefined {
  if (f.rule !== GOROUTINES_RULE || f.status !== 'fail') return undefined;
  const g = s.containerd.goroutines;
  const all: GoroutineFinding[] = g?.status === 'ok' ? (g.data?.dumps ?? []).flatMap((d) => d.findings) : [];
  // the longest title that fits: "Tasks.Create waiting" must not claim a longer title's finding
  let best: GoroutineFinding | undefined;
  for (const x of all) if (f.summary.startsWith(x.title) && (!best || x.title.length > best.title.length)) best = x;
  return best?.id;
}

function subjectPart(f: Finding): string | undefined {
  const s = f.subject;
  if (!s) return undefined;
  if (s.pod && s.container) return `${s.pod}/${s.container}`;
  if (s.containerId) return shortId(s.containerId);
  if (s.pod) return s.shimPid !== undefined ? `${s.pod}/shim` : s.pod;
  if (s.shimPid !== undefined) return `shim:${s.shimPid}`;
  if (s.pid !== undefined) return `pid:${s.pid}`;
  return s.path;
}

/** One key per finding, in the findings' order. */
export function findingKeys(findings: Finding[], s: Snapshot): string[] {
  const used = new Map<string, number>();
  return findings.map((f) => {
    let base = f.rule;
    if (f.status === 'fail') {
      const sig = goroutineSignatureOf(f, s);
      const part = subjectPart(f);
      if (sig) base += `:${sig}`;
      if (part) base += `@${part}`;
    }
    const n = (used.get(base) ?? 0) + 1;
    used.set(base, n);
    return n === 1 ? base : `${base}#${n}`;
  });
}

/** The goroutine signature a finding key carries (CONTAINERD_GOROUTINES:lock-cycle → lock-cycle). */
export function signatureOfKey(key: string): string | undefined {
  return /^[A-Z][A-Z0-9_]*:([a-z0-9-]+)(?:[@#]|$)/.exec(key)?.[1];
}
