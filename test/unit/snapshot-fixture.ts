// A small hand-built Snapshot for rule tests: every probe ok and empty, so a test sets only the
// part its rule reads. Rules are pure functions of the Snapshot, so this is all they need.
import type { ProbeResult, Snapshot } from '../../src/snapshot/types/index.ts';

export function ok<T>(probe: string, data: T): ProbeResult<T> {
  return { probe, status: 'ok', durationMs: 1, data };
}

export function failed<T>(probe: string, status: 'error' | 'timeout' | 'skipped', message: string): ProbeResult<T> {
  return { probe, status, durationMs: 2000, message };
}

export function emptySnapshot(): Snapshot {
  return {
    apiVersion: 'ctrdoc/v1alpha1',
    kind: 'Snapshot',
    collectedAt: '2026-11-26T12:00:00.000Z',
    ctrdocVersion: 'test',
    host: { hostname: 'node-1', kernel: '6.1.0', cpus: 2 },
    stack: {
      runtimeEndpoint: 'unix:///run/containerd/containerd.sock',
      address: '/run/containerd/containerd.sock',
      namespace: 'k8s.io',
      runcRoot: '/run/containerd/runc/k8s.io',
      stateDir: '/run/containerd',
      rootDir: '/var/lib/containerd',
      timeoutMs: 2000,
      sources: {},
      notes: [],
    },
    thresholds: { stuckAfterSec: 60 },
    deadlineMs: 10_000,
    durationMs: 100,
    cri: {
      version: ok('cri.version', { version: '0.1.0', runtimeName: 'containerd', runtimeVersion: 'v1.7.13', runtimeApiVersion: 'v1' }),
      status: ok('cri.status', {
        conditions: [
          { type: 'RuntimeReady', status: true, reason: '', message: '' },
          { type: 'NetworkReady', status: true, reason: '', message: '' },
        ],
        // the running CRI plugin's config (verbose Status), in step with the file below
        info: { config: { sandboxImage: 'registry.k8s.io/pause:3.9', containerd: { snapshotter: 'overlayfs', defaultRuntimeName: 'runc', runtimes: { runc: { options: { SystemdCgroup: true } } } } } },
      }),
      pods: ok('cri.pods', []),
      containers: ok('cri.containers', []),
      containerDetails: ok('cri.containerDetails', []),
      sandboxDetails: ok('cri.sandboxDetails', []),
      images: ok('cri.images', ['registry.k8s.io/pause:3.9']),
    },
    containerd: {
      process: ok('containerd.process', { pid: 100, state: 'S', uptimeSec: 3600, argv: ['/usr/bin/containerd'], threads: 20, rssKb: 50_000, fds: 100, fdLimit: 1_048_576 }),
      version: ok('containerd.version', { version: 'v1.7.13', revision: 'abc' }),
      tasks: ok('containerd.tasks', []),
      containers: ok('containerd.containers', []),
      plugins: ok('containerd.plugins', []),
      config: ok('containerd.config', {
        path: '/etc/containerd/config.toml',
        dumpOk: true,
        version: 2,
        diff: [],
        facts: { systemdCgroup: true, sandboxImage: 'registry.k8s.io/pause:3.9', metricsAddress: '', debugAddress: '', debugLevel: '', disabledPlugins: [] },
      }),
      log: ok('containerd.log', { source: 'file:/var/log/containerd.log', linesRead: 0, bytesRead: 0, from: '', to: '', tail: [], episodes: [], truncated: false }),
    },
    proc: failed('proc', 'skipped', 'not in this fixture'),
    runc: failed('runc', 'skipped', 'not in this fixture'),
    bundles: failed('bundles', 'skipped', 'not in this fixture'),
    tree: failed('tree', 'skipped', 'not in this fixture'),
    kubelet: failed('kubelet', 'skipped', 'no kubelet process on this node'),
    kubeletLog: failed('kubelet.log', 'skipped', 'no kubelet log'),
    node: failed('node', 'skipped', 'not in this fixture'),
  };
}
