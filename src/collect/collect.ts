// collect(): the doctor's Snapshot (doctor, bundle, report, serve). Every probe of the registry
// in parallel, each under its own deadline inside the run's: whatever does not answer is
// recorded as a timeout and the Snapshot still comes out on time.
import { hostname, release, cpus } from 'node:os';
import type { Snapshot } from '../snapshot/types/index.ts';
import { CTRDOC_VERSION } from '../version.ts';
import type { CollectOptions } from './context.ts';
import { collectProbes } from './run.ts';
import type { ProbeName } from './registry.ts';
import { treeAfterSecondLook } from './second-look.ts';

export { DEFAULT_STUCK_AFTER_SEC } from './context.ts';
export type { CollectOptions } from './context.ts';

/** What the doctor reads: every layer. */
export const DOCTOR_PROBES: readonly ProbeName[] = [
  'cri.version', 'cri.status', 'cri.pods', 'cri.containers', 'cri.images', 'cri.sandboxImage', 'cri.secondAsk', 'cri.containerDetails', 'cri.sandboxDetails',
  'containerd.process', 'containerd.version', 'containerd.tasks', 'containerd.containers', 'containerd.plugins', 'containerd.config',
  'containerd.log', 'containerd.goroutines', 'proc', 'runc', 'bundles', 'tree', 'tree.secondLook', 'kubelet', 'kubelet.log', 'node',
];

/** A short second look at the shims' CPU, so a busy shim shows as busy now, not on its lifetime average. */
export const DOCTOR_CPU_SAMPLE_MS = 150;

export async function collect(opts: CollectOptions): Promise<Snapshot> {
  const t0 = Date.now();
  const o: CollectOptions = { cpuSampleMs: DOCTOR_CPU_SAMPLE_MS, probeShims: true, ...opts };
  const got = await collectProbes(opts.canary ? [...DOCTOR_PROBES, 'canary'] : DOCTOR_PROBES, o);
  const snapshot: Snapshot = {
    apiVersion: 'ctrdoc/v1alpha1',
    kind: 'Snapshot',
    collectedAt: new Date(t0).toISOString(),
    ctrdocVersion: CTRDOC_VERSION,
    host: { hostname: hostname(), kernel: release(), cpus: cpus().length },
    stack: got.data('stack') ?? opts.stack,
    thresholds: { stuckAfterSec: o.stuckAfterSec ?? 60 },
    deadlineMs: o.deadlineMs ?? 10_000,
    durationMs: 0,
    cri: {
      version: got.must('cri.version'),
      status: got.must('cri.status'),
      pods: got.must('cri.pods'),
      containers: got.must('cri.containers'),
      containerDetails: got.must('cri.containerDetails'),
      sandboxDetails: got.must('cri.sandboxDetails'),
      images: got.must('cri.images'),
      sandboxImage: got.must('cri.sandboxImage'),
      secondAsk: got.must('cri.secondAsk'),
    },
    containerd: {
      process: got.must('containerd.process'),
      version: got.must('containerd.version'),
      tasks: got.must('containerd.tasks'),
      containers: got.must('containerd.containers'),
      plugins: got.must('containerd.plugins'),
      config: got.must('containerd.config'),
      log: got.must('containerd.log'),
    },
    proc: got.must('proc'),
    runc: got.must('runc'),
    bundles: got.must('bundles'),
    // facts about things that came or went between two reads are judged on a second look
    tree: treeAfterSecondLook(got.must('tree'), got.result('tree.secondLook')),
    kubelet: got.must('kubelet'),
    kubeletLog: got.must('kubelet.log'),
    node: got.must('node'),
  };
  // the dump, or why there is none (no debug socket, --no-goroutines, containerd stopped)
  snapshot.containerd.goroutines = got.must('containerd.goroutines');
  if (opts.canary) snapshot.canary = got.must('canary');
  snapshot.durationMs = Date.now() - t0;
  return snapshot;
}
