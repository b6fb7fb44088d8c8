// Log pattern tables as rules: one rule per table entry, one hit per episode (the newest few),
// with the count, first and last time and example lines as evidence, and the pods the lines'
// ids belong to.
//  - A correlated entry (its "correlate" block, see src/sources/logs/table.ts) is judged per id:
//    only the ids the marker lines around them show abnormal make a hit (a shim that went away
//    with its task's exit unread), never the ids of a normal removal.
//  - The log window (src/sources/logs/window.ts): an episode that ended before it is info, so an
//    old incident does not keep a node red forever. A scan without a window (an old Snapshot)
//    is judged with the default one: containerd's start or the last few hours.
import type { EpisodeId, LogEpisode, LogScan, LogWindow, ProbeResult, Severity, Snapshot } from '../snapshot/types/index.ts';
import type { CompiledLogPattern, LogTable } from '../sources/logs/table.ts';
import { defaultLogWindow, describeWindow, windowStartMs } from '../sources/logs/window.ts';
import { need, type Hit, type Rule } from './rule.ts';
import { containerdLogRuleTable } from './tables.ts';
import type { RuleSamples, VariantText } from './table.ts';
import { describeId, idNames, subjectOfIds, TASK_ID, type IdName } from './log-ids.ts';

/** at most this many episodes per rule become hits (the newest); the rest are counted */
export const MAX_EPISODE_HITS = 5;
/** ids named in one hit's evidence */
const IDS_SHOWN = 5;

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

/** containerd's start, from its process's age at collection: the default window's start. */
function containerdStartMs(s: Snapshot): number | undefined {
  const up = s.containerd?.process?.status === 'ok' ? s.containerd.process.data?.uptimeSec : undefined;
  const at = Date.parse(s.collectedAt);
  return up !== undefined && Number.isFinite(at) ? at - up * 1000 : undefined;
}

/** The window a scan is judged in: its own, else the default at collection time. */
export function windowOf(scan: LogScan, s: Snapshot): LogWindow | undefined {
  if (scan.window) return scan.window;
  const at = Date.parse(s.collectedAt);
  return Number.isFinite(at) ? defaultLogWindow(containerdStartMs(s), at) : undefined;
}

/**
 * The window a Snapshot's logs were judged in: the one the collection gave its log probes (the
 * containerd log's, else another log's), else the default at collection time.
 */
export function snapshotLogWindow(s: Snapshot): LogWindow | undefined {
  const given = [s.containerd?.log, s.kubeletLog, s.node?.status === 'ok' ? { status: 'ok' as const, data: s.node.data?.kernelLog } : undefined]
    .map((p) => (p?.status === 'ok' ? p.data?.window : undefined)).find((w) => w);
  if (given) return given;
  const at = Date.parse(s.collectedAt);
  return Number.isFinite(at) ? defaultLogWindow(containerdStartMs(s), at) : undefined;
}

/** Before the window: the last line is older than its start (lines without a time are not). */
function beforeWindow(last: string, window: LogWindow | undefined, marked?: boolean): boolean {
  if (marked) return true;
  if (!window || !last) return false;
  const l = Date.parse(last);
  const w = windowStartMs(window);
  return Number.isFinite(l) && w !== undefined && l < w;
}

interface Judged {
  /** the ids (and lines without one) that make the hit */
  bad: EpisodeId[];
  noIdLines: number;
  normal: number;
  unexplained: number;
}

/** A correlated episode's ids as the table judges them: abnormal, and unexplained ones when its "otherwise" says abnormal. */
function judgeIds(ep: LogEpisode, p: CompiledLogPattern): Judged {
  const otherwiseBad = p.correlate!.otherwise === 'abnormal';
  const ids = ep.ids ?? [];
  const v = ep.idVerdicts ?? { abnormal: 0, normal: 0, unexplained: 0, noId: 0 };
  return {
    bad: ids.filter((x) => x.verdict === 'abnormal' || (otherwiseBad && x.verdict === 'unexplained')),
    noIdLines: otherwiseBad ? v.noId : 0,
    normal: v.normal + (otherwiseBad ? 0 : v.unexplained),
    unexplained: otherwiseBad ? 0 : v.unexplained,
  };
}

interface EpisodeView {
  count: number;
  first: string;
  last: string;
  examples: string[];
  ids: string[];
  beforeWindow: boolean;
  extra: string[];
}

/** What one episode of a correlated pattern says: its abnormal ids only, with the others counted. */
function correlatedView(ep: LogEpisode, p: CompiledLogPattern, names: Map<string, IdName>, window: LogWindow | undefined): EpisodeView | undefined {
  const j = judgeIds(ep, p);
  if (!j.bad.length && !j.noIdLines) return undefined;
  const times = j.bad.flatMap((x) => [x.first, x.last]).filter(Boolean).sort();
  const first = times[0] ?? (j.noIdLines ? ep.first : '');
  const last = (j.noIdLines ? [ep.last, ...times] : times).filter(Boolean).sort().at(-1) ?? '';
  const markerWhy = new Map(p.correlate!.markers.map((m) => [m.name, m]));
  const extra: string[] = [];
  for (const x of j.bad.slice(0, IDS_SHOWN)) {
    const seen = Object.entries(x.markers).filter(([n]) => markerWhy.get(n)?.means === 'abnormal');
    extra.push(`${describeId(names, x.id)}: ${seen.length ? seen.map(([n]) => markerWhy.get(n)!.why).join('; ') : p.correlate!.otherwiseWhy}`);
    for (const [, line] of seen) extra.push(`log: ${line}`);
  }
  if (j.bad.length > IDS_SHOWN) extra.push(`… and ${j.bad.length - IDS_SHOWN} more id(s)`);
  if (j.noIdLines) extra.push(`${j.noIdLines} line(s) name no id: ${p.correlate!.otherwiseWhy}`);
  const normal = j.normal + j.unexplained;
  if (normal) extra.push(`${normal} other id(s) in the same lines were normal (after a stop, or after their task's exit was read): not counted here`);
  return {
    count: j.bad.reduce((n, x) => n + x.count, 0) + j.noIdLines,
    first, last,
    examples: j.bad.slice(0, 3).map((x) => x.example),
    ids: j.bad.map((x) => x.id),
    beforeWindow: beforeWindow(last, window),
    extra,
  };
}

/** A plain episode: all its lines; the ids it captured named. */
function plainView(ep: LogEpisode, names: Map<string, IdName>, window: LogWindow | undefined): EpisodeView {
  const ids = [...new Set(Object.values(ep.captures).flat().filter((v) => TASK_ID.test(v)))];
  return {
    count: ep.count, first: ep.first, last: ep.last, examples: ep.examples, ids,
    beforeWindow: beforeWindow(ep.last, window, ep.beforeWindow),
    extra: ids.slice(0, IDS_SHOWN).map((id) => `id ${describeId(names, id)}`),
  };
}

/**
 * A correlated pattern's episode is judged by its ids. One without ids (a Snapshot made before
 * ctrdoc correlated log lines) is as if no line around it said anything: the table's "otherwise".
 */
function viewOf(ep: LogEpisode, p: CompiledLogPattern, names: Map<string, IdName>, window: LogWindow | undefined): EpisodeView | undefined {
  if (!p.correlate) return plainView(ep, names, window);
  if (ep.ids) return correlatedView(ep, p, names, window);
  return p.correlate.otherwise === 'abnormal' ? plainView(ep, names, window) : undefined;
}

export function episodeHits(p: CompiledLogPattern, scan: LogScan, s: Snapshot, names = idNames(s)): Hit[] {
  const window = windowOf(scan, s);
  const views = scan.episodes
    .filter((e) => e.pattern === p.id)
    .map((ep) => ({ ep, view: viewOf(ep, p, names, window) }))
    .filter((x): x is { ep: LogEpisode; view: EpisodeView } => !!x.view);
  const shown = views.slice(-MAX_EPISODE_HITS);
  const earlier = views.length - shown.length;
  return shown.reverse().map(({ ep, view }, i) => {
    const caps = capturesText(ep.captures);
    const who = [...new Set(view.ids.map((id) => describeId(names, id)))];
    let summary = `${view.count} line(s) in one episode${view.first ? ` from ${view.first} to ${view.last}` : ''}`;
    if (who.length) summary += `: ${who.slice(0, 2).join('; ')}${who.length > 2 ? ` (+${who.length - 2} more)` : ''}`;
    else if (caps) summary += ` (${caps})`;
    if (view.beforeWindow) {
      const age = Date.parse(s.collectedAt) - Date.parse(view.last);
      summary += `; ended ${Number.isFinite(age) ? `${ago(age)} ` : ''}before this check, before the log window${window ? ` (${describeWindow(window)})` : ''}: it happened, it is not happening`;
    }
    if (i === 0 && earlier > 0) summary += `; ${earlier} earlier episode(s) not shown`;
    const path = scan.source.startsWith('file:') ? scan.source.slice(5) : undefined;
    const unit = scan.source.startsWith('journald:') ? scan.source.slice(9) : undefined;
    const when = view.first ? (view.first === view.last ? view.first : `${view.first} → ${view.last}`) : 'lines carry no time';
    const evidence = [
      `${view.count} matching line(s), ${when}, in ${scan.source}`,
      ...(caps ? [`captured ${caps}`] : []),
      ...view.extra,
      ...view.examples.map((x) => `log: ${x}`),
    ];
    const subject = subjectOfIds(names, view.ids);
    return {
      summary,
      severity: (view.beforeWindow ? 'info' : p.severity) as Severity,
      evidence,
      // a rule's text may use its pattern's captures: the newest value of each
      vars: { ...Object.fromEntries(Object.entries(ep.captures).map(([k, v]) => [k, v.at(-1)])), logFile: path, logUnit: unit },
      ...(subject || path ? { subject: { ...(path ? { path } : {}), ...subject } } : {}),
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
      return { hits: episodeHits(p, scan, s) };
    },
  }));
}

export const containerdLogRules: Rule[] = rulesFromLogTable(containerdLogRuleTable.patterns, (s) => s.containerd.log, 'the containerd log');
