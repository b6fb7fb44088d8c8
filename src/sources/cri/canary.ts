// The canary: proves that this node can start a container, the one thing every in-memory health
// check (crictl pods, crictl info, PLEG, node-problem-detector) cannot see. It CHANGES the node
// for a moment: a scratch host-network pod with one container from the sandbox image, started,
// then stopped and removed. Opt-in (`doctor --canary`); every step under the deadline.
import { randomUUID } from 'node:crypto';
import { openCri } from './client.ts';
import { readCriStatusShape, runningSandboxImage } from '../containerd/layout.ts';
import type { CanaryResult, StackLocation } from '../../snapshot/types/index.ts';

export const CANARY_NAMESPACE = 'ctrdoc-canary';

export async function runCanary(stack: StackLocation, deadlineMs: number): Promise<CanaryResult> {
  const end = Date.now() + deadlineMs;
  const left = () => Math.max(1, end - Date.now());
  const cri = openCri(stack.runtimeEndpoint, { timeoutMs: stack.timeoutMs });
  const steps: CanaryResult['steps'] = [];
  const step = async <T>(name: string, fn: (ms: number) => Promise<T>): Promise<T> => {
    const t = Date.now();
    try {
      const r = await fn(left());
      steps.push({ step: name, ms: Date.now() - t, ok: true });
      return r;
    } catch (err) {
      steps.push({ step: name, ms: Date.now() - t, ok: false, error: (err as Error).message });
      throw err;
    }
  };
  const uid = randomUUID();
  const sandboxConfig = {
    metadata: { name: `canary-${uid.slice(0, 8)}`, uid, namespace: CANARY_NAMESPACE, attempt: 0 },
    hostname: '',
    labels: { 'app.kubernetes.io/managed-by': 'ctrdoc' },
    linux: { securityContext: { namespaceOptions: { network: 'NODE', pid: 'POD', ipc: 'POD' } } },
  };
  let podId: string | undefined;
  let containerId: string | undefined;
  let failed: { step: string; error: string } | undefined;
  try {
    // A canary whose run was cut short by a hung runtime may have left its pod once the runtime
    // came back: remove those first, so canaries never pile up.
    await step('remove-stale', async (ms) => {
      const stale = await cri.listPodSandbox({ labelSelector: { 'app.kubernetes.io/managed-by': 'ctrdoc' } });
      for (const p of stale.filter((x) => x.metadata.namespace === CANARY_NAMESPACE)) {
        await cri.stopPodSandbox(p.id, ms).catch(() => undefined);
        await cri.removePodSandbox(p.id, ms);
      }
    });
    // an image the node has for sure: the sandbox image the running containerd names (1.x), or
    // one CRI pins (2.x shows its own nowhere; each pinned image was the sandbox image once)
    const image = await step('image', async (ms) => {
      const shape = readCriStatusShape((await cri.status(true)).info);
      const sb = runningSandboxImage(shape) ?? runningSandboxImage(shape, await cri.listImages());
      if (!sb) throw new Error('CRI Status has no config: not containerd\'s CRI plugin, or it does not answer verbose');
      const want = sb.image ?? sb.pinned?.[0];
      if (!want) throw new Error('CRI pins no image: the sandbox image is not on the node (the canary never pulls)');
      const have = await cri.conn.unary<{ image: { id: string } | null }>('runtime.v1.ImageService', 'ImageStatus', { image: { image: want } }, ms);
      if (!have.image?.id) throw new Error(`the sandbox image ${want} is not on the node (the canary never pulls)`);
      return want;
    });
    podId = await step('run-sandbox', (ms) => cri.runPodSandbox(sandboxConfig, '', ms));
    containerId = await step('create', (ms) => cri.createContainer(podId!, {
      metadata: { name: 'canary', attempt: 0 },
      image: { image },
      labels: { 'app.kubernetes.io/managed-by': 'ctrdoc' },
    }, sandboxConfig, ms));
    await step('start', (ms) => cri.startContainer(containerId!, ms));
    await step('verify-running', async () => {
      const st = await cri.containerStatus(containerId!, false);
      if (st.status.state !== 'CONTAINER_RUNNING') throw new Error(`container is ${st.status.state} after start`);
    });
  } catch (err) {
    const last = steps[steps.length - 1];
    failed = { step: last?.step ?? 'connect', error: (err as Error).message };
  }
  // Clean up whatever was made, each with a short deadline of its own.
  let cleanedUp = true;
  const cleanup = async (name: string, fn: () => Promise<void>) => {
    try {
      await fn();
      steps.push({ step: name, ms: 0, ok: true });
    } catch (err) {
      cleanedUp = false;
      steps.push({ step: name, ms: 0, ok: false, error: (err as Error).message });
    }
  };
  const cleanupMs = Math.max(1000, Math.min(3000, left()));
  if (containerId) await cleanup('remove-container', () => cri.removeContainer(containerId!, cleanupMs));
  if (podId) {
    await cleanup('stop-sandbox', () => cri.stopPodSandbox(podId!, cleanupMs));
    await cleanup('remove-sandbox', () => cri.removePodSandbox(podId!, cleanupMs));
  }
  cri.close();
  return { ok: !failed, failedStep: failed?.step, error: failed?.error, steps, cleanedUp };
}
