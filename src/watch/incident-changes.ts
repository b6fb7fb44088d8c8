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

/**
 * The lines from the incidents open before (by id) to those a diagnosis found now, and what is
 * open after it. `prev` undefined: the first diagnosis, every incident is new.
 */
export function incidentChanges(prev: ReadonlyMap<string, OpenIncident> | undefined, found: readonly Incident[], at: number): { lines: WatchLine[]; open: Map<string, OpenIncident> } {
  const time = new Date(at).toISOString();
  const lines: WatchLine[] = [];
  const open = new Map<string, OpenIncident>();
  for (const i of found) {
    const before = prev?.get(i.id);
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
  return { lines, open };
}
