// Where everything of one lab lives. One directory holds the lab's containerd (root, state,
// sockets, config, log), its runc root, pod logs, images, the supervisor's control socket and
// the record of what the lab started (lab.json). Unix socket paths must stay under 108 bytes.
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import { CtrdocError } from '../errors.ts';

export const DEFAULT_LAB_DIR = '/var/lib/ctrdoc-lab';
/** The lab's CNI config, in its own conf dir (the no-cni fault moves it away). */
export const CNI_CONFIG_FILE = '10-ctrdoc-lab.conflist';
/** containerd namespace the CRI plugin uses. */
export const CRI_NAMESPACE = 'k8s.io';
/** Longest unix socket path the kernel accepts, minus the terminating NUL. */
const MAX_SOCKET_PATH = 107;

export interface LabPaths {
  dir: string;
  /** lab.json: pids and paths of what the lab started. */
  record: string;
  /** env: CONTAINER_RUNTIME_ENDPOINT=... and the ctrdoc flags that point at the lab. */
  env: string;
  config: string;
  /** `containerd config default` of the same binary, kept beside config for drift diffs. */
  defaultConfig: string;
  log: string;
  root: string;
  state: string;
  socket: string;
  debugSocket: string;
  /** The runc runtime's `Root` option; the shim appends the namespace. */
  runcRootBase: string;
  /** What `runc --root` needs: runcRootBase/k8s.io. */
  runcRoot: string;
  images: string;
  pods: string;
  cniConfDir: string;
  cniBinDir: string;
  supervisorSocket: string;
  supervisorLog: string;
  faults: string;
  kubelet: string;
  /** cgroup parent (relative to each controller's mount), unique per lab dir. */
  cgroupParent: string;
}

export function labPaths(dirInput: string = DEFAULT_LAB_DIR): LabPaths {
  const dir = resolve(dirInput);
  const socket = join(dir, 'containerd.sock');
  // containerd's ttrpc socket is socket + '.ttrpc'; that is the longest socket path we own.
  if (Buffer.byteLength(socket + '.ttrpc') > MAX_SOCKET_PATH) {
    throw new CtrdocError('invalid-argument', `lab dir ${dir} is too long for unix socket paths (limit ${MAX_SOCKET_PATH} bytes)`, 'use a shorter --dir, e.g. /tmp/lab1');
  }
  const tag = createHash('sha256').update(dir).digest('hex').slice(0, 8);
  return {
    dir,
    record: join(dir, 'lab.json'),
    env: join(dir, 'env'),
    config: join(dir, 'config.toml'),
    defaultConfig: join(dir, 'config.default.toml'),
    log: join(dir, 'containerd.log'),
    root: join(dir, 'root'),
    state: join(dir, 'state'),
    socket,
    debugSocket: join(dir, 'debug.sock'),
    runcRootBase: join(dir, 'runc'),
    runcRoot: join(dir, 'runc', CRI_NAMESPACE),
    images: join(dir, 'images'),
    pods: join(dir, 'pods'),
    cniConfDir: join(dir, 'cni', 'net.d'),
    cniBinDir: join(dir, 'cni', 'bin'),
    supervisorSocket: join(dir, 'supervisor.sock'),
    supervisorLog: join(dir, 'supervisor.log'),
    faults: join(dir, 'faults'),
    kubelet: join(dir, 'kubelet'),
    cgroupParent: `ctrdoc-lab-${tag}`,
  };
}

export function criEndpoint(p: LabPaths): string {
  return `unix://${p.socket}`;
}
