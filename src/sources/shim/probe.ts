// ttrpc Connect on every socket the task bundles name: is each shim alive and answering, and how
// fast. All in parallel, each under the deadline.
import { withDeadline } from '../../deadline.ts';
import { CtrdocError } from '../../errors.ts';
import { openShim } from './ttrpc.ts';
import type { TaskBundleView } from '../../snapshot/types/runc.ts';
import type { ShimProbe } from '../../snapshot/types/tree.ts';

export async function probeShimSockets(bundles: TaskBundleView, ms: number): Promise<ShimProbe[]> {
  const sockets = [...new Set([
    ...bundles.bundles.map((b) => b.socketPath).filter((s): s is string => !!s),
    ...bundles.sockets.filter((s) => s.referenced).map((s) => s.path),
  ])];
  return Promise.all(sockets.map(async (socketPath): Promise<ShimProbe> => {
    const c = openShim(`unix://${socketPath}`, { timeoutMs: ms });
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
