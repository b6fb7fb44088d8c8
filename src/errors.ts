// One error class for everything ctrdoc reports to a user: what failed, a kind from a fixed
// set (the gRPC-like codes users already know from crictl), and what to try next.

import type { ErrorKind } from './snapshot/types/probe.ts';

export type { ErrorKind };

export class CtrdocError extends Error {
  readonly kind: ErrorKind;
  readonly hint?: string;
  constructor(kind: ErrorKind, message: string, hint?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CtrdocError';
    this.kind = kind;
    this.hint = hint;
  }

  /** Wraps anything thrown into a CtrdocError, keeping a CtrdocError as it is. */
  static from(err: unknown, what?: string): CtrdocError {
    if (err instanceof CtrdocError) return err;
    const e = err as NodeJS.ErrnoException | undefined;
    const msg = e && typeof e.message === 'string' ? e.message : String(err);
    const prefix = what ? `${what}: ` : '';
    switch (e?.code) {
      case 'ENOENT':
        return new CtrdocError('not-found', prefix + msg, undefined, { cause: err });
      case 'EACCES':
      case 'EPERM':
        return new CtrdocError('permission-denied', prefix + msg, 'run as root (sudo)', { cause: err });
      case 'ECONNREFUSED':
        return new CtrdocError('unavailable', prefix + msg, 'is the daemon running?', { cause: err });
      case 'ETIMEDOUT':
        return new CtrdocError('deadline-exceeded', prefix + msg, undefined, { cause: err });
      default:
        return new CtrdocError('internal', prefix + msg, undefined, { cause: err });
    }
  }

  /** "what failed (kind)\n  hint" as printed on stderr. */
  describe(): string {
    return this.hint ? `${this.message}\n  hint: ${this.hint}` : this.message;
  }
}

/** Exit codes, decided in one place: 0 ok, 1 findings at/above threshold, 2 the tool failed. */
export const EXIT_OK = 0;
export const EXIT_FINDINGS = 1;
export const EXIT_FAILED = 2;
