// How each probe ended. A probe that could not run is `skipped` with a reason and a probe
// that failed is `error`/`timeout` with a message: never shown as healthy.

export type ProbeStatus = 'ok' | 'error' | 'timeout' | 'skipped';

/** What kind of failure, from a fixed set (gRPC-like codes users know from crictl). Rules judge
 * this, never an error message's text. */
export type ErrorKind =
  | 'unavailable'
  | 'deadline-exceeded'
  | 'unimplemented'
  | 'permission-denied'
  | 'not-found'
  | 'invalid-argument'
  | 'bad-input'
  | 'failed-precondition'
  | 'internal';

export interface ProbeResult<T> {
  probe: string;
  status: ProbeStatus;
  durationMs: number;
  /** what failed, or why it was skipped */
  message?: string;
  /** set when status is error or timeout (or skipped for failed-precondition) */
  errorKind?: ErrorKind;
  data?: T;
}
