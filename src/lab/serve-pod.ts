// `ctrdoc lab serve-pod`: the DaemonSet's pod, in the lab. The image is built by src/image from the
// single executable and imported into the lab's containerd, then `ctrdoc serve` runs as a pod
// through CRI with deploy/daemonset.yaml's settings as far as CRI without kubelet allows: host
// PID namespace, privileged, the host paths it reads mounted read-only (the lab dir stands in for
// /run/containerd, /etc/containerd, /var/lib/kubelet and /var/log), the DaemonSet's memory limit
// and NODE_NAME. Unlike the DaemonSet it uses the host network (the lab has no pod network) and
// listens on 127.0.0.1 on a free port.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CtrdocError } from '../errors.ts';
import { openCri, type CriClient } from '../sources/cri/client.ts';
import { buildCtrdocImage, imageName } from '../image/build.ts';
import { labFlags } from './lab.ts';
import { criEndpoint, CRI_NAMESPACE, labPaths, type LabPaths } from './paths.ts';
import { containerConfig, LAB_POD_LABEL, sandboxConfig } from './pods.ts';

export const SERVE_POD_LABEL = 'ctrdoc.dev/serve-pod';
export const SERVE_POD_NAMESPACE = 'kube-system';
/** deploy/daemonset.yaml's limit */
const MEMORY_LIMIT = 300 * 2 ** 20;

export interface ServePod {
  podId: string;
  containerId: string;
  image: string;
  /** where its /metrics, /report and /healthz answer */
  url: string;
  /** true when the image was built and imported by this call */
  imported: boolean;
  mounts: { containerPath: string; hostPath: string; readonly: boolean }[];
}

/** dist/ctrdoc, beside the bundle (or from the sources, the repository's dist/). */
export function defaultExecutable(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return here.endsWith(join('src', 'lab')) ? join(here, '..', '..', 'dist', 'ctrdoc') : join(here, 'ctrdoc');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    }).once('error', reject);
  });
}

/** Builds the image from the executable and imports it with `ctr images import`, unless CRI already has this very build. */
async function ensureImage(cri: CriClient, p: LabPaths, executable: string, log: (l: string) => void): Promise<{ name: string; imported: boolean }> {
  if (!existsSync(executable)) {
    throw new CtrdocError('not-found', `no single executable at ${executable}`, 'build it (npm run build:binary) or pass --executable FILE');
  }
  const name = imageName(readFileSync(executable));
  if (await cri.imageStatus(name)) return { name, imported: false };
  log(`building ${name} from ${executable}`);
  const img = await buildCtrdocImage({ executable, name });
  mkdirSync(p.images, { recursive: true });
  const file = join(p.images, 'ctrdoc-serve.oci.tar');
  writeFileSync(file, img.tarball);
  log(`importing ${name} (${(img.tarball.length / 2 ** 20).toFixed(1)} MiB)`);
  try {
    execFileSync('ctr', ['-a', p.socket, '-n', CRI_NAMESPACE, 'images', 'import', file], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 120_000 });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new CtrdocError('internal', `ctr images import ${name} failed: ${stderr.trim() || (err as Error).message}`, `read ${p.log}`);
  }
  // the CRI plugin learns of an imported image from containerd's events
  for (const deadline = Date.now() + 10_000; !(await cri.imageStatus(name));) {
    if (Date.now() > deadline) throw new CtrdocError('internal', `CRI does not see the imported image ${name}`, `read ${p.log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { name, imported: true };
}

async function waitForHealthz(url: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const r = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
      if (r.ok) return;
      last = `HTTP ${r.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new CtrdocError('unavailable', `the serve pod does not answer ${url}/healthz within ${ms / 1000}s (${last})`, 'read its log: ctrdoc cri ps, then the pod log under the lab dir\'s pods/');
}

/** Starts (or replaces) the serve pod in the lab at `dir`; resolves once it answers /healthz. */
export async function startServePod(o: { dir: string; executable?: string; port?: number; interval?: string; log?: (l: string) => void }): Promise<ServePod> {
  const log = o.log ?? (() => {});
  const p = labPaths(o.dir);
  const cri = openCri(criEndpoint(p), { timeoutMs: 30_000 });
  try {
    const { name: image, imported } = await ensureImage(cri, p, o.executable ?? defaultExecutable(), log);
    for (const old of await cri.listPodSandbox({ labelSelector: { [SERVE_POD_LABEL]: 'true' } })) {
      log(`replacing the serve pod ${old.id.slice(0, 13)}`);
      await cri.stopPodSandbox(old.id);
      await cri.removePodSandbox(old.id);
    }
    const port = o.port ?? (await freePort());
    const pod = { name: `ctrdoc-${randomUUID().slice(0, 5)}`, namespace: SERVE_POD_NAMESPACE, uid: randomUUID() };
    // hostPID and privileged, as in the DaemonSet; not counted as one of the lab's workload pods
    const security = { namespaceOptions: { network: 'NODE', pid: 'NODE', ipc: 'POD' }, privileged: true };
    const sc = sandboxConfig(p, { ...pod, app: 'ctrdoc', network: 'NODE', labels: { [SERVE_POD_LABEL]: 'true' } });
    delete (sc.labels as Record<string, string>)[LAB_POD_LABEL];
    const sandbox = { ...sc, linux: { ...sc.linux, securityContext: security } };
    mkdirSync(sc.logDirectory, { recursive: true });
    const mounts = [
      // the lab dir holds what the DaemonSet mounts from the host: the socket, config, log, runc state, kubelet files
      { containerPath: p.dir, hostPath: p.dir, readonly: true },
      // containerd 1.6 puts every shim's socket under /run/containerd/s, whatever its state dir
      ...(existsSync('/run/containerd') ? [{ containerPath: '/run/containerd', hostPath: '/run/containerd', readonly: true }] : []),
      { containerPath: '/sys/fs/cgroup', hostPath: '/sys/fs/cgroup', readonly: true },
    ];
    const cc = containerConfig({
      name: 'ctrdoc', attempt: 0, image, pod, network: 'NODE',
      args: ['ctrdoc', 'serve', '--listen', `127.0.0.1:${port}`, '--interval', o.interval ?? '5s', '--timeout', '10s', ...labFlags(p)],
      labels: { [SERVE_POD_LABEL]: 'true' },
      resources: { memoryLimitInBytes: MEMORY_LIMIT, cpuShares: 10 },
    });
    delete (cc.labels as Record<string, string>)[LAB_POD_LABEL];
    const container = {
      ...cc,
      envs: [...cc.envs, { key: 'NODE_NAME', value: hostname() }],
      mounts,
      linux: { ...cc.linux, securityContext: security },
    };
    const podId = await cri.runPodSandbox(sandbox, '', 30_000);
    const containerId = await cri.createContainer(podId, container, sandbox, 30_000);
    await cri.startContainer(containerId, 30_000);
    const url = `http://127.0.0.1:${port}`;
    log(`serve pod ${podId.slice(0, 13)} started; waiting for ${url}/healthz`);
    await waitForHealthz(url, 60_000);
    return { podId, containerId, image, url, imported, mounts };
  } finally {
    cri.close();
  }
}
