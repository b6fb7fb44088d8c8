// CRI v1 over gRPC on containerd's socket: exactly what kubelet and crictl say to the runtime.
import { GrpcConnection, type ServerStream } from '../protocol/grpc.ts';
import type {
  Container, ContainerDetail, ContainerVerboseInfo, Image, PodSandbox, RuntimeStatusView,
  SandboxDetail, SandboxVerboseInfo, VersionView,
} from '../../snapshot/types/index.ts';

const RUNTIME = 'runtime.v1.RuntimeService';
const IMAGES = 'runtime.v1.ImageService';

export interface PodSandboxFilter {
  id?: string;
  state?: 'SANDBOX_READY' | 'SANDBOX_NOTREADY';
  labelSelector?: Record<string, string>;
}

export interface ContainerFilter {
  id?: string;
  podSandboxId?: string;
  state?: 'CONTAINER_CREATED' | 'CONTAINER_RUNNING' | 'CONTAINER_EXITED' | 'CONTAINER_UNKNOWN';
  labelSelector?: Record<string, string>;
}

/** Verbose `info` values are JSON strings; decode them, keeping a value that is not JSON as text. */
export function decodeInfo(info: Record<string, string> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(info ?? {})) {
    try {
      out[k] = JSON.parse(v);
    } catch {
      out[k] = v;
    }
  }
  return out;
}

/** One CRI container event (GetContainerEvents), as the codec decodes it: what kubelet's Evented PLEG reads. */
export interface ContainerEventView {
  containerId: string;
  containerEventType: 'CONTAINER_CREATED_EVENT' | 'CONTAINER_STARTED_EVENT' | 'CONTAINER_STOPPED_EVENT' | 'CONTAINER_DELETED_EVENT';
  /** nanoseconds since the epoch, as a decimal string */
  createdAt: string;
  podSandboxStatus?: { id: string; metadata?: { name: string; namespace: string; uid: string; attempt: number } | null; state: string } | null;
  containersStatuses: { id: string; metadata?: { name: string; attempt: number } | null; state: string; exitCode: number; reason: string }[];
}

export class CriClient {
  readonly conn: GrpcConnection;

  constructor(endpoint: string, opts: { timeoutMs: number }) {
    this.conn = new GrpcConnection(endpoint, { what: 'CRI', timeoutMs: opts.timeoutMs });
  }

  async version(): Promise<VersionView> {
    return this.conn.unary<VersionView>(RUNTIME, 'Version', { version: 'v1' });
  }

  async status(verbose = false): Promise<RuntimeStatusView> {
    const r = await this.conn.unary<{ status?: { conditions: RuntimeStatusView['conditions'] }; info: Record<string, string> }>(
      RUNTIME, 'Status', { verbose });
    return { conditions: r.status?.conditions ?? [], info: decodeInfo(r.info) };
  }

  async listPodSandbox(filter?: PodSandboxFilter): Promise<PodSandbox[]> {
    const f = filter && { ...filter, state: filter.state && { state: filter.state } };
    const r = await this.conn.unary<{ items: PodSandbox[] }>(RUNTIME, 'ListPodSandbox', f ? { filter: f } : {});
    return r.items;
  }

  async podSandboxStatus(id: string, verbose = false): Promise<SandboxDetail> {
    const r = await this.conn.unary<{ status: SandboxDetail['status']; info: Record<string, string> }>(
      RUNTIME, 'PodSandboxStatus', { podSandboxId: id, verbose });
    const info = decodeInfo(r.info).info as SandboxVerboseInfo | undefined;
    return { status: r.status, info };
  }

  async listContainers(filter?: ContainerFilter): Promise<Container[]> {
    const f = filter && { ...filter, state: filter.state && { state: filter.state } };
    const r = await this.conn.unary<{ containers: Container[] }>(RUNTIME, 'ListContainers', f ? { filter: f } : {});
    return r.containers;
  }

  async containerStatus(id: string, verbose = false): Promise<ContainerDetail> {
    const r = await this.conn.unary<{ status: ContainerDetail['status']; info: Record<string, string> }>(
      RUNTIME, 'ContainerStatus', { containerId: id, verbose });
    const info = decodeInfo(r.info).info as ContainerVerboseInfo | undefined;
    return { status: r.status, info };
  }

  /** The raw response objects, for `inspect -o json` that shows the answer as the runtime gave it. */
  async rawContainerStatus(id: string, verbose = true): Promise<{ status: unknown; info: Record<string, unknown> }> {
    const r = await this.conn.unary<{ status: unknown; info: Record<string, string> }>(RUNTIME, 'ContainerStatus', { containerId: id, verbose });
    return { status: r.status, info: decodeInfo(r.info) };
  }

  async rawPodSandboxStatus(id: string, verbose = true): Promise<{ status: unknown; info: Record<string, unknown> }> {
    const r = await this.conn.unary<{ status: unknown; info: Record<string, string> }>(RUNTIME, 'PodSandboxStatus', { podSandboxId: id, verbose });
    return { status: r.status, info: decodeInfo(r.info) };
  }

  async listImages(): Promise<Image[]> {
    const r = await this.conn.unary<{ images: Image[] }>(IMAGES, 'ListImages', {});
    return r.images;
  }

  async imageStatus(image: string): Promise<Image | null> {
    const r = await this.conn.unary<{ image: Image | null }>(IMAGES, 'ImageStatus', { image: { image } });
    return r.image && r.image.id ? r.image : null;
  }

  async listContainerStats(filter?: { id?: string; podSandboxId?: string; labelSelector?: Record<string, string> }): Promise<unknown[]> {
    const r = await this.conn.unary<{ stats: unknown[] }>(RUNTIME, 'ListContainerStats', filter ? { filter } : {});
    return r.stats;
  }

  async runPodSandbox(config: object, runtimeHandler = '', timeoutMs?: number): Promise<string> {
    const r = await this.conn.unary<{ podSandboxId: string }>(RUNTIME, 'RunPodSandbox', { config, runtimeHandler }, timeoutMs);
    return r.podSandboxId;
  }

  async createContainer(podSandboxId: string, config: object, sandboxConfig: object, timeoutMs?: number): Promise<string> {
    const r = await this.conn.unary<{ containerId: string }>(RUNTIME, 'CreateContainer', { podSandboxId, config, sandboxConfig }, timeoutMs);
    return r.containerId;
  }

  async startContainer(containerId: string, timeoutMs?: number): Promise<void> {
    await this.conn.unary(RUNTIME, 'StartContainer', { containerId }, timeoutMs);
  }

  async stopContainer(containerId: string, timeoutSec = 0, timeoutMs?: number): Promise<void> {
    await this.conn.unary(RUNTIME, 'StopContainer', { containerId, timeout: timeoutSec }, timeoutMs);
  }

  async removeContainer(containerId: string, timeoutMs?: number): Promise<void> {
    await this.conn.unary(RUNTIME, 'RemoveContainer', { containerId }, timeoutMs);
  }

  async stopPodSandbox(podSandboxId: string, timeoutMs?: number): Promise<void> {
    await this.conn.unary(RUNTIME, 'StopPodSandbox', { podSandboxId }, timeoutMs);
  }

  async removePodSandbox(podSandboxId: string, timeoutMs?: number): Promise<void> {
    await this.conn.unary(RUNTIME, 'RemovePodSandbox', { podSandboxId }, timeoutMs);
  }

  /** After the log file was renamed (kubelet's rotation): the runtime opens a new file at the log path. */
  async reopenContainerLog(containerId: string, timeoutMs?: number): Promise<void> {
    await this.conn.unary(RUNTIME, 'ReopenContainerLog', { containerId }, timeoutMs);
  }

  async execSync(containerId: string, cmd: string[], timeoutSec: number, timeoutMs?: number): Promise<{ stdout: string; stderr: string; exitCode: number }> {
    const r = await this.conn.unary<{ stdout: string; stderr: string; exitCode: number }>(
      RUNTIME, 'ExecSync', { containerId, cmd, timeout: timeoutSec }, timeoutMs);
    // bytes arrive base64 (toObject bytes: String)
    return { stdout: Buffer.from(r.stdout, 'base64').toString(), stderr: Buffer.from(r.stderr, 'base64').toString(), exitCode: r.exitCode };
  }

  /**
   * GetContainerEvents, followed until cancel() or the deadline (enforced by the runtime too).
   * Only where the version fans events out to every reader (layout.ts criEventsServing): on 1.7
   * a second reader takes events from kubelet.
   */
  containerEvents(onEvent: (e: ContainerEventView) => void, deadlineMs: number): ServerStream {
    return this.conn.serverStream<ContainerEventView>(RUNTIME, 'GetContainerEvents', {}, onEvent, deadlineMs);
  }

  close(): void {
    this.conn.close();
  }
}

export function openCri(endpoint: string, opts: { timeoutMs: number }): CriClient {
  return new CriClient(endpoint, opts);
}
