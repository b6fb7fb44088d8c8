// An incident in a few short lines, the same in every output: the text report's DIAGNOSIS, the
// HTML report's, the NPD line and the Prometheus labels all say the cause this way.
import type { Incident } from '../incidents/index.ts';
import type { DoctorReport } from './doctor-report.ts';

/** A GitHub issue or PR link as people say it: containerd#6772, runc#3448, kubernetes#94829. */
export function shortRef(url: string): string {
  const m = /^https:\/\/github\.com\/[^/]+\/([^/]+)\/(?:issues|pull)\/(\d+)/.exec(url);
  return m ? `${m[1]}#${m[2]}` : url;
}

/** "3 pods: a, b, c" / "5 pods: a, b, c, +2 more"; '' when no pod is named. */
export function podsText(pods: string[], max = 3): string {
  if (!pods.length) return '';
  const shown = pods.slice(0, max).join(', ');
  return `${pods.length} pod${pods.length === 1 ? '' : 's'}: ${shown}${pods.length > max ? `, +${pods.length - max} more` : ''}`;
}

export function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

const CERTAINTY: Record<Incident['certainty'], string> = { proven: 'proof', likely: 'signs', observed: 'seen' };

/**
 * The diagnosis of one incident in at most three lines (without the number and severity the
 * caller puts in front of the first): the cause; the pods, the proof and how much it explains;
 * the next step, the fix and the links.
 */
export function incidentLines(i: Incident): [string, string, string] {
  const explained = i.findings.consequences.length;
  const proof = i.proof[0] ?? '';
  const more = i.proof.length > 1 ? ` (+${i.proof.length - 1})` : '';
  const second = [
    podsText(i.pods),
    `${CERTAINTY[i.certainty]} [${i.layer}]: ${cut(proof, 140)}${more}`,
    explained ? `explains ${explained} finding${explained === 1 ? '' : 's'}` : '',
  ].filter(Boolean).join(' · ');
  const refs = i.references.map(shortRef).filter((r) => !i.title.includes(r) && !(i.fix ?? '').includes(r));
  const third = [
    i.nextStep ? `next: ${i.nextStep}` : '',
    i.fix ? `fix: ${i.fix}` : '',
    refs.length ? `see ${refs.slice(0, 3).join(', ')}` : '',
  ].filter(Boolean).join(' · ');
  return [i.title, second, third];
}

/** Incidents that need attention (warning or worse), or all of them when none does. */
export function attentionIncidents(r: DoctorReport): Incident[] {
  const urgent = r.incidents.filter((i) => i.severity !== 'info');
  return urgent.length ? urgent : r.incidents;
}
