// CRI v1 objects as ctrdoc keeps them: the wire objects in protobuf's JSON mapping (camelCase
// names, int64 as decimal strings, enums as their names), as crictl's `-o json` shows them.

export type PodSandboxState = 'SANDBOX_READY' | 'SANDBOX_NOTREADY';
export type ContainerState = 'CONTAINER_CREATED' | 'CONTAINER_RUNNING' | 'CONTAINER_EXITED' | 'CONTAINER_UNKNOWN';

export interface PodSandboxMetadata {
  name: string;
  uid: string;
  namespace: string;
  attempt: number;
}

export interface PodSandbox {
  id: string;
  metadata: PodSandboxMetadata;
  state: PodSandboxState;
  /** nanoseconds since the epoch, decimal */
  createdAt: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  runtimeHandler: string;
}

export interface ContainerMetadata {
  name: string;
  attempt: number;
}

export interface ImageSpec {
  image: string;
  annotations?: Record<string, string>;
}

export interface Container {
  id: string;
  podSandboxId: string;
  metadata: ContainerMetadata;
  image: ImageSpec;
  imageRef: string;
  state: ContainerState;
  createdAt: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface ContainerStatus {
  id: string;
  metadata: ContainerMetadata;
  state: ContainerState;
  createdAt: string;
  startedAt: string;
  finishedAt: string;
  exitCode: number;
  image: ImageSpec;
  imageRef: string;
  reason: string;
  message: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  logPath: string;
}

/** containerd's verbose `info` for a container (a JSON string in ContainerStatusResponse.info["info"]). */
export interface ContainerVerboseInfo {
  sandboxID?: string;
  pid?: number;
  removing?: boolean;
  snapshotKey?: string;
  snapshotter?: string;
  runtimeType?: string;
  runtimeOptions?: Record<string, unknown>;
  config?: unknown;
  runtimeSpec?: unknown;
}

export interface PodSandboxStatus {
  id: string;
  metadata: PodSandboxMetadata;
  state: PodSandboxState;
  createdAt: string;
  network?: { ip: string; additionalIps?: { ip: string }[] };
  linux?: unknown;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  runtimeHandler: string;
}

/** containerd's verbose `info` for a sandbox. */
export interface SandboxVerboseInfo {
  pid?: number;
  processStatus?: string;
  netNamespaceClosed?: boolean;
  image?: string;
  snapshotKey?: string;
  snapshotter?: string;
  runtimeHandler?: string;
  runtimeType?: string;
  config?: unknown;
  runtimeSpec?: unknown;
  cniResult?: unknown;
}

export interface RuntimeCondition {
  type: string;
  status: boolean;
  reason: string;
  message: string;
}

export interface RuntimeStatusView {
  conditions: RuntimeCondition[];
  /** containerd's verbose info: keys like "config", "golang", "lastCNILoadStatus", values JSON-decoded */
  info: Record<string, unknown>;
}

export interface VersionView {
  version: string;
  runtimeName: string;
  runtimeVersion: string;
  runtimeApiVersion: string;
}

export interface Image {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  size: string;
  pinned?: boolean;
}

/**
 * The sandbox image containerd runs with, as far as CRI tells it. 1.x: its Status's config says
 * (sandboxImage). 2.x keeps the image service's settings out of Status; ListImages marks pinned
 * the images that were the configured sandbox image when they were pulled or imported (the mark
 * stays after a config change): candidates only.
 */
export interface SandboxImageView {
  /** 1.x: the image the running CRI plugin names */
  image?: string;
  /** where it was read */
  from: 'cri-status' | 'pinned-image';
  /** 2.x: the tags of every image CRI marks pinned */
  pinned?: string[];
}

/** One container's verbose status as collected: the status plus the decoded `info`. */
export interface ContainerDetail {
  status: ContainerStatus;
  info?: ContainerVerboseInfo;
  /** why the collector asked for it (only the containers that need it are asked) */
  why?: string;
}

export interface SandboxDetail {
  status: PodSandboxStatus;
  info?: SandboxVerboseInfo;
  /** why the collector asked for it */
  why?: string;
}
