// Log pattern tables as rules: one rule per table entry, one hit per episode (the newest few),
// with the count, first and last time and example lines as evidence. An episode that ended
// long before the snapshot weighs one severity step less: it happened, it is not happening.
import type { LogEpisode, LogScan, ProbeResult, Severity, Snapshot } from '../snapshot/types/index.ts';
import type { LogTable } from '../sources/logs/table.ts';
import { need, type Hit, type Rule } from './rule.ts';
import { containerdLogRuleTable } from './tables.ts';
import type { RuleSamples, VariantText } from './table.ts';

/** an episode whose last line is older than this (before collection) is "past" */
export const STALE_EPISODE_MS = 60 * 60_000;
/** at most this many episodes per rule become hits (the newest); the rest are counted */
export const MAX_EPISODE_HITS = 5;

const LOWER: Record<Severity, Severity> = { critical: 'warning', warning: 'info', info: 'info' };

function ago(ms: number): string {
  const m = Math.round(ms / 60_000);
  return m < 120 ? `${m}m` : m < 48 * 60 ? `${Math.round(m / 60)}h` : `${Math.round(m / 1440)}d`;
}

/** Captured values, at most three of each shown (container ids run long): `id: a, b, c (+24 more)`. */
function capturesText(c: Record<string, string[]>): string {
  const SHOWN = 3;
  return Object.entries(c)
    .filter(([, v]) => v.length)
    .map(([k, v]) => `${k}: ${v.slice(0, SHOWN).join(', ')}${v.length > SHOWN ? ` (+${v.length - SHOWN} more)` : ''}`)
    .join('; ');
}

/** The evidence lines of one episode: what a person checks in ten seconds. */
export function episodeEvidence(ep: LogEpisode, scan: LogScan): string[] {
  const when = ep.first ? (ep.first === ep.last ? ep.first : `${ep.first} → ${ep.last}`) : 'lines carry no time';
  const ev = [`${ep.count} matching line(s), ${when}, in ${scan.source}`];
  const caps = capturesText(ep.captures);
  if (caps) ev.push(`captured ${caps}`);
  for (const x of ep.examples) ev.push(`log: ${x}`);
  return ev;
}

export function episodeHits(entryId: string, severity: Severity, scan: LogScan, collectedAt: string): Hit[] {
  const eps = scan.episodes.filter((e) => e.pattern === entryId);
  const shown = eps.slice(-MAX_EPISODE_HITS);
  const earlier = eps.length - shown.length;
  const now = Date.parse(collectedAt);
  return shown.reverse().map((ep, i) => {
    const lastMs = ep.last ? Date.parse(ep.last) : NaN;
    const age = Number.isFinite(now) && Number.isFinite(lastMs) ? now - lastMs : undefined;
    const stale = age !== undefined && age > STALE_EPISODE_MS;
    const caps = capturesText(ep.captures);
    let summary = `${ep.count} line(s) in one episode${ep.first ? ` from ${ep.first} to ${ep.last}` : ''}`;
    if (caps) summary += ` (${caps})`;
    if (stale) summary += `; ended ${ago(age!)} before this check`;
    if (i === 0 && earlier > 0) summary += `; ${earlier} earlier episode(s) not shown`;
    const path = scan.source.startsWith('file:') ? scan.source.slice(5) : undefined;
    const unit = scan.source.startsWith('journald:') ? scan.source.slice(9) : undefined;
    return {
      summary,
      severity: stale ? LOWER[severity] : severity,
      evidence: episodeEvidence(ep, scan),
      // a rule's text may use its pattern's captures: the newest value of each
      vars: { ...Object.fromEntries(Object.entries(ep.captures).map(([k, v]) => [k, v.at(-1)])), logFile: path, logUnit: unit },
      ...(path ? { subject: { path } } : {}),
    };
  });
}

/** The text half a shipped entry carries beside its pattern (checked by tables.ts). */
interface LogEntryText {
  variables?: string[];
  variants?: Record<string, VariantText>;
  samples?: RuleSamples;
}

/** One rule per table entry over the LogScan that `pick` takes from the Snapshot. */
export function rulesFromLogTable(table: LogTable, pick: (s: Snapshot) => ProbeResult<LogScan> | undefined, what: string): Rule[] {
  return table.patterns.map((p) => ({
    id: p.id,
    layer: p.layer,
    severity: p.severity,
    title: p.title,
    explanation: p.explanation,
    nextStep: p.nextStep,
    references: p.references,
    table: table.name,
    variables: (p as LogEntryText).variables ?? [],
    variants: (p as LogEntryText).variants ?? {},
    samples: (p as LogEntryText).samples,
    params: {},
    check(s: Snapshot) {
      const scan = need(pick(s), what);
      return { hits: episodeHits(p.id, p.severity, scan, s.collectedAt) };
    },
  }));
}

export const containerdLogRules: Rule[] = rulesFromLogTable(containerdLogRuleTable.patterns, (s) => s.containerd.log, 'the containerd log');
