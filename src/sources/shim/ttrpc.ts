// A ttrpc client for a shim's socket (the address its task bundle names: readBundleShim in
// src/sources/runc/bundles.ts): the shim task API's Connect, State, Pids and Stats, each under a
// deadline. 1.x shims serve containerd.task.v2.Task, 2.x shims containerd.task.v3.Task (layout.ts);
// a client not told which asks v2 first and v3 when v2 is Unimplemented, and keeps the one that
// answered. ttrpc has no npm client; the framing is in frames.ts.
import { connect, type Socket } from 'node:net';
import { CtrdocError } from '../../errors.ts';
import { deadlineTimer, formatMs } from '../../deadline.ts';
import { decode, encode, messageType, methodTypes, timestampToIso } from '../protocol/codecs.ts';
import { unixPathOf } from '../protocol/endpoint.ts';
import { encodeFrame, FrameDecoder, MESSAGE_TYPE_REQUEST, MESSAGE_TYPE_RESPONSE } from './frames.ts';
import type { ShimConnectView, ShimStateView } from '../../snapshot/types/index.ts';
import { SHIM_TASK_APIS, shimTaskService } from '../containerd/layout.ts';

function socketPath(address: string): { path: string } {
  const path = unixPathOf(address);
  if (path) return { path };
  if (address.startsWith('\0') || address.startsWith('@')) return { path: '\0' + address.slice(1) };
  throw new CtrdocError('invalid-argument', `shim address "${address}" is not a unix socket`);
}

interface Pending {
  resolve: (b: Buffer) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export interface ShimClientOptions {
  timeoutMs: number;
  /** the task API the shim serves (its bundle says: readBundleShim); unknown: v2, then v3 if v2 is Unimplemented */
  taskApi?: number;
}

export class ShimClient {
  readonly address: string;
  private readonly timeoutMs: number;
  /** the task API asked: known from the bundle, or the one that answered */
  private api?: number;
  private socket?: Socket;
  private connecting?: Promise<Socket>;
  private nextStream = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly decoder = new FrameDecoder();

  constructor(address: string, opts: ShimClientOptions) {
    this.address = address;
    this.timeoutMs = opts.timeoutMs;
    this.api = opts.taskApi;
  }

  /** The task API version this shim answered (or was said to serve); undefined before a call when not told. */
  get taskApi(): number | undefined {
    return this.api;
  }

  private open(): Promise<Socket> {
    if (this.socket) return Promise.resolve(this.socket);
    this.connecting ??= new Promise<Socket>((resolve, reject) => {
      const s = connect(socketPath(this.address));
      const timer = setTimeout(() => {
        s.destroy();
        reject(new CtrdocError('deadline-exceeded', `shim ${this.address}: connect did not complete within ${formatMs(this.timeoutMs)}`));
      }, this.timeoutMs);
      s.once('connect', () => {
        clearTimeout(timer);
        this.socket = s;
        resolve(s);
      });
      s.once('error', (err) => {
        clearTimeout(timer);
        const code = (err as NodeJS.ErrnoException).code;
        const hint = code === 'ECONNREFUSED' || code === 'ENOENT'
          ? 'the shim is gone (a dead shim leaves its socket or bundle behind)'
          : undefined;
        reject(new CtrdocError(code === 'EACCES' ? 'permission-denied' : 'unavailable', `shim ${this.address}: ${err.message}`, hint));
        this.failAll(err);
      });
      s.on('data', (chunk: Buffer) => this.onData(chunk));
      s.on('close', () => this.failAll(new Error('connection closed by the shim')));
    });
    return this.connecting;
  }

  private onData(chunk: Buffer): void {
    let frames;
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      this.failAll(err as Error);
      this.socket?.destroy();
      return;
    }
    for (const f of frames) {
      const p = this.pending.get(f.streamId);
      if (!p || f.type !== MESSAGE_TYPE_RESPONSE) continue;
      this.pending.delete(f.streamId);
      clearTimeout(p.timer);
      p.resolve(f.payload);
    }
  }

  private failAll(err: Error): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new CtrdocError('unavailable', `shim ${this.address}: ${err.message}`));
      this.pending.delete(id);
    }
  }

  /**
   * One call of the shim's task API: the version it serves, or, not known yet, each version
   * ctrdoc speaks in turn while the shim says Unimplemented (all under the one deadline).
   */
  async task<T>(method: string, request: object): Promise<T> {
    if (this.api !== undefined) return this.call<T>(method, request, shimTaskService(this.api));
    const started = Date.now();
    for (const [i, api] of SHIM_TASK_APIS.entries()) {
      try {
        const r = await this.call<T>(method, request, shimTaskService(api), this.timeoutMs - (Date.now() - started));
        this.api = api;
        return r;
      } catch (err) {
        if (!(err instanceof CtrdocError && err.kind === 'unimplemented') || i === SHIM_TASK_APIS.length - 1) throw err;
      }
    }
    throw new CtrdocError('internal', 'no shim task API to ask');
  }

  /** One ttrpc call; resolves with the decoded response message. */
  async call<T>(method: string, request: object, service: string, timeoutMs = this.timeoutMs): Promise<T> {
    const { request: reqType, response: resType } = methodTypes(service, method);
    const started = Date.now();
    const socket = await this.open();
    const left = Math.max(1, timeoutMs - (Date.now() - started));
    const streamId = this.nextStream;
    this.nextStream += 2;
    const envelope = encode(messageType('ttrpc.Request'), {
      service,
      method,
      payload: Buffer.from(encode(reqType, request)),
      timeoutNano: left * 1_000_000,
    });
    const payload = await new Promise<Buffer>((resolve, reject) => {
      const timer = deadlineTimer(left, () => {
        // answered in the timer's extra turn: the reader resolved it and removed it
        if (!this.pending.delete(streamId)) return;
        reject(new CtrdocError('deadline-exceeded', `shim ${this.address} ${method}: no answer within ${formatMs(timeoutMs)}`,
          'the shim accepts connections but does not answer: dump its goroutines (ctrdoc goroutines --shim PID --signal)'));
      });
      this.pending.set(streamId, { resolve, reject, timer });
      socket.write(encodeFrame({ streamId, type: MESSAGE_TYPE_REQUEST, flags: 0, payload: Buffer.from(envelope) }));
    });
    const res = messageType('ttrpc.Response').decode(payload) as unknown as { status?: { code: number; message: string }; payload: Uint8Array };
    if (res.status && res.status.code) {
      const kind = res.status.code === 5 ? 'not-found' : res.status.code === 12 ? 'unimplemented' : 'internal';
      throw new CtrdocError(kind, `shim ${this.address} ${method}: ${res.status.message}`);
    }
    return decode<T>(resType, res.payload ?? new Uint8Array());
  }

  async connectInfo(id = ''): Promise<ShimConnectView> {
    return this.task<ShimConnectView>('Connect', { id });
  }

  async state(id: string): Promise<ShimStateView> {
    const r = await this.task<ShimStateView & { exitedAt: { seconds: string; nanos: number } | null }>('State', { id });
    return { id: r.id, bundle: r.bundle, pid: r.pid, status: r.status, exitStatus: r.exitStatus, exitedAt: timestampToIso(r.exitedAt) };
  }

  async pids(id: string): Promise<number[]> {
    const r = await this.task<{ processes: { pid: number }[] }>('Pids', { id });
    return r.processes.map((p) => p.pid);
  }

  /** Stats: the type of the metrics it carries, and for cgroup v1 the pids and CPU figures. */
  async stats(id: string): Promise<{ typeUrl: string; pids?: number; cpuNs?: string }> {
    const r = await this.task<{ stats?: { typeUrl: string; value: string } | null }>('Stats', { id });
    const typeUrl = r.stats?.typeUrl ?? '';
    if (typeUrl.endsWith('io.containerd.cgroups.v1.Metrics') && r.stats) {
      const m = decode<{ pids?: { current: string }; cpu?: { usage?: { total: string } } }>(
        messageType('io.containerd.cgroups.v1.Metrics'), Buffer.from(r.stats.value, 'base64'));
      return { typeUrl, pids: Number(m.pids?.current ?? 0), cpuNs: m.cpu?.usage?.total };
    }
    return { typeUrl };
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
    this.failAll(new Error('client closed'));
  }
}

export function openShim(address: string, opts: ShimClientOptions): ShimClient {
  return new ShimClient(address, opts);
}
