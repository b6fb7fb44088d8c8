// The doctor's report for a person: grouped by layer (kubelet down to node), worst first, each
// finding with its evidence and next step; passes and skips summarised unless asked for.
import { LAYERS, type Finding } from '../snapshot/types/index.ts';
import type { DoctorReport } from './doctor-report.ts';
import { shortId } from '../ids.ts';

const label: Record<string, string> = { critical: 'CRITICAL', warning: 'WARNING', info: 'INFO' };

function paint(text: string, code: string, color: boolean): string {
  return color ? `\x1b[${code}m${text}\x1b[0m` : text;
}

function subjectText(f: Finding): string {
  const s = f.subject;
  if (!s) return '';
  const id = s.containerId && shortId(s.containerId);
  const parts = [s.pod && `pod ${s.pod}`, s.container && `container ${s.container}`, id && `id ${id}`,
    s.pid && `pid ${s.pid}`, s.shimPid && `shim ${s.shimPid}`, s.path && s.path].filter(Boolean);
  return parts.length ? `  [${parts.join(', ')}]` : '';
}

export function renderDoctorText(r: DoctorReport, opts: { all?: boolean; color?: boolean } = {}): string {
  const color = !!opts.color;
  const lines: string[] = [];
  const rt = r.runtime;
  lines.push(`ctrdoc doctor: ${r.host.hostname}, containerd ${rt.version ?? '(version unknown)'}${rt.pid ? ` pid ${rt.pid} (${rt.state})` : ''} at ${rt.endpoint}`);
  lines.push(`collected ${r.collectedAt} in ${(r.durationMs / 1000).toFixed(2)}s`);
  if (r.focus) {
    const pods = r.focus.pods.map((p) => `${p.namespace}/${p.name} (${p.id.slice(0, 13)})`).join(', ') || r.focus.pod;
    lines.push(`pod ${pods} and the stack it runs on; ${r.focus.hidden} finding(s) about other pods left out`);
  }
  for (const layer of LAYERS) {
    const shown = r.findings.filter((f) => f.layer === layer && (opts.all || f.status === 'fail' || f.status === 'error'));
    if (!shown.length) continue;
    lines.push('', paint(layer.toUpperCase(), '1', color));
    for (const f of shown) {
      if (f.status === 'fail') {
        const sevColor = f.severity === 'critical' ? '31;1' : f.severity === 'warning' ? '33;1' : '36';
        lines.push(`  ${paint(label[f.severity].padEnd(8), sevColor, color)} ${f.rule}: ${f.title}${subjectText(f)}`);
        lines.push(`      ${f.summary}`);
        for (const e of f.evidence.slice(0, 12)) lines.push(`      | ${e}`);
        if (f.evidence.length > 12) lines.push(`      | ... ${f.evidence.length - 12} more (-o json shows all)`);
        if (f.explanation) lines.push(`      why: ${f.explanation}`);
        if (f.nextStep) lines.push(`      next: ${f.nextStep}`);
        for (const ref of f.references ?? []) lines.push(`      see: ${ref}`);
      } else if (f.status === 'error') {
        lines.push(`  ${paint('UNKNOWN '.padEnd(8), '35', color)} ${f.rule}: ${f.title}`);
        lines.push(`      ${f.summary}`);
      } else {
        lines.push(`  ${(f.status === 'pass' ? 'ok' : 'skipped').padEnd(8)} ${f.rule}: ${f.title}${f.status === 'skipped' ? ` (${f.summary})` : ''}`);
      }
    }
  }
  const s = r.summary;
  lines.push('', `Summary: ${s.critical} critical, ${s.warning} warning, ${s.info} info; ${s.passed} checks passed, ${s.skipped} skipped, ${s.couldNotCheck} could not check.`);
  const slow = r.probes.filter((p) => p.status === 'timeout');
  if (slow.length) lines.push(`Timed out: ${slow.map((p) => `${p.probe} (${p.durationMs} ms)`).join(', ')}`);
  if (!opts.all) lines.push('(-A/--all shows passed and skipped checks; -o json the whole report)');
  return lines.join('\n') + '\n';
}

/** node-problem-detector's custom plugin contract: one line of at most 80 characters. */
export function renderNpdLine(r: DoctorReport): string {
  const worst = r.findings.find((f) => f.status === 'fail');
  const text = worst ? `${worst.rule}: ${worst.summary}` : r.summary.couldNotCheck ? `could not check ${r.summary.couldNotCheck} rules` : 'containerd stack healthy';
  return (text.length > 80 ? text.slice(0, 77) + '...' : text) + '\n';
}
