// Pods started the way kubelet starts them: RunPodSandbox, then CreateContainer and
// StartContainer for the app container, with kubelet's labels and annotations, a pod log
// directory /<dir>/pods/<ns>_<name>_<uid>/ and container logs <name>/<attempt>.log.
// Host-network pods (no CNI here) must have hostname "".
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { CriClient } from '../sources/cri/client.ts';
import type { LabPaths } from './paths.ts';
import { APP_IMAGE } from './images.ts';

export const LAB_POD_LABEL = 'ctrdoc.dev/lab-pod';
export const LAB_NAMESPACE = 'ctrdoc-lab';
const TEMPLATE_HASH = '6d9f7c5b8';
const RAND = 'bcdfghjklmnpqrstvwxz2456789';

export interface LabPodOptions {
  /** app label and name prefix, default "web" */
  app?: string;
  name?: string;
  namespace?: string;
  /** app container: command/args override the image's */
  containerName?: string;
  image?: string;
  command?: string[];
  args?: string[];
  /** container resources (protobuf JSON), default a best-effort share */
  resources?: Record<string, number>;
  /** extra labels (pod and container) */
  labels?: Record<string, string>;
  /** NODE (host network, the lab default) or POD (needs CNI) */
  network?: 'NODE' | 'POD';
  /** false: only RunPodSandbox (and no container) */
  withContainer?: boolean;
  /** false: CreateContainer but no StartContainer */
  start?: boolean;
  timeoutMs?: number;
}

export interface LabPod {
  podId: string;
  name: string;
  namespace: string;
  uid: string;
  logDirectory: string;
  sandboxConfig: SandboxConfig;
  containerId?: string;
  containerName?: string;
}

export type SandboxConfig = ReturnType<typeof sandboxConfig>;

function suffix(n: number): string {
  return [...randomBytes(n)].map((b) => RAND[b % RAND.length]).join('');
}

export function sandboxConfig(p: LabPaths, o: { name: string; namespace: string; uid: string; app: string; labels?: Record<string, string>; network?: 'NODE' | 'POD'; attempt?: number }) {
  const logDirectory = join(p.pods, `${o.namespace}_${o.name}_${o.uid}`);
  return {
    metadata: { name: o.name, uid: o.uid, namespace: o.namespace, attempt: o.attempt ?? 0 },
    // host-network pods get the node's hostname; CRI refuses a hostname with host network here
    hostname: o.network === 'POD' ? o.name : '',
    logDirectory,
    dnsConfig: {},
    portMappings: [],
    labels: {
      app: o.app,
      'pod-template-hash': TEMPLATE_HASH,
      [LAB_POD_LABEL]: 'true',
      'io.kubernetes.pod.name': o.name,
      'io.kubernetes.pod.namespace': o.namespace,
      'io.kubernetes.pod.uid': o.uid,
      ...o.labels,
    },
    annotations: {
      'kubernetes.io/config.seen': new Date().toISOString(),
      'kubernetes.io/config.source': 'api',
    },
    linux: {
      cgroupParent: `/${p.cgroupParent}/kubepods/besteffort/pod${o.uid}`,
      securityContext: { namespaceOptions: { network: o.network ?? 'NODE', pid: 'POD', ipc: 'POD' } },
    },
  };
}

export function containerConfig(o: {
  name: string; attempt: number; image: string; command?: string[]; args?: string[];
  pod: { name: string; namespace: string; uid: string }; labels?: Record<string, string>; network?: 'NODE' | 'POD';
  resources?: Record<string, number>;
}) {
  return {
    metadata: { name: o.name, attempt: o.attempt },
    image: { image: o.image },
    ...(o.command ? { command: o.command } : {}),
    ...(o.args ? { args: o.args } : {}),
    envs: [{ key: 'POD_NAME', value: o.pod.name }, { key: 'POD_NAMESPACE', value: o.pod.namespace }],
    logPath: `${o.name}/${o.attempt}.log`,
    labels: {
      'io.kubernetes.container.name': o.name,
      'io.kubernetes.pod.name': o.pod.name,
      'io.kubernetes.pod.namespace': o.pod.namespace,
      'io.kubernetes.pod.uid': o.pod.uid,
      [LAB_POD_LABEL]: 'true',
      ...o.labels,
    },
    annotations: {
      'io.kubernetes.container.hash': randomBytes(4).readUInt32BE().toString(16),
      'io.kubernetes.container.restartCount': String(o.attempt),
      'io.kubernetes.container.terminationMessagePath': '/dev/termination-log',
      'io.kubernetes.container.terminationMessagePolicy': 'File',
      'io.kubernetes.pod.terminationGracePeriod': '30',
    },
    linux: {
      resources: o.resources ?? { cpuShares: 2, oomScoreAdj: 1000 },
      securityContext: { namespaceOptions: { network: o.network ?? 'NODE', pid: 'CONTAINER', ipc: 'POD' } },
    },
  };
}

/** Starts one pod through CRI as kubelet would; a fresh uid every time (CRI keeps log files). */
export async function startLabPod(cri: CriClient, p: LabPaths, o: LabPodOptions = {}): Promise<LabPod> {
  const app = o.app ?? 'web';
  const name = o.name ?? `${app}-${TEMPLATE_HASH}-${suffix(5)}`;
  const namespace = o.namespace ?? LAB_NAMESPACE;
  const uid = randomUUID();
  const sc = sandboxConfig(p, { name, namespace, uid, app, labels: o.labels, network: o.network });
  mkdirSync(sc.logDirectory, { recursive: true });
  const timeoutMs = o.timeoutMs ?? 30_000;
  const podId = await cri.runPodSandbox(sc, '', timeoutMs);
  const pod: LabPod = { podId, name, namespace, uid, logDirectory: sc.logDirectory, sandboxConfig: sc };
  if (o.withContainer === false) return pod;
  const containerName = o.containerName ?? 'app';
  const cc = containerConfig({ name: containerName, attempt: 0, image: o.image ?? APP_IMAGE, command: o.command, args: o.args, pod: { name, namespace, uid }, labels: o.labels, network: o.network, resources: o.resources });
  pod.containerName = containerName;
  pod.containerId = await cri.createContainer(podId, cc, sc, timeoutMs);
  if (o.start !== false) await cri.startContainer(pod.containerId, timeoutMs);
  return pod;
}

/** Stops and removes every pod sandbox (and so its containers) the runtime lists, each under a deadline. */
export async function removeAllPods(cri: CriClient, timeoutMs = 5000): Promise<{ removed: number; failed: string[] }> {
  const failed: string[] = [];
  let removed = 0;
  const pods = await cri.listPodSandbox();
  await Promise.all(pods.map(async (pod) => {
    // twice: a container created between stop and remove (a fault's kubelet-like loop winding
    // down) makes the first remove fail with "cannot delete running task"; a second stop takes it
    for (let attempt = 1; ; attempt++) {
      try {
        await cri.stopPodSandbox(pod.id, timeoutMs);
        await cri.removePodSandbox(pod.id, timeoutMs);
        removed++;
        return;
      } catch (err) {
        if (attempt < 2) continue;
        failed.push(`${pod.metadata?.namespace}/${pod.metadata?.name}: ${(err as Error).message}`);
        return;
      }
    }
  }));
  return { removed, failed };
}
