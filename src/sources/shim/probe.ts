// ttrpc Connect on the given shim sockets (src/collect/probes/shims.ts picks them): is each shim
// alive and answering, and how fast. All in parallel, each under the deadline. Each socket is
// asked in the task API its bundle names (v2 on 1.x, v3 on 2.x); a socket no bundle names is
// asked v2, then v3.
import { withDeadline } from '../../deadline.ts';
import { CtrdocError } from '../../errors.ts';
import { openShim } from './ttrpc.ts';
import { toEndpoint } from '../protocol/endpoint.ts';
import type { ShimProbe } from '../../snapshot/types/tree.ts';

export interface ShimSocket {
  path: string;
  /** the task API its bundle names (bootstrap.json's version; 2 for an `address` file) */
  taskApi?: number;
  /** bootstrap.json's protocol, when not ttrpc */
  protocol?: string;
}

export async function probeShimSockets(sockets: readonly (string | ShimSocket)[], ms: number): Promise<ShimProbe[]> {
  return Promise.all(sockets.map(async (s): Promise<ShimProbe> => {
    const { path: socketPath, taskApi, protocol } = typeof s === 'string' ? { path: s } as ShimSocket : s;
    if (protocol && protocol !== 'ttrpc') {
      return { socketPath, ok: false, latencyMs: 0, error: `not asked: its bundle says it speaks ${protocol}, and ctrdoc asks shims over ttrpc only` };
    }
    const c = openShim(toEndpoint(socketPath), { timeoutMs: ms, taskApi });
    const t0 = performance.now();
    try {
      const r = await withDeadline(c.connectInfo(), ms, `shim ${socketPath} Connect`);
      return { socketPath, ok: true, latencyMs: Math.round((performance.now() - t0) * 10) / 10, shimPid: r.shimPid, taskPid: r.taskPid, taskApi: c.taskApi };
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { message?: string };
      const msg = CtrdocError.from(err).message;
      const error = e.code === 'ECONNREFUSED' || /ECONNREFUSED/.test(msg) ? 'connection refused (stale socket: no shim listens)'
        : e.code === 'ENOENT' || /ENOENT/.test(msg) ? 'socket file missing' : msg;
      return { socketPath, ok: false, latencyMs: Math.round(performance.now() - t0), error };
    } finally {
      c.close();
    }
  }));
}
