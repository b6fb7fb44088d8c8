// The containerd daemon the stack resolved to, from /proc: state, uptime, threads, fds against
// its limit, wait channel.
import { readdirSync, readFileSync } from 'node:fs';
import type { ContainerdProcessView } from '../../snapshot/types/index.ts';
import { skip, type Probe } from '../probe.ts';

export const containerdProcess: Probe<'containerd.process', ContainerdProcessView> = {
  name: 'containerd.process',
  needs: ['proc'],
  budget: 'call',
  run(ctx, got) {
    const pid = ctx.stack.containerdPid;
    if (!pid) skip(`no containerd process serves ${ctx.stack.address}`);
    const p = got.data('proc')?.processes.find((x) => x.pid === pid);
    if (!p) skip(`containerd pid ${pid} is not in the process table (exited?)`);
    const root = got.data('proc')!.procRoot;
    let fds: number | undefined;
    let fdLimit: number | undefined;
    try {
      fds = p.fdCount ?? readdirSync(`${root}/${pid}/fd`).length;
      const lim = /^Max open files\s+(\d+)/m.exec(readFileSync(`${root}/${pid}/limits`, 'utf8'));
      fdLimit = lim ? Number(lim[1]) : undefined;
    } catch {
      // not readable (not root, or gone): leave unknown
    }
    const wchan = p.wchan;
    return { pid: p.pid, state: p.state, uptimeSec: p.ageSec, argv: p.cmdline, threads: p.threads, rssKb: p.rssKb, fds, fdLimit, wchan };
  },
};
