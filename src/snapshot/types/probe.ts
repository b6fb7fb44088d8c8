// How each probe ended. A probe that could not run is `skipped` with a reason and a probe
// that failed is `error`/`timeout` with a message: never shown as healthy.

export type ProbeStatus = 'ok' | 'error' | 'timeout' | 'skipped';

export interface ProbeResult<T> {
  probe: string;
  status: ProbeStatus;
  durationMs: number;
  /** what failed, or why it was skipped */
  message?: string;
  data?: T;
}
