// The shims: one without a pause process, one that does not answer ttrpc, a Ready pod with no
// live shim, and a shim far above its peers in CPU, RSS, threads or fds.
import { shortId } from '../../ids.ts';
import type { ShimView, TreeFact } from '../../snapshot/types/tree.ts';
import { evidence, liveShims, newerThanScan, podName, sub, type FactDetector } from './common.ts';

export const shimWithoutPause: FactDetector = {
  kind: 'shim-without-pause',
  detect(ctx) {
    const criPodIds = new Set((ctx.inp.cri?.pods ?? []).map((p) => p.id));
    const byPid = new Map(ctx.view.processes.map((t) => [t.pid, t]));
    return liveShims(ctx)
      .filter((s) => (s.namespace === 'k8s.io' || (s.id !== undefined && criPodIds.has(s.id))) && !s.hasPause && s.ageSec >= 5)
      // a shim with a runc child is in the middle of an operation (creating or deleting its
      // pause): no pause for that moment is normal; a runc that hangs is judged on its own
      .filter((s) => !s.children.some((c) => byPid.get(c)?.role === 'runc'))
      .map((s) => ({
        kind: 'shim-without-pause',
        message: `shim ${s.pid} for ${podName(s.pod)} has no pause process among its ${s.children.length} children`,
        subject: sub({ pod: s.pod, shimPid: s.pid }),
        evidence: evidence({
          shimId: s.id, children: s.children.map((c) => `${c}:${byPid.get(c)?.role ?? '?'}`).join(',') || 'none',
          podKnownToCri: s.id ? criPodIds.has(s.id) : false, ageSec: Math.round(s.ageSec),
        }),
      }));
  },
};

export const shimUnresponsive: FactDetector = {
  kind: 'shim-unresponsive',
  detect: (ctx) => liveShims(ctx).filter((s) => s.probe && !s.probe.ok).map((s) => ({
    kind: 'shim-unresponsive',
    message: `shim ${s.pid} for ${podName(s.pod)} did not answer ttrpc Connect on ${s.probe!.socketPath}: ${s.probe!.error ?? 'no answer'}`,
    subject: sub({ pod: s.pod, shimPid: s.pid, path: s.probe!.socketPath }),
    evidence: evidence({ socket: s.probe!.socketPath, error: s.probe!.error ?? null, latencyMs: s.probe!.latencyMs, state: s.state }),
  })),
};

export const podWithoutShim: FactDetector = {
  kind: 'pod-without-shim',
  detect(ctx) {
    const facts: TreeFact[] = [];
    for (const pod of ctx.inp.cri?.pods ?? []) {
      if (pod.state !== 'SANDBOX_READY' || newerThanScan(ctx, pod.id)) continue;
      if (ctx.view.shims.some((s) => s.id === pod.id && s.state !== 'Z')) continue;
      const bundle = ctx.inp.bundles?.bundles.find((b) => b.id === pod.id);
      facts.push({
        kind: 'pod-without-shim',
        message: `pod ${pod.metadata?.namespace}/${pod.metadata?.name} is SANDBOX_READY in CRI but no live shim has -id ${shortId(pod.id)}`,
        subject: { pod: ctx.ids.podOfSandbox.get(pod.id) ?? { sandboxId: pod.id } },
        evidence: evidence({ sandboxId: pod.id, criState: pod.state, bundleDir: bundle?.dir, shimPidFile: bundle?.shimPid, socket: bundle?.socketPath }),
      });
    }
    return facts;
  },
};

/** The median of a sorted list with one occurrence of v taken out. */
export function medianWithout(sorted: readonly number[], v: number): number {
  const skip = sorted.indexOf(v);
  const n = sorted.length - 1;
  const at = (k: number): number => sorted[k < skip ? k : k + 1];
  return n % 2 ? at(n >> 1) : (at(n / 2 - 1) + at(n / 2)) / 2;
}

/** A lifetime CPU average says little about a process younger than this: it is its start-up. */
const YOUNG_SHIM_SEC = 60;
/** clock ticks are 10 ms: a recent %CPU needs this many of them in the window to count as work */
const MIN_TICKS = 3;

/** A shim far above its peers' median in CPU, RSS, threads or fds (needs 3+ shims). */
export const shimOutlier: FactDetector = {
  kind: 'shim-outlier',
  detect(ctx) {
    const shims = liveShims(ctx);
    if (shims.length < 3) return [];
    const useRecent = shims.every((s) => s.cpuPercentRecent !== undefined);
    // a short sample counts whole 10 ms ticks: one or two of a shim reaping a child are noise,
    // three in the window are work (10% of a 300 ms window; more of a shorter one)
    const window = ctx.view.thresholds.cpuWindowMs ?? 300;
    const cpuFloor = useRecent ? Math.max(10, (MIN_TICKS * 10 * 100) / Math.max(window, 1)) : 10;
    const metrics: { name: string; value: (s: ShimView) => number | undefined; factor: number; floor: number; unit: string }[] = [
      { name: useRecent ? 'cpuPercentRecent' : 'cpuPercent', value: (s) => (useRecent ? s.cpuPercentRecent : s.ageSec >= YOUNG_SHIM_SEC ? s.cpuPercent : undefined), factor: 3, floor: cpuFloor, unit: '%' },
      { name: 'rssKb', value: (s) => s.rssKb, factor: 2, floor: 20 * 1024, unit: ' kB' },
      { name: 'threads', value: (s) => s.threads, factor: 2, floor: 10, unit: '' },
      { name: 'fds', value: (s) => s.fds, factor: 2, floor: 50, unit: '' },
    ];
    const facts: TreeFact[] = [];
    for (const m of metrics) {
      // every shim's peers are the others: the median without its own value, from one sorted list
      const sorted = shims.map(m.value).filter((x): x is number => x !== undefined).sort((a, b) => a - b);
      for (const s of shims) {
        const v = m.value(s);
        if (v === undefined) continue;
        const peers = sorted.length - 1;
        if (peers < 2) continue;
        const med = medianWithout(sorted, v);
        if (v >= m.floor && v >= m.factor * med + m.floor / 2) {
          facts.push({
            kind: 'shim-outlier',
            message: `shim ${s.pid} for ${podName(s.pod)} uses ${v}${m.unit} ${m.name}, its ${peers} peers' median is ${Math.round(med * 10) / 10}${m.unit}`,
            subject: sub({ pod: s.pod, shimPid: s.pid }),
            evidence: { metric: m.name, value: v, peerMedian: med, peers },
          });
        }
      }
    }
    return facts;
  },
};
