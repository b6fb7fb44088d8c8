// A Go goroutine dump as ctrdoc keeps it: buckets of similar stacks with per-bucket aggregates
// (never one object per goroutine, so a 500k-goroutine dump stays small), plus the analysis
// (wait ranking, lock waiters vs likely holders, piles, known signatures). Plain data: the
// doctor puts it in the Snapshot and its rules read it.

/** How goroutines are grouped, as panicparse: exact args, any pointer arg, or any arg value. */
export type GoroutineSimilarity = 'exact' | 'pointer' | 'value';

/** How the dump was found in the input. */
export type GoroutineDumpFormat =
  /** runtime.Stack / pprof debug=2 / SIGQUIT or panic output, as plain lines */
  | 'plain'
  /** inside a logfmt line: msg="=== BEGIN goroutine stack dump ===\n…" (containerd, shims) */
  | 'logfmt'
  /** inside a JSON log line: "msg":"=== BEGIN goroutine stack dump ===\n…" */
  | 'json'
  /** pprof's debug=1 profile: `N @ 0x…` records, each N goroutines with one stack; no ids, no
   * wait times, and states read from the frames ('unknown' where the hidden runtime frames held it) */
  | 'pprof';

export interface GoroutineFrame {
  /** fully qualified function, e.g. github.com/containerd/ttrpc.(*Client).Call */
  func: string;
  /** the argument text as printed, e.g. `0xc000123456, {0x1, 0x2}, 0x0?` ('' when none) */
  args: string;
  file: string;
  line: number;
}

export interface GoroutineCreatedBy {
  func: string;
  file: string;
  line: number;
}

export interface GoroutineBucket {
  /** 1-based, in the order of `buckets` (largest first) */
  id: number;
  count: number;
  /** the header state without wait time and flags: `semacquire`, `select`, `IO wait`, … */
  state: string;
  /** how many of the goroutines were `locked to thread` */
  lockedCount: number;
  /** minutes from the header (`[select, 5 minutes]`); 0 when not printed (under a minute) */
  waitMinMinutes: number;
  waitMaxMinutes: number;
  /** goroutines with a printed wait time */
  waitingCount: number;
  /** a few goroutine ids of this bucket (the first ones seen) */
  sampleIds: number[];
  /** innermost first, as printed; args are those of the first goroutine seen */
  frames: GoroutineFrame[];
  /** `...additional frames elided...` was printed */
  elided: boolean;
  /** `goroutine running on other thread; stack unavailable` */
  stackUnavailable: boolean;
  createdBy?: GoroutineCreatedBy;
  /** the first frame outside runtime/ and sync/: where the goroutine waits or works */
  topFunction: string;
}

export interface GoroutineCut {
  /** byte offset in the input where the dump stops */
  offset: number;
  /** 1-based line number (of the raw input) */
  line: number;
  /** what was incomplete, e.g. "goroutine 7: a function line without its file line" */
  reason: string;
}

/** Goroutines waiting for a lock at one call site, and who else is inside that type. */
export interface GoroutineLockContention {
  /** the function that called Lock/RLock, e.g. github.com/docker/go-metrics.(*Namespace).WithConstLabels */
  lockSite: string;
  /** the receiver type owning the lock, e.g. github.com/docker/go-metrics.(*Namespace) */
  lockOwner: string;
  /** sync.(*Mutex).Lock, sync.(*RWMutex).RLock, … */
  lockCall: string;
  waiters: number;
  waitMaxMinutes: number;
  waiterBuckets: number[];
  /** goroutines inside a method of lockOwner that are not waiting at this site */
  holders: { bucket: number; count: number; state: string; waitMaxMinutes: number; inFunction: string; waitingOn?: string }[];
}

/** Many goroutines waiting in one function for a long time. */
export interface GoroutinePile {
  function: string;
  count: number;
  waitMinMinutes: number;
  waitMaxMinutes: number;
  states: string[];
  buckets: number[];
}

export type GoroutineSeverity = 'critical' | 'warning' | 'info';

export interface GoroutineFinding {
  /** a signature id from the table (`containerd-6772-victim`), or `lock-contention`, `pile`, `lock-cycle` */
  id: string;
  severity: GoroutineSeverity;
  title: string;
  explanation: string;
  links: string[];
  count: number;
  waitMaxMinutes: number;
  buckets: number[];
  /** short lines a person can check in seconds */
  evidence: string[];
}

export interface GoroutineDumpOrigin {
  /** logfmt/JSON fields of the log line that carried the dump (shims: pid, path, namespace, runtime) */
  pid?: number;
  path?: string;
  namespace?: string;
  runtime?: string;
  time?: string;
  level?: string;
}

export interface GoroutineDump {
  /** 0-based, in input order */
  index: number;
  /** where the dump came from, when more than one input was read (a bundle's goroutines/containerd.txt) */
  source?: string;
  format: GoroutineDumpFormat;
  origin: GoroutineDumpOrigin;
  /** byte range of the input holding the dump (whole log lines for logfmt/json) */
  startOffset: number;
  endOffset: number;
  goroutines: number;
  /** goroutines per header state */
  states: Record<string, number>;
  similarity: GoroutineSimilarity;
  /** largest first (ties: longest wait first) */
  buckets: GoroutineBucket[];
  /** bucket ids with a printed wait, longest wait first */
  waitRanking: number[];
  lockContention: GoroutineLockContention[];
  piles: GoroutinePile[];
  /** most important first */
  findings: GoroutineFinding[];
  /** set when the input stopped in the middle of this dump */
  cut?: GoroutineCut;
}

export interface GoroutineAnalysis {
  similarity: GoroutineSimilarity;
  inputBytes: number;
  /** bytes that were not part of any dump (log lines around it, panic messages) */
  passthroughBytes: number;
  dumps: GoroutineDump[];
  /** problems with the input that are not a cut dump (e.g. an over-long line skipped) */
  warnings: string[];
  /** true when the input ran newest first (journalctl -r) and was read from its end; offsets and
   * line numbers of dumps and cuts are those of the input as given */
  newestFirst?: boolean;
}
