// When the watch runs the doctor's whole diagnosis. It is the doctor's collection (about ten
// calls to containerd, each under its deadline, a /proc scan, the logs, the config), so it must
// not run on every tick: it runs at start, every `everyMs` (what no poll sees changes too: log
// episodes, ages crossing thresholds), and soon after a change the polls saw (settled for a
// moment, at least `minGapMs` after the last one ended). While containerd does not answer,
// every call of a diagnosis waits out its deadline and queues behind the hang: it then runs
// `slowFactor` times less often and at most every `slowMinGapMs`, and never two at once.
// Pure: the state in, whether one is due out.

export interface DiagnosisPolicy {
  everyMs: number;
  minGapMs: number;
  /** a change waits this long for the ones that come with it */
  settleMs: number;
  slowFactor: number;
  slowMinGapMs: number;
}

export const DEFAULT_DIAGNOSIS_POLICY: DiagnosisPolicy = { everyMs: 60_000, minGapMs: 10_000, settleMs: 1000, slowFactor: 4, slowMinGapMs: 30_000 };

export interface DiagnosisState {
  running: boolean;
  /** ms; undefined before the first */
  lastStartedAt?: number;
  lastEndedAt?: number;
  /** when the oldest change not yet diagnosed was seen */
  changedAt?: number;
  /** containerd answers its API (false: it does not; undefined: not known yet) */
  answering?: boolean;
}

export function diagnosisDue(s: DiagnosisState, now: number, p: DiagnosisPolicy): boolean {
  if (s.running) return false;
  if (s.lastStartedAt === undefined) return true;
  const slow = s.answering === false;
  const every = slow ? p.everyMs * p.slowFactor : p.everyMs;
  const minGap = slow ? p.slowMinGapMs : p.minGapMs;
  const sinceEnd = now - (s.lastEndedAt ?? s.lastStartedAt);
  if (p.everyMs > 0 && now - s.lastStartedAt >= every && sinceEnd >= minGap) return true;
  return s.changedAt !== undefined && now - s.changedAt >= p.settleMs && sinceEnd >= minGap;
}
