// A goroutine analysis as text (ctrdoc goroutines): per dump, the state counts, the findings,
// then the buckets as a table or with their frames (--stacks).
import { shortName } from '../goroutines/index.ts';
import type { GoroutineAnalysis, GoroutineBucket, GoroutineDump } from '../snapshot/types/goroutines.ts';

function waitText(b: GoroutineBucket): string {
  if (b.waitingCount === 0) return '-';
  return b.waitMinMinutes === b.waitMaxMinutes ? `${b.waitMaxMinutes}m` : `${b.waitMinMinutes}-${b.waitMaxMinutes}m`;
}

function table(rows: string[][]): string {
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(w[i]))).join('   ').trimEnd()).join('\n');
}

export function renderText(a: GoroutineAnalysis, opts: { stacks?: boolean; limit?: number; from?: string } = {}): string {
  const out: string[] = [];
  if (a.dumps.length === 0) {
    out.push(`no goroutine dump found${opts.from ? ` in ${opts.from}` : ''} (${a.inputBytes} bytes read)`);
  }
  for (const w of a.warnings) out.push(`warning: ${w}`);
  for (const d of a.dumps) out.push(renderDumpText(d, a.dumps.length, opts));
  return out.join('\n\n') + '\n';
}

type Bucket = GoroutineDump['buckets'][number];

/** One row per bucket. */
function bucketTable(shown: Bucket[]): string {
  const rows = [['#', 'COUNT', 'STATE', 'WAIT', 'TOP FUNCTION', 'CREATED BY']];
  for (const b of shown) {
    rows.push([String(b.id), String(b.count), b.state + (b.lockedCount ? ' [locked]' : ''), waitText(b), shortName(b.topFunction), b.createdBy ? shortName(b.createdBy.func) : '']);
  }
  return table(rows);
}

/** Each bucket with its whole stack (--stacks). */
function bucketStacks(shown: Bucket[]): string[] {
  const lines: string[] = [];
  for (const b of shown) {
    lines.push(`#${b.id}: ${b.count} [${b.state}${b.waitingCount ? `, ${waitText(b)}` : ''}${b.lockedCount ? ', locked' : ''}]${b.createdBy ? ` created by ${shortName(b.createdBy.func)} @ ${b.createdBy.file}:${b.createdBy.line}` : ''}`);
    for (const f of b.frames) lines.push(`    ${f.func}(${f.args})\n        ${f.file}:${f.line}`);
    if (b.elided) lines.push('    ...additional frames elided...');
  }
  return lines;
}

function renderDumpText(d: GoroutineDump, of: number, opts: { stacks?: boolean; limit?: number }): string {
  const lines: string[] = [];
  const origin = Object.entries(d.origin).map(([k, v]) => `${k}=${v}`).join(' ');
  lines.push(`DUMP ${d.index + 1}/${of}: ${d.goroutines} goroutines in ${d.buckets.length} buckets (${d.format}, similarity ${d.similarity})${origin ? ` ${origin}` : ''}`);
  lines.push('states: ' + Object.entries(d.states).sort((x, y) => y[1] - x[1]).map(([s, n]) => `${n} ${s}`).join(', '));
  if (d.cut) lines.push(`CUT at byte ${d.cut.offset} (line ${d.cut.line}): ${d.cut.reason}`);
  if (d.findings.length) {
    lines.push('', 'FINDINGS');
    for (const f of d.findings) {
      lines.push(`  ${f.severity.toUpperCase().padEnd(8)} ${f.title} (${f.count} goroutine${f.count === 1 ? '' : 's'}${f.waitMaxMinutes ? `, up to ${f.waitMaxMinutes} minutes` : ''})`);
      for (const e of f.evidence) lines.push(`           ${e}`);
      for (const l of f.links) lines.push(`           ${l}`);
    }
  }
  const limit = opts.limit ?? 40;
  const shown = limit > 0 ? d.buckets.slice(0, limit) : d.buckets;
  lines.push('', 'BUCKETS', ...(opts.stacks ? bucketStacks(shown) : [bucketTable(shown)]));
  if (shown.length < d.buckets.length) lines.push(`… ${d.buckets.length - shown.length} more buckets (--limit 0 shows all)`);
  return lines.join('\n');
}

