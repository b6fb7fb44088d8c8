// What every probe of one run shares: the resolved stack, the options the command chose, the
// run's deadline, and the CRI and containerd clients (opened on first use, closed at the end).
import type { LogWindow, ProbeResult, StackLocation } from '../snapshot/types/index.ts';
import type { ProcTable } from '../snapshot/types/proc.ts';
import type { CriClient } from '../sources/cri/client.ts';
import type { Image } from '../snapshot/types/index.ts';
import type { ContainerdClient } from '../sources/containerd/client.ts';
import type { ProbeTiming } from './probe.ts';

export const DEFAULT_STUCK_AFTER_SEC = 60;
export const DEFAULT_DEADLINE_MS = 10_000;
const RPC_GRACE_MS = 500;

export interface CollectOptions {
  /** where the stack lives (src/collect/stack.ts resolved it) */
  stack: StackLocation;
  /** the whole run's deadline (default 10 s) */
  deadlineMs?: number;
  /** ask CRI and containerd (default true; `tree --no-api` reads /proc and files only) */
  apis?: boolean;
  /** opt-in: create and start a tiny container through CRI to prove the node can */
  canary?: boolean;
  /** containerd goroutines: 'auto' (the debug socket, on every run), 'off', or 'signal' (also SIGUSR1 when something looks hung) */
  goroutines?: 'auto' | 'off' | 'signal';
  /** a container Created, or a runc init parked, this long counts as stuck (default 60 s) */
  stuckAfterSec?: number;
  /** a /proc scan already taken (the stack's resolution read it too) */
  procTable?: ProcTable;
  /** whose argv the scan reads: 'all' (default) or 'stack' (what the tree shows) */
  cmdlines?: 'all' | 'stack';
  /** ttrpc Connect to the shims: 'all' (ctrdoc shims), true (those containerd's task list does not vouch for), false */
  probeShims?: boolean | 'all';
  /** a second look at the shims' CPU this long after the scan, for %CPU now (default 300 ms; 0: lifetime only) */
  cpuSampleMs?: number;
  /** every process in the tree, not only the stack's (tree --all) */
  allProcesses?: boolean;
  /** paths for the kubelet source (tests and the lab's stand-in point at their own files) */
  kubeletFiles?: Record<string, string>;
  /** the kubelet process to read, when several run (--kubelet-pid) */
  kubeletPid?: number;
  /** the log window from --since; without it the log probes take containerd's start, or the
   * last 6 h when that is longer ago (sources/logs/window.ts) */
  logWindow?: LogWindow;
  onProgress?: (t: ProbeTiming) => void;
  /** a result kept from an earlier run, used instead of running the probe (a watch keeps what cannot have changed) */
  reuse?: (probe: string) => ProbeResult<unknown> | undefined;
}

export class CollectContext {
  readonly opts: CollectOptions;
  readonly stack: StackLocation;
  readonly startedAt = Date.now();
  readonly deadlineMs: number;
  /** each call to the runtime gets this long (--probe-timeout) */
  readonly perCallMs: number;
  private criClient?: CriClient;
  private images?: Promise<Image[]>;
  private ctdClient?: ContainerdClient;
  private clients?: Promise<{ openCri: typeof import('../sources/cri/client.ts').openCri; openContainerd: typeof import('../sources/containerd/client.ts').openContainerd }>;

  constructor(opts: CollectOptions) {
    this.opts = opts;
    this.stack = opts.stack;
    this.deadlineMs = opts.deadlineMs ?? DEFAULT_DEADLINE_MS;
    this.perCallMs = opts.stack.timeoutMs;
  }

  get stuckAfterSec(): number {
    return this.opts.stuckAfterSec ?? DEFAULT_STUCK_AFTER_SEC;
  }

  get apis(): boolean {
    return this.opts.apis !== false;
  }

  /** ms left of the whole run */
  left(): number {
    return this.startedAt + this.deadlineMs - Date.now();
  }

  /** a probe's budget: its own, cut to what is left of the run (less a margin to report in) */
  budget(ms: number = this.perCallMs): number {
    return Math.min(ms, this.left() - 50);
  }

  /** gRPC is loaded once, by the first probe that needs it */
  private loadClients() {
    return (this.clients ??= Promise.all([import('../sources/cri/client.ts'), import('../sources/containerd/client.ts')])
      .then(([a, b]) => ({ openCri: a.openCri, openContainerd: b.openContainerd })));
  }

  // The clients' own gRPC deadline is a little past the probe's: the probe's deadline decides,
  // and it reads an answer already in the socket (behind our own synchronous work) before it
  // declares a timeout (src/deadline.ts); gRPC's own timer would drop that answer.
  async cri(): Promise<CriClient> {
    const { openCri } = await this.loadClients();
    return (this.criClient ??= openCri(this.stack.runtimeEndpoint, { timeoutMs: this.perCallMs + RPC_GRACE_MS }));
  }

  /** CRI ListImages, asked once per run (the image list and the pinned sandbox image both read it) */
  listImages(): Promise<Image[]> {
    return (this.images ??= this.cri().then((c) => c.listImages()));
  }

  async containerd(): Promise<ContainerdClient> {
    const { openContainerd } = await this.loadClients();
    return (this.ctdClient ??= openContainerd(this.stack.address, { namespace: this.stack.namespace, timeoutMs: this.perCallMs + RPC_GRACE_MS }));
  }

  close(): void {
    this.criClient?.close();
    this.ctdClient?.close();
  }
}
