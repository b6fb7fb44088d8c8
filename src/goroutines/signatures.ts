// Known goroutine signatures of the containerd stack, as data: which frames (innermost first,
// each a regular expression over the function name), in which header state, how many, and
// what it means. analyse.ts matches them against buckets; adding a case means adding a row.

import type { GoroutineSeverity } from '../snapshot/types/goroutines.ts';

export interface GoroutineSignature {
  id: string;
  severity: GoroutineSeverity;
  /** raise to critical when the longest wait reaches this many minutes */
  criticalAfterMinutes?: number;
  /**
   * below this many minutes of wait the calls are in flight, which is normal (a Start while a pod
   * starts): info. The dump is read on every run, on busy healthy nodes too. Known deadlocks have
   * no such floor: they are conclusive at any age.
   */
  inFlightUnderMinutes?: number;
  title: string;
  explanation: string;
  links: string[];
  /** regular expressions over function names, matched in order from the innermost frame out */
  frames: string[];
  /** regular expression over the header state (`semacquire`, `select`, …) */
  state?: string;
  /** fewest goroutines (over all matching buckets) for a finding */
  minCount?: number;
  /** count goroutines per first argument (the receiver) of this function: one shim's ttrpc client */
  groupByReceiverOf?: string;
  /** buckets matched by these signatures are left out */
  unless?: string[];
  /** buckets with a frame (or a creator) matching one of these are left out: normal waits that look alike */
  exceptFrames?: string[];
}

const LOCK_WAIT = '^(?:semacquire|sync\\.(?:RW)?Mutex\\.R?Lock|sync\\.RWMutex\\.RLock)$';
const WAITING = '^(?!running$|runnable$|syscall$)';

export const GOROUTINE_SIGNATURES: readonly GoroutineSignature[] = [
  {
    id: 'containerd-6772-victim',
    severity: 'critical',
    title: 'task creation blocked in the cgroup metrics collector (containerd#6772)',
    explanation:
      'tasks.(*local).Create registers every new task with the cgroups metrics collector; Collector.Add holds the ' +
      "collector's lock and waits for go-metrics' Namespace lock, which a /v1/metrics scrape (Namespace.Collect) holds " +
      'while it waits for the collector lock: a lock-order inversion. No task is ever started, every `runc init` stays ' +
      'parked on exec.fifo, pods stay ContainerCreating. Fixed in 1.6.3 (#6801); a hung shim during a scrape can still ' +
      'hold Namespace.Collect on later 1.6.x. Restarting containerd releases the locks (containers survive).',
    links: [
      'https://github.com/containerd/containerd/issues/6772',
      'https://github.com/containerd/containerd/pull/6788',
      'https://github.com/containerd/containerd/issues/11233',
    ],
    frames: [
      'go-metrics\\.\\(\\*Namespace\\)\\.WithConstLabels$',
      'metrics/cgroups/v[12]\\.\\(\\*Collector\\)\\.Add$',
      'services/tasks\\.\\(\\*local\\)\\.Create$',
    ],
    state: LOCK_WAIT,
  },
  {
    id: 'containerd-6772-culprit',
    severity: 'critical',
    title: 'metrics scrape holding the go-metrics Namespace lock while waiting for the collector (containerd#6772)',
    explanation:
      "A Prometheus scrape of containerd's [metrics] address runs Namespace.Collect, which holds the Namespace lock " +
      'for the whole collection and waits in Collector.Collect for the collector lock (or for per-task Stats calls to ' +
      'shims). Every task creation then waits behind it. Look for a shim that does not answer, and compare ' +
      '`containerd config dump` [metrics] with the default.',
    links: ['https://github.com/containerd/containerd/issues/6772', 'https://github.com/containerd/containerd/pull/6788'],
    frames: ['metrics/cgroups/v[12]\\.\\(\\*Collector\\)\\.Collect$', 'go-metrics\\.\\(\\*Namespace\\)\\.Collect$'],
    state: WAITING,
  },
  {
    id: 'task-start-waiting',
    severity: 'warning',
    criticalAfterMinutes: 1,
    inFlightUnderMinutes: 1,
    title: 'Tasks.Start waiting on the shim',
    explanation:
      "containerd's task Start is waiting for the shim to answer. The shim runs `runc start`, which blocks until the " +
      "container's `runc init` opens exec.fifo; a stopped, frozen or stuck `runc init` (or a hung shim) keeps Start " +
      '(and the kubelet call behind it) waiting. Check the runc state of the container, its `runc init` process ' +
      '(state, wchan, /proc/PID/stack) and the shim.',
    links: ['https://github.com/moby/moby/issues/36010', 'https://github.com/opencontainers/runc/issues/3448'],
    frames: ['services/tasks\\.\\(\\*local\\)\\.Start$'],
    state: WAITING,
  },
  {
    id: 'task-create-waiting',
    severity: 'warning',
    criticalAfterMinutes: 1,
    inFlightUnderMinutes: 1,
    title: 'Tasks.Create waiting',
    explanation:
      "containerd's task Create is waiting (on the shim's `runc create`, or on a lock). Until it returns, no Start " +
      'is sent and the container stays Created; kubelet retries with a new attempt after its runtime request timeout.',
    links: ['https://github.com/containerd/containerd/issues/6772', 'https://github.com/containerd/containerd/issues/11233'],
    frames: ['services/tasks\\.\\(\\*local\\)\\.Create$'],
    state: WAITING,
    unless: ['containerd-6772-victim'],
  },
  {
    id: 'ttrpc-calls-to-one-shim',
    severity: 'warning',
    criticalAfterMinutes: 5,
    inFlightUnderMinutes: 1,
    title: 'containerd goroutines waiting on ttrpc calls to a shim',
    explanation:
      'These goroutines wait for answers from shims over ttrpc; calls on the same ttrpc client are calls to one shim. ' +
      'Many calls, or calls waiting for minutes, on one client point at a hung shim: dump its goroutines ' +
      '(`ctrdoc goroutines --shim PID --signal`) and check its runc children.',
    links: ['https://github.com/containerd/containerd/issues/2438', 'https://github.com/moby/moby/issues/36010'],
    frames: ['^github\\.com/containerd/ttrpc\\.\\(\\*Client\\)\\.(?:dispatch|Call)$'],
    state: WAITING,
    groupByReceiverOf: 'github.com/containerd/ttrpc.(*Client).Call',
    // every running task has one Wait call parked on its shim until the task exits: that is normal
    exceptFrames: ['\\.\\(\\*task(?:Client)?\\)\\.Wait$', '\\.\\(\\*shimTask\\)\\.Wait$', 'tasks\\.\\(\\*local\\)\\.Wait$'],
  },
  {
    id: 'shim-reaper-notify-storm',
    severity: 'critical',
    title: "shim reaper storm: goroutines piled up in reaper Monitor.notify (containerd#9217)",
    explanation:
      "The shim's reaper delivers every child exit to its subscribers under a lock; when exits arrive faster than they " +
      'are consumed (exec probes, a crash-looping process), goroutines pile up in Monitor.notify and the shim grows ' +
      'to gigabytes of memory and burns CPU.',
    links: ['https://github.com/containerd/containerd/issues/9217'],
    frames: ['reaper\\.\\(\\*Monitor\\)\\.notify'],
    minCount: 50,
  },
];
