// containerd's task bundles whose shim is gone (its clean-up did not finish), and shim sockets
// that belong to a dead shim or refuse connections.
import type { TaskBundle } from '../../snapshot/types/runc.ts';
import type { TreeFact } from '../../snapshot/types/tree.ts';
import { containerRefOf } from '../identities.ts';
import type { FactContext } from '../inputs.ts';
import { evidence, liveShims, newerThanScan, podName, sub, type FactDetector } from './common.ts';

interface DeadGroup {
  address: string;
  group: TaskBundle[];
  /** the group's sandbox bundle (or the one with shim.pid) */
  head: TaskBundle;
}

/** Bundles grouped by the shim address they name, where no bundle of the group has a live shim. */
function deadGroups(ctx: FactContext): DeadGroup[] {
  const bundles = ctx.inp.bundles?.bundles ?? [];
  const live = liveShims(ctx);
  const liveIds = new Set(live.map((s) => s.id).filter(Boolean));
  const livePids = new Set(live.map((s) => s.pid));
  const byAddress = new Map<string, TaskBundle[]>();
  for (const b of bundles) {
    const key = b.address ?? `(no address) ${b.id}`;
    let l = byAddress.get(key);
    if (!l) byAddress.set(key, (l = []));
    l.push(b);
  }
  // a `shim start` or `shim delete` for one of its ids is running: containerd is creating it, or
  // cleaning up after its shim (after every normal removal on 1.6, asynchronously)
  const cleaningUp = new Set(ctx.view.processes.filter((t) => t.shim?.action && t.shim.id).map((t) => t.shim!.id!));
  const out: DeadGroup[] = [];
  for (const [address, group] of byAddress) {
    const alive = group.some((b) => liveIds.has(b.id) || (b.sandboxId && liveIds.has(b.sandboxId)) || (b.shimPid && livePids.has(b.shimPid)));
    if (alive || group.some((b) => cleaningUp.has(b.id))) continue;
    const head = group.find((b) => b.sandboxId === b.id) ?? group.find((b) => b.shimPid) ?? group[0];
    if (!newerThanScan(ctx, head.sandboxId ?? head.id)) out.push({ address, group, head });
  }
  return out;
}

export const deadShimLeftover: FactDetector = {
  kind: 'dead-shim-leftover',
  detect: (ctx) => deadGroups(ctx).map(({ address, group, head }): TreeFact => {
    const pod = ctx.ids.podOfSandbox.get(head.sandboxId ?? head.id) ?? { sandboxId: head.sandboxId ?? head.id };
    return {
      kind: 'dead-shim-leftover',
      message: `${group.length} task bundle dir(s) for ${podName(pod)} remain but their shim is gone${head.shimPid ? ` (shim.pid ${head.shimPid} is not a live shim)` : ''}`,
      subject: sub({ pod, path: head.dir, container: containerRefOf(ctx.ids, head.id) }),
      evidence: evidence({
        bundleDirs: group.map((b) => b.dir).join(','), address: address.startsWith('(no address)') ? undefined : address,
        socketExists: head.socketExists, shimPidFile: head.shimPid,
      }),
    };
  }),
};

export const staleShimSocket: FactDetector = {
  kind: 'stale-shim-socket',
  detect(ctx) {
    if (!ctx.inp.bundles) return [];
    const deadSockets = new Set(deadGroups(ctx).filter((g) => g.head.socketPath && g.head.socketExists).map((g) => g.head.socketPath!));
    const facts: TreeFact[] = [];
    for (const sock of ctx.inp.bundles.sockets) {
      const probe = ctx.inp.shimProbes?.find((p) => p.socketPath === sock.path);
      const refused = probe && !probe.ok && /refused|ENOENT|ECONNREFUSED/i.test(probe.error ?? '');
      if (!deadSockets.has(sock.path) && !refused) continue;
      facts.push({
        kind: 'stale-shim-socket',
        message: `shim socket ${sock.path} ${refused ? 'refuses connections' : 'belongs to a dead shim'}${sock.referenced ? '' : ' and no task bundle names it'}`,
        subject: { path: sock.path },
        evidence: evidence({ socket: sock.path, referencedByBundle: sock.referenced, probeError: probe?.error }),
      });
    }
    return facts;
  },
};
