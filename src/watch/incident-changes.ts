// Incidents opening, changing severity and closing between two diagnoses, as lines. An incident
// is known by its id, stable across runs (src/incidents), and said by its one-line cause (short).
// Pure.
import type { Incident } from '../incidents/index.ts';
import type { WatchIncidentRef, WatchLine } from '../snapshot/types/watch.ts';
import { podsText } from '../report/incident-lines.ts';
import { formatAge } from './age.ts';

/** What the watch keeps of an open incident. */
export interface OpenIncident {
  id: string;
  cause: string;
  short: string;
  severity: Incident['severity'];
  layer: Incident['layer'];
  certainty: Incident['certainty'];
  pods: string[];
  /** ms: when the watch first saw it open */
  since: number;
}

export function openIncidentOf(i: Incident, since: number): OpenIncident {
  return { id: i.id, cause: i.cause, short: i.short, severity: i.severity, layer: i.layer, certainty: i.certainty, pods: [...i.pods], since };
}

function ref(i: OpenIncident): WatchIncidentRef {
  return { id: i.id, cause: i.cause, severity: i.severity, layer: i.layer, certainty: i.certainty, pods: i.pods };
}

const withPods = (i: OpenIncident) => (i.pods.length ? ` (${podsText(i.pods)})` : '');

/** What a diagnosis found, by id: each incident's severity and pods. */
export type Found = ReadonlyMap<string, Pick<Incident, 'severity' | 'pods'>>;

/** The same as the diagnosis before found it: its severity, and a pod in common (or none on both). */
function foundBefore(i: Incident, last: Found | undefined): boolean {
  const b = last?.get(i.id);
  if (!b || b.severity !== i.severity) return false;
  return (!b.pods.length && !i.pods.length) || i.pods.some((p) => b.pods.includes(p));
}

/**
 * The lines from the incidents open before (by id) to those a diagnosis found now, and what is
 * open after it. `prev` undefined: the first diagnosis, every incident is what is so at start and
 * opens at once. After it an incident opens, or changes severity, only when two diagnoses in a row
 * find it so, with a pod in common (`last`: what the one before found): a diagnosis is a snapshot
 * of a stack that moves, and one taken while a pod is removed can catch a task whose runc state
 * is half gone or a shim that exits after its delete; the next one, moments later, does not (or
 * catches another pod the same way). `pending` says that a
 * diagnosis found something not yet confirmed (the watch runs the next one soon). Closing needs
 * one diagnosis: what is not found is not open.
 */
export function incidentChanges(prev: ReadonlyMap<string, OpenIncident> | undefined, found: readonly Incident[], at: number, last?: Found): { lines: WatchLine[]; open: Map<string, OpenIncident>; found: Found; pending: number } {
  const time = new Date(at).toISOString();
  const lines: WatchLine[] = [];
  const open = new Map<string, OpenIncident>();
  const confirmed = (i: Incident) => !prev || foundBefore(i, last);
  let pending = 0;
  for (const i of found) {
    const before = prev?.get(i.id);
    if ((!before || before.severity !== i.severity) && !confirmed(i)) {
      pending++;
      if (before) open.set(i.id, before);
      continue;
    }
    const now = openIncidentOf(i, before?.since ?? at);
    open.set(i.id, now);
    if (!before) {
      lines.push({ time, kind: 'incident-open', source: 'doctor', severity: i.severity, incident: ref(now), message: `${i.severity.toUpperCase()} ${i.short}${withPods(now)}` });
    } else if (before.severity !== i.severity) {
      lines.push({
        time, kind: 'incident-update', source: 'doctor', severity: i.severity, incident: ref(now),
        message: `${before.severity} -> ${i.severity}: ${i.short}${withPods(now)}`,
      });
    }
  }
  for (const [id, before] of prev ?? []) {
    if (open.has(id)) continue;
    lines.push({
      time, kind: 'incident-close', source: 'doctor', severity: 'info', incident: ref(before),
      message: `closed after ${formatAge((at - before.since) / 1000)}: ${before.short}${withPods(before)}`,
    });
  }
  return { lines, open, found: new Map(found.map((i) => [i.id, { severity: i.severity, pods: [...i.pods] }])), pending };
}
