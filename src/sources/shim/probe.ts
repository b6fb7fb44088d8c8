// ttrpc Connect on the given shim sockets (src/collect/probes/shims.ts picks them): is each shim
// alive and answering, and how fast. All in parallel, each under the deadline.
import { withDeadline } from '../../deadline.ts';
import { CtrdocError } from '../../errors.ts';
import { openShim } from './ttrpc.ts';
import { toEndpoint } from '../protocol/endpoint.ts';
import type { ShimProbe } from '../../snapshot/types/tree.ts';

export async function probeShimSockets(sockets: readonly string[], ms: number): Promise<ShimProbe[]> {
  return Promise.all(sockets.map(async (socketPath): Promise<ShimProbe> => {
    const c = openShim(toEndpoint(socketPath), { timeoutMs: ms });
    const t0 = performance.now();
    try {
      const r = await withDeadline(c.connectInfo(), ms, `shim ${socketPath} Connect`);
      return { socketPath, ok: true, latencyMs: Math.round((performance.now() - t0) * 10) / 10, shimPid: r.shimPid, taskPid: r.taskPid };
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
