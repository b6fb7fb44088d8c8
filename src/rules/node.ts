// The node under the stack (the 60-second checklist as rules): load, memory, pressure, limits,
// D-state tasks, frozen cgroups, and the kernel log table (OOM kills of runtime processes, hung
// tasks). Half of the "runtime" bugs in the field are kernel, cgroup or limit problems.
import type { LogScan, NodeView, ProbeResult, Snapshot } from '../snapshot/types/index.ts';
import { kernelLogTable } from '../sources/logs/tables.ts';
import { maybe, need, type Hit, type Rule } from './rule.ts';
import { rulesFromLogTable } from './logs.ts';

const node = (s: Snapshot): NodeView => need(s.node, 'node facts');
const pct = (a: number, b: number): string => `${((100 * a) / b).toFixed(1)}%`;

const loadRule: Rule = {
  id: 'NODE_LOAD_HIGH',
  layer: 'node',
  severity: 'warning',
  title: 'Load is over twice the number of CPUs',
  explanation: 'The 1-minute load counts runnable tasks and tasks in uninterruptible sleep (D). Far above the CPU count, containerd, shims and kubelet wait for a CPU (or for I/O): every CRI call slows down and deadlines start to fire.',
  nextStep: 'top -b -n1 | head -20 ; vmstat 1 5  # CPU-bound (us/sy high) or waiting on I/O (wa, b column)?',
  references: [],
  check(s) {
    const n = node(s);
    if (n.loadavg[0] <= 2 * n.cpus) return { hits: [] };
    return {
      hits: [{
        summary: `load ${n.loadavg[0]} on ${n.cpus} CPU(s)`,
        severity: n.loadavg[0] > 4 * n.cpus && n.loadavg[2] > 2 * n.cpus ? 'critical' : 'warning',
        evidence: [`/proc/loadavg: ${n.loadavg.join(' ')}`, `cpus: ${n.cpus}`, `tasks in D state: ${n.dStateTasks.length}`],
      }],
    };
  },
};

const memoryRule: Rule = {
  id: 'NODE_MEMORY_LOW',
  layer: 'node',
  severity: 'critical',
  title: 'Less than 5% of memory is available',
  explanation: 'With almost no MemAvailable the kernel reclaims hard and the OOM killer is near; shims get containerd\'s oom_score_adj + 1 and are among the first to go, taking their pods with them.',
  nextStep: 'free -m ; ps -eo pid,rss,comm --sort=-rss | head',
  references: ['https://github.com/containerd/containerd/pull/3380'],
  check(s) {
    const n = node(s);
    if (!n.memTotalKb || n.memAvailableKb >= 0.05 * n.memTotalKb) return { hits: [] };
    return { hits: [{ summary: `${pct(n.memAvailableKb, n.memTotalKb)} of memory available (${Math.round(n.memAvailableKb / 1024)} MiB of ${Math.round(n.memTotalKb / 1024)} MiB)`, evidence: [`MemTotal: ${n.memTotalKb} kB`, `MemAvailable: ${n.memAvailableKb} kB`] }] };
  },
};

/** PSI thresholds (avg60, percent of time stalled) */
export const PSI_LIMITS = { cpu: { some: 50 }, memory: { full: 10 }, io: { full: 20 } } as const;

const psiRule: Rule = {
  id: 'NODE_PRESSURE_HIGH',
  layer: 'node',
  severity: 'warning',
  title: 'The node is stalled on CPU, memory or I/O (PSI)',
  explanation: 'Pressure stall information says how much of the last minute tasks waited for a resource: some tasks for CPU, all tasks at once for memory or I/O. Sustained, it slows every runtime call.',
  nextStep: 'cat /proc/pressure/cpu /proc/pressure/memory /proc/pressure/io ; iostat -xz 1 3 ; vmstat 1 5',
  references: [],
  check(s) {
    const n = node(s);
    if (!n.psi) return { skipped: 'the kernel has no PSI (/proc/pressure)' };
    const hits: Hit[] = [];
    const cpu = n.psi.cpu?.some.avg60;
    if (cpu !== undefined && cpu >= PSI_LIMITS.cpu.some) hits.push({ summary: `CPU: some tasks stalled ${cpu}% of the last minute`, evidence: [`/proc/pressure/cpu some avg10=${n.psi.cpu!.some.avg10} avg60=${cpu} avg300=${n.psi.cpu!.some.avg300}`] });
    for (const r of ['memory', 'io'] as const) {
      const full = n.psi[r]?.full;
      if (full && full.avg60 >= PSI_LIMITS[r].full) hits.push({ summary: `${r}: all tasks stalled ${full.avg60}% of the last minute`, evidence: [`/proc/pressure/${r} full avg10=${full.avg10} avg60=${full.avg60} avg300=${full.avg300}`] });
    }
    return { hits };
  },
};

function nearLimitRule(id: string, title: string, explanation: string, nextStep: string, references: string[],
  measure: (n: NodeView) => { used: number; max: number; what: string; evidence: string[] } | undefined): Rule {
  return {
    id, layer: 'node', severity: 'critical', title, explanation, nextStep, references,
    check(s) {
      const m = measure(node(s));
      if (!m) return { skipped: 'the numbers are not available here' };
      if (m.max <= 0 || m.used < 0.8 * m.max) return { hits: [] };
      return { hits: [{ summary: `${m.what}: ${m.used} of ${m.max} (${pct(m.used, m.max)})`, severity: m.used >= 0.9 * m.max ? 'critical' : 'warning', evidence: m.evidence }] };
    },
  };
}

const fileHandlesRule = nearLimitRule('NODE_FILE_HANDLES', 'File handles are near fs.file-max',
  'When the node runs out of file handles every open() fails: shims cannot start ("too many open files"), containerd cannot accept connections.',
  'cat /proc/sys/fs/file-nr ; for p in /proc/[0-9]*; do echo "$(ls $p/fd 2>/dev/null | wc -l) $(cat $p/comm)"; done | sort -n | tail',
  ['https://github.com/containerd/containerd/issues/12510', 'https://github.com/containerd/cri/issues/448'],
  (n) => n.fileNr && { used: n.fileNr.allocated, max: n.fileNr.max, what: 'file handles allocated', evidence: [`/proc/sys/fs/file-nr: ${n.fileNr.allocated} allocated, max ${n.fileNr.max}`] });

const pidsRule = nearLimitRule('NODE_PIDS', 'Threads are near pid_max',
  'Every thread takes a pid. Near kernel.pid_max, fork and clone fail: runc cannot start containers, shims cannot spawn, Go runtimes panic on thread creation. Leaked shims (thousands of threads) are a known cause.',
  'ps -eLf | wc -l ; ps -eo nlwp,pid,comm --sort=-nlwp | head',
  ['https://github.com/siderolabs/talos/issues/13622', 'https://github.com/containerd/containerd/issues/12510'],
  (n) => (n.pidMax && n.threadCount !== undefined ? { used: n.threadCount, max: n.pidMax, what: 'threads', evidence: [`threads (from /proc/loadavg): ${n.threadCount}`, `processes: ${n.processCount ?? '?'}`, `kernel.pid_max: ${n.pidMax}`] } : undefined));

const inotifyRule: Rule = {
  id: 'NODE_INOTIFY_INSTANCES',
  layer: 'node',
  severity: 'critical',
  title: 'inotify instances are near fs.inotify.max_user_instances',
  explanation: 'The limit is per user and often 128. Each containerd shim on cgroup v2 holds inotify instances for OOM watching, and kubelet, log shippers and apps need their own: at the limit, "failed to create fsnotify watcher: too many open files".',
  nextStep: 'find /proc/*/fd -lname anon_inode:inotify 2>/dev/null | cut -d/ -f3 | xargs -I{} ps --no-headers -o comm= -p {} | sort | uniq -c | sort -nr | head ; sysctl -w fs.inotify.max_user_instances=8192',
  references: ['https://github.com/containerd/containerd/issues/5670', 'https://github.com/containerd/containerd/issues/10468', 'https://github.com/containerd/containerd/pull/11652'],
  check(s) {
    const n = node(s);
    if (!n.inotify) return { skipped: 'fs.inotify.max_user_instances is not readable here' };
    const max = n.inotify.maxUserInstances;
    const hits: Hit[] = [];
    for (const u of n.inotify.byUser) {
      if (u.count < 0.8 * max) continue;
      hits.push({
        summary: `uid ${u.uid} holds ${u.count} inotify instances of ${max} allowed`,
        severity: u.count >= 0.9 * max ? 'critical' : 'warning',
        evidence: [
          `fs.inotify.max_user_instances: ${max}`,
          `sampled: ${n.inotify.sampled}`,
          ...n.inotify.byProcess.filter((p) => p.uid === u.uid).slice(0, 8).map((p) => `pid ${p.pid} (${p.comm}): ${p.count}`),
        ],
      });
    }
    return { hits };
  },
};

const dStateRule: Rule = {
  id: 'NODE_D_STATE_TASKS',
  layer: 'node',
  severity: 'warning',
  title: 'Tasks are stuck in uninterruptible sleep (D)',
  explanation: 'A task in D waits inside the kernel and cannot be killed: on storage, NFS, or a frozen cgroup (its kernel stack then starts in __refrigerator). runc init or a shim in D blocks its pod; containerd in D blocks the node.',
  nextStep: 'cat /proc/<pid>/stack ; cat /proc/<pid>/cgroup  # then the freezer.state of that cgroup, or the device it waits on',
  references: ['https://github.com/opencontainers/runc/issues/2753', 'https://github.com/opencontainers/runc/issues/3904'],
  check(s) {
    const n = node(s);
    const runtime = /^(?:containerd|runc|kubelet)/;
    return {
      hits: n.dStateTasks.slice(0, 10).map((t) => {
        // newer kernels freeze without __refrigerator on the stack: also join with the frozen cgroups
        const inFrozen = n.frozenCgroups.find((c) => c.pids.includes(t.pid));
        const frozen = inFrozen || t.kernelStack?.some((f) => f.includes('refrigerator'));
        return {
          summary: `pid ${t.pid} (${t.comm}) is in D state${t.wchan ? ` in ${t.wchan}` : ''}${frozen ? ': its cgroup is frozen' : ''}`,
          subject: { pid: t.pid },
          severity: runtime.test(t.comm) ? 'critical' : 'warning',
          evidence: [`/proc/${t.pid}/stat state: D`, ...(t.wchan ? [`wchan: ${t.wchan}`] : []), ...(inFrozen ? [`in frozen cgroup ${inFrozen.path} (${inFrozen.state})`] : []), ...(t.kernelStack ?? ['kernel stack: not readable (not root?)']).slice(0, 12).map((f) => `stack: ${f}`)],
          nextStep: `cat /proc/${t.pid}/stack /proc/${t.pid}/cgroup`,
        };
      }),
    };
  },
};

const frozenRule: Rule = {
  id: 'NODE_FROZEN_CGROUP',
  layer: 'node',
  severity: 'critical',
  title: 'A cgroup is frozen',
  explanation: 'Every task in a frozen cgroup stops (D, __refrigerator) and even SIGKILL waits. With the systemd cgroup driver on cgroup v1, systemd freezes a container\'s cgroup while it applies device rules and can leave it FROZEN: runc then refuses with "container\'s cgroup unexpectedly frozen" and the pod cannot start or stop. A container paused on purpose (ctr task pause) is frozen too.',
  nextStep: 'grep -R FROZEN /sys/fs/cgroup/freezer/ --include=freezer.state ; if nobody paused it on purpose: echo THAWED > <dir>/freezer.state (v2: echo 0 > <dir>/cgroup.freeze)',
  references: ['https://github.com/opencontainers/runc/issues/2753', 'https://github.com/opencontainers/runc/pull/3081', 'https://github.com/kubernetes/kubernetes/issues/104280', 'https://github.com/containerd/containerd/issues/8102'],
  check(s) {
    const n = node(s);
    // whose processes they are: the tree knows each pid's pod and container
    const byPid = new Map((maybe(s.tree)?.processes ?? []).map((t) => [t.pid, t]));
    return {
      hits: n.frozenCgroups.slice(0, 10).map((c) => {
        const owner = c.pids.map((pid) => byPid.get(pid)).find((t) => t?.pod);
        const pod = owner?.pod?.namespace && owner.pod.name ? `${owner.pod.namespace}/${owner.pod.name}` : undefined;
        const container = owner?.container?.type === 'sandbox' ? '(sandbox)' : owner?.container?.name;
        return {
          summary: `${pod ? `pod ${pod}${container ? ` container ${container}` : ''}: ` : ''}${c.path} is ${c.state} with ${c.pids.length} process(es)`,
          subject: {
            path: c.path, pid: c.pids[0],
            ...(owner?.pod ? { pod, podSandboxId: owner.pod.sandboxId } : {}),
            ...(owner?.container ? { container, containerId: owner.container.id } : {}),
          },
          severity: /kubepods|k8s\.io|cri-containerd/.test(c.path) ? 'critical' : 'warning',
          evidence: [`${c.path}: ${c.state}`, `pids: ${c.pids.join(', ') || 'none'}`],
          nextStep: c.state.includes('cgroup.freeze') ? `cat ${c.path}/cgroup.procs ; echo 0 > ${c.path}/cgroup.freeze  # if it was not paused on purpose` : `cat ${c.path}/cgroup.procs ; echo THAWED > ${c.path}/freezer.state  # if it was not paused on purpose`,
        };
      }),
    };
  },
};

/** The kernel log inside the node probe, as a probe of its own for the log-table rules. */
export function kernelLogProbe(s: Snapshot): ProbeResult<LogScan> {
  const p = s.node;
  if (p.status !== 'ok' || !p.data) return { ...p, data: undefined } as ProbeResult<LogScan>;
  if (!p.data.kernelLog) return { probe: 'node.kernelLog', status: 'skipped', durationMs: 0, message: p.data.notes.find((x) => /kernel log|kmsg|dmesg/.test(x)) ?? 'the kernel log was not read' };
  return { probe: 'node.kernelLog', status: 'ok', durationMs: p.durationMs, data: p.data.kernelLog };
}

export const kernelLogRules: Rule[] = rulesFromLogTable(kernelLogTable(), kernelLogProbe, 'the kernel log');

export const nodeRules: Rule[] = [loadRule, memoryRule, psiRule, fileHandlesRule, pidsRule, inotifyRule, dStateRule, frozenRule, ...kernelLogRules];
