// The doctor's report for a person. It opens with the DIAGNOSIS: the incidents (root causes) worst
// first, at most five, three lines each (cause and pods; proof; next step and fix). Then the
// detail by layer (kubelet down to node), each entry tagged with its incident, repeats collapsed
// (the episodes of one log rule, one container that several rules describe) and a rule's
// explanation said once; passes and skips summarised unless asked for.
import { LAYERS, type Finding } from '../snapshot/types/index.ts';
import type { DoctorReport, ReportFinding } from './doctor-report.ts';
import { shortId } from '../ids.ts';
import { groupRepeats, groupRules, type FindingGroup } from './finding-groups.ts';
import { attentionIncidents, cut, incidentLines, podsText } from './incident-lines.ts';

const label: Record<string, string> = { critical: 'CRITICAL', warning: 'WARNING', info: 'INFO' };
/** incidents shown in the diagnosis; the rest are named on one line */
export const DIAGNOSIS_MAX = 5;
const EVIDENCE_SHOWN = 12;

function paint(text: string, code: string, color: boolean): string {
  return color ? `\x1b[${code}m${text}\x1b[0m` : text;
}

const sevColor = (sev: string) => (sev === 'critical' ? '31;1' : sev === 'warning' ? '33;1' : '36');

function subjectText(f: Finding): string {
  const s = f.subject;
  if (!s) return '';
  const id = s.containerId && shortId(s.containerId);
  const parts = [s.pod && `pod ${s.pod}`, s.container && `container ${s.container}`, id && `id ${id}`,
    s.pid && `pid ${s.pid}`, s.shimPid && `shim ${s.shimPid}`, s.path && s.path].filter(Boolean);
  return parts.length ? `  [${parts.join(', ')}]` : '';
}

function diagnosisLines(r: DoctorReport, number: Map<string, number>, color: boolean): string[] {
  if (!r.incidents.length) {
    const unknown = r.summary.couldNotCheck;
    return [paint('DIAGNOSIS', '1', color) + (unknown ? `: no problem found, but ${unknown} check(s) could not run (UNKNOWN below)` : ': no problem found')];
  }
  const shown = attentionIncidents(r);
  const counts = (['critical', 'warning', 'info'] as const).map((sev) => [sev, r.incidents.filter((i) => i.severity === sev).length] as const).filter(([, n]) => n);
  const lines = [paint('DIAGNOSIS', '1', color) + `: ${r.incidents.length} incident${r.incidents.length === 1 ? '' : 's'} (${counts.map(([sev, n]) => `${n} ${sev}`).join(', ')}), worst first`];
  for (const i of shown.slice(0, DIAGNOSIS_MAX)) {
    const [cause, proof, next] = incidentLines(i);
    lines.push(` ${number.get(i.id)}. ${paint(label[i.severity].padEnd(8), sevColor(i.severity), color)} ${cause}`);
    lines.push(`    ${proof}`);
    if (next) lines.push(`    ${next}`);
  }
  const rest = r.incidents.filter((i) => !shown.slice(0, DIAGNOSIS_MAX).includes(i));
  const named = rest.filter((i) => i.severity !== 'info').map((i) => `#${number.get(i.id)} ${i.id}${i.pods.length ? ` (${podsText(i.pods, 1).replace(/^1 pod: /, '')})` : ''}`);
  const info = rest.filter((i) => i.severity === 'info').map((i) => `#${number.get(i.id)}`);
  if (named.length || info.length) {
    lines.push(` also: ${cut([...named, ...(info.length ? [`${info.length} at info level (${info.join(' ')})`] : [])].join(', '), 400)}`);
  }
  return lines;
}

function groupLines(g: FindingGroup, number: Map<string, number>, explained: Set<string>, color: boolean): string[] {
  const [f, ...others] = g.findings;
  const lines: string[] = [];
  if (f.status === 'error') {
    lines.push(`  ${paint('UNKNOWN '.padEnd(8), '35', color)} ${f.rule}: ${f.title}`, `      ${f.summary}`);
    return lines;
  }
  if (f.status !== 'fail') {
    lines.push(`  ${(f.status === 'pass' ? 'ok' : 'skipped').padEnd(8)} ${f.rule}: ${f.title}${f.status === 'skipped' ? ` (${f.summary})` : ''}`);
    return lines;
  }
  const tag = f.incident && number.has(f.incident) ? `  (#${number.get(f.incident)})` : '';
  lines.push(`  ${paint(label[f.severity].padEnd(8), sevColor(f.severity), color)} ${groupRules(g)}: ${f.title}${subjectText(f)}${tag}`);
  lines.push(`      ${f.summary}`);
  for (const e of f.evidence.slice(0, EVIDENCE_SHOWN)) lines.push(`      | ${e}`);
  if (f.evidence.length > EVIDENCE_SHOWN) lines.push(`      | ... ${f.evidence.length - EVIDENCE_SHOWN} more (-o json shows all)`);
  for (const o of others) lines.push(`      also ${o.rule === f.rule ? '' : `${o.rule} `}(${o.severity}): ${o.summary}`);
  // a rule's explanation and links once per report; its next step names this subject
  if (f.explanation) lines.push(`      why: ${explained.has(f.rule) ? `see ${f.rule} above` : f.explanation}`);
  if (f.nextStep) lines.push(`      next: ${f.nextStep}`);
  if (!explained.has(f.rule)) for (const ref of f.references ?? []) lines.push(`      see: ${ref}`);
  explained.add(f.rule);
  return lines;
}

export function renderDoctorText(r: DoctorReport, opts: { all?: boolean; color?: boolean } = {}): string {
  const color = !!opts.color;
  const lines: string[] = [];
  const rt = r.runtime;
  lines.push(`ctrdoc doctor: ${r.host.hostname}, containerd ${rt.version ?? '(version unknown)'}${rt.pid ? ` pid ${rt.pid} (${rt.state})` : ''} at ${rt.endpoint}`);
  lines.push(`collected ${r.collectedAt} in ${(r.durationMs / 1000).toFixed(2)}s${r.logWindow ? `; log window: ${r.logWindow.text}` : ''}`);
  if (r.focus) {
    const pods = r.focus.pods.map((p) => `${p.namespace}/${p.name} (${p.id.slice(0, 13)})`).join(', ') || r.focus.pod;
    lines.push(`pod ${pods} and the stack it runs on; ${r.focus.hidden} finding(s) about other pods left out`);
  }
  const number = new Map(r.incidents.map((i, n) => [i.id, n + 1]));
  lines.push('', ...diagnosisLines(r, number, color));
  const explained = new Set<string>();
  // repeats collapse across layers (a pod's shim without pause and its pause's parked init); an
  // entry sits in the layer of its worst finding
  const groups = groupRepeats(r.findings.filter((f: ReportFinding) => opts.all || f.status === 'fail' || f.status === 'error'));
  let detail = false;
  for (const layer of LAYERS) {
    const shown = groups.filter((g) => g.findings[0].layer === layer);
    if (!shown.length) continue;
    if (!detail) lines.push('', paint('DETAIL', '1', color) + ' by layer; (#n) is the incident above');
    detail = true;
    lines.push('', paint(layer.toUpperCase(), '1', color));
    for (const g of shown) lines.push(...groupLines(g, number, explained, color));
  }
  const s = r.summary;
  lines.push('', `Summary: ${s.critical} critical, ${s.warning} warning, ${s.info} info in ${r.incidents.length} incident(s); ${s.passed} checks passed, ${s.skipped} skipped, ${s.couldNotCheck} could not check.`);
  const slow = r.probes.filter((p) => p.status === 'timeout');
  if (slow.length) lines.push(`Timed out: ${slow.map((p) => `${p.probe} (${p.durationMs} ms)`).join(', ')}`);
  if (!opts.all) lines.push('(-A/--all shows passed and skipped checks; -o json the whole report)');
  return lines.join('\n') + '\n';
}

/**
 * node-problem-detector's custom plugin contract: one line of at most 80 characters. It is what
 * `kubectl describe node` shows, so it names the top incident and its cause, not a symptom
 * (`ID: cause; N pods: first`, the pods giving way first); an incident no known cause explains
 * says its rule and what it saw.
 */
export function renderNpdLine(r: DoctorReport): string {
  const top = r.incidents[0];
  if (!top) return `${r.summary.couldNotCheck ? `could not check ${r.summary.couldNotCheck} rules` : 'containerd stack healthy'}\n`;
  const root = r.findings.find((f) => f.key === top.findings.root[0]);
  const cause = top.certainty === 'observed' && root ? `${root.rule}: ${root.summary}` : `${top.id}: ${top.short}`;
  const count = `; ${top.pods.length} pod${top.pods.length === 1 ? '' : 's'}`;
  // a cut pod name misleads: the whole name, or the count, or neither
  const line = (top.pods.length ? [`${cause}${count}: ${top.pods[0]}`, `${cause}${count}`] : []).find((l) => l.length <= 80) ?? cut(cause, 80);
  return `${line}\n`;
}
