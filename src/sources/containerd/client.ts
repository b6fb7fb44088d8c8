// containerd's own gRPC API (the one `ctr` speaks), scoped to one namespace by metadata.
import { GrpcConnection, type ServerStream } from '../protocol/grpc.ts';
import { decodeEnvelope, type ContainerdEvent, type RawEnvelope } from './events.ts';
import { timestampToIso } from '../protocol/codecs.ts';
import type { ContainerdContainerView, ContainerdVersionView, EventView, PluginView, TaskStatus, TaskView } from '../../snapshot/types/index.ts';

const S = 'containerd.services';

interface RawProcess {
  containerId: string;
  id: string;
  pid: number;
  status: TaskStatus;
  exitStatus: number;
  exitedAt?: { seconds: string; nanos: number } | null;
}

interface RawContainer {
  id: string;
  labels: Record<string, string>;
  image: string;
  runtime?: { name: string } | null;
  snapshotter: string;
  createdAt?: { seconds: string; nanos: number } | null;
  updatedAt?: { seconds: string; nanos: number } | null;
}

const toTask = (p: RawProcess): TaskView => ({
  id: p.containerId || p.id,
  pid: p.pid,
  status: p.status,
  exitStatus: p.exitStatus,
  exitedAt: timestampToIso(p.exitedAt),
});

export interface CreateTaskRequest {
  containerId: string;
  rootfs?: { type: string; source: string; target?: string; options: string[] }[];
  stdin?: string;
  stdout?: string;
  stderr?: string;
  terminal?: boolean;
}

export class ContainerdClient {
  readonly conn: GrpcConnection;
  readonly namespace: string;

  constructor(address: string, opts: { namespace: string; timeoutMs: number }) {
    this.namespace = opts.namespace;
    this.conn = new GrpcConnection(address.startsWith('/') ? `unix://${address}` : address, {
      what: 'containerd',
      timeoutMs: opts.timeoutMs,
      metadata: { 'containerd-namespace': opts.namespace },
    });
  }

  async version(timeoutMs?: number): Promise<ContainerdVersionView> {
    return this.conn.unary(`${S}.version.v1.Version`, 'Version', {}, timeoutMs);
  }

  async namespaces(): Promise<string[]> {
    const r = await this.conn.unary<{ namespaces: { name: string }[] }>(`${S}.namespaces.v1.Namespaces`, 'List', {});
    return r.namespaces.map((n) => n.name);
  }

  async listContainers(): Promise<ContainerdContainerView[]> {
    const r = await this.conn.unary<{ containers: RawContainer[] }>(`${S}.containers.v1.Containers`, 'List', {});
    return r.containers.map((c) => ({
      id: c.id,
      image: c.image,
      runtime: c.runtime?.name ?? '',
      labels: c.labels,
      snapshotter: c.snapshotter,
      createdAt: timestampToIso(c.createdAt),
      updatedAt: timestampToIso(c.updatedAt),
    }));
  }

  async listTasks(): Promise<TaskView[]> {
    const r = await this.conn.unary<{ tasks: RawProcess[] }>(`${S}.tasks.v1.Tasks`, 'List', {});
    return r.tasks.map(toTask);
  }

  async getTask(id: string): Promise<TaskView> {
    const r = await this.conn.unary<{ process: RawProcess }>(`${S}.tasks.v1.Tasks`, 'Get', { containerId: id });
    return toTask(r.process);
  }

  /** Tasks.Create: the shim runs `runc create`, leaving `runc init` parked on exec.fifo until Start. */
  async createTask(req: CreateTaskRequest, timeoutMs?: number): Promise<{ pid: number }> {
    const r = await this.conn.unary<{ pid: number }>(`${S}.tasks.v1.Tasks`, 'Create', req, timeoutMs);
    return { pid: r.pid };
  }

  async startTask(id: string, timeoutMs?: number): Promise<{ pid: number }> {
    return this.conn.unary(`${S}.tasks.v1.Tasks`, 'Start', { containerId: id }, timeoutMs);
  }

  async killTask(id: string, signal: number, all = false, timeoutMs?: number): Promise<void> {
    await this.conn.unary(`${S}.tasks.v1.Tasks`, 'Kill', { containerId: id, signal, all }, timeoutMs);
  }

  async deleteTask(id: string, timeoutMs?: number): Promise<{ exitStatus: number }> {
    return this.conn.unary(`${S}.tasks.v1.Tasks`, 'Delete', { containerId: id }, timeoutMs);
  }

  async taskPids(id: string): Promise<number[]> {
    const r = await this.conn.unary<{ processes: { pid: number }[] }>(`${S}.tasks.v1.Tasks`, 'ListPids', { containerId: id });
    return r.processes.map((p) => p.pid);
  }

  async plugins(): Promise<PluginView[]> {
    const r = await this.conn.unary<{ plugins: { type: string; id: string; initErr?: { code: number; message: string } | null }[] }>(
      `${S}.introspection.v1.Introspection`, 'Plugins', {});
    return r.plugins.map((p) => {
      const err = p.initErr && (p.initErr.code || p.initErr.message) ? p.initErr : undefined;
      // containerd marks a plugin that chose not to load with a "skip plugin" init error
      const skipped = !!err && /skip plugin/i.test(err.message);
      return { type: p.type, id: p.id, status: err ? (skipped ? 'skip' : 'error') : 'ok', ...(err ? { initError: { code: err.code, message: err.message } } : {}) };
    });
  }

  /** Events for `durationMs` (a sample, never a subscription that outlives the call). */
  async events(durationMs: number, filters: string[] = []): Promise<EventView[]> {
    const raw = await this.conn.stream<{ timestamp: { seconds: string; nanos: number }; namespace: string; topic: string; event?: { typeUrl: string } }>(
      `${S}.events.v1.Events`, 'Subscribe', { filters }, durationMs);
    return raw.map((e) => ({ timestamp: timestampToIso(e.timestamp), namespace: e.namespace, topic: e.topic, typeUrl: e.event?.typeUrl ?? '' }));
  }

  /**
   * Events.Subscribe, followed until cancel() or the deadline (which containerd enforces too, so
   * a reader that stops reading is dropped on time): each envelope decoded (events.ts).
   */
  subscribe(filters: string[], onEvent: (e: ContainerdEvent) => void, deadlineMs: number): ServerStream {
    return this.conn.serverStream<RawEnvelope>(`${S}.events.v1.Events`, 'Subscribe', { filters }, (m) => onEvent(decodeEnvelope(m)), deadlineMs);
  }

  close(): void {
    this.conn.close();
  }
}

export function openContainerd(address: string, opts: { namespace: string; timeoutMs: number }): ContainerdClient {
  return new ContainerdClient(address, opts);
}
