// The node under the stack (the 60-second checklist as rules): load, memory, pressure, limits,
// D-state tasks, frozen cgroups, and the kernel log table (OOM kills of runtime processes, hung
// tasks). Half of the "runtime" bugs in the field are kernel, cgroup or limit problems. The
// text and thresholds are in rules/node.json and rules/kernel-log.json.
import type { FindingSubject, LogScan, NodeView, ProbeResult, Snapshot, TreeProcess } from '../snapshot/types/index.ts';
import { defineRules, maybe, need, numberParam, patternParam, type Hit, type Rule, type RuleCode } from './rule.ts';
import { rulesFromLogTable } from './logs.ts';
import { kernelLogRuleTable, nodeTable } from './tables.ts';
import { dStateConfirmed } from './process-state.ts';
import { STACK_ROLES } from './processes.ts';

const node = (s: Snapshot): NodeView => need(s.node, 'node facts');
const pct = (a: number, b: number): string => `${((100 * a) / b).toFixed(1)}%`;

const loadRule: RuleCode = {
  id: 'NODE_LOAD_HIGH',
  // load over warnPerCpu x CPUs; critical over criticalPerCpu x CPUs with the 15-minute load over warnPerCpu x too
  params: { warnPerCpu: 'number', criticalPerCpu: 'number' },
  check(s, rule) {
    const n = node(s);
    const warn = numberParam(rule, 'warnPerCpu') * n.cpus;
    if (n.loadavg[0] <= warn) return { hits: [] };
    return {
      hits: [{
        summary: `load ${n.loadavg[0]} on ${n.cpus} CPU(s)`,
        severity: n.loadavg[0] > numberParam(rule, 'criticalPerCpu') * n.cpus && n.loadavg[2] > warn ? 'critical' : 'warning',
        evidence: [`/proc/loadavg: ${n.loadavg.join(' ')}`, `cpus: ${n.cpus}`, `tasks in D state: ${n.dStateTasks.length}`],
      }],
    };
  },
};

const memoryRule: RuleCode = {
  id: 'NODE_MEMORY_LOW',
  params: { availableBelowFraction: 'number' },
  check(s, rule) {
    const n = node(s);
    if (!n.memTotalKb || n.memAvailableKb >= numberParam(rule, 'availableBelowFraction') * n.memTotalKb) return { hits: [] };
    return { hits: [{ summary: `${pct(n.memAvailableKb, n.memTotalKb)} of memory available (${Math.round(n.memAvailableKb / 1024)} MiB of ${Math.round(n.memTotalKb / 1024)} MiB)`, evidence: [`MemTotal: ${n.memTotalKb} kB`, `MemAvailable: ${n.memAvailableKb} kB`] }] };
  },
};

const psiRule: RuleCode = {
  id: 'NODE_PRESSURE_HIGH',
  // avg60 percentages of time stalled: some tasks on CPU, all tasks on memory or I/O
  params: { cpuSomeAvg60: 'number', memoryFullAvg60: 'number', ioFullAvg60: 'number' },
  check(s, rule) {
    const n = node(s);
    if (!n.psi) return { skipped: 'the kernel has no PSI (/proc/pressure)' };
    const hits: Hit[] = [];
    const cpu = n.psi.cpu?.some.avg60;
    if (cpu !== undefined && cpu >= numberParam(rule, 'cpuSomeAvg60')) hits.push({ summary: `CPU: some tasks stalled ${cpu}% of the last minute`, evidence: [`/proc/pressure/cpu some avg10=${n.psi.cpu!.some.avg10} avg60=${cpu} avg300=${n.psi.cpu!.some.avg300}`] });
    for (const r of ['memory', 'io'] as const) {
      const full = n.psi[r]?.full;
      if (full && full.avg60 >= numberParam(rule, `${r}FullAvg60`)) hits.push({ summary: `${r}: all tasks stalled ${full.avg60}% of the last minute`, evidence: [`/proc/pressure/${r} full avg10=${full.avg10} avg60=${full.avg60} avg300=${full.avg300}`] });
    }
    return { hits };
  },
};

const LIMIT_PARAMS = { warnAtFraction: 'number', criticalAtFraction: 'number' } as const;

/** warning from warnAtFraction of a limit, critical from criticalAtFraction */
function nearLimit(rule: Rule, used: number, max: number): Hit['severity'] | undefined {
  if (max <= 0 || used < numberParam(rule, 'warnAtFraction') * max) return undefined;
  return used >= numberParam(rule, 'criticalAtFraction') * max ? 'critical' : 'warning';
}

function nearLimitRule(id: string, measure: (n: NodeView) => { used: number; max: number; what: string; evidence: string[] } | undefined): RuleCode {
  return {
    id,
    params: LIMIT_PARAMS,
    check(s, rule) {
      const m = measure(node(s));
      if (!m) return { skipped: 'the numbers are not available here' };
      const severity = nearLimit(rule, m.used, m.max);
      if (!severity) return { hits: [] };
      return { hits: [{ summary: `${m.what}: ${m.used} of ${m.max} (${pct(m.used, m.max)})`, severity, evidence: m.evidence }] };
    },
  };
}

const fileHandlesRule = nearLimitRule('NODE_FILE_HANDLES',
  (n) => n.fileNr && { used: n.fileNr.allocated, max: n.fileNr.max, what: 'file handles allocated', evidence: [`/proc/sys/fs/file-nr: ${n.fileNr.allocated} allocated, max ${n.fileNr.max}`] });

const pidsRule = nearLimitRule('NODE_PIDS',
  (n) => (n.pidMax && n.threadCount !== undefined ? { used: n.threadCount, max: n.pidMax, what: 'threads', evidence: [`threads (from /proc/loadavg): ${n.threadCount}`, `processes: ${n.processCount ?? '?'}`, `kernel.pid_max: ${n.pidMax}`] } : undefined));

const inotifyRule: RuleCode = {
  id: 'NODE_INOTIFY_INSTANCES',
  params: LIMIT_PARAMS,
  check(s, rule) {
    const n = node(s);
    if (!n.inotify) return { skipped: 'fs.inotify.max_user_instances is not readable here' };
    const { maxUserInstances: max, byUser, byProcess, sampled } = n.inotify;
    const hits: Hit[] = [];
    for (const u of byUser) {
      const severity = nearLimit(rule, u.count, max);
      if (!severity) continue;
      hits.push({
        summary: `uid ${u.uid} holds ${u.count} inotify instances of ${max} allowed`,
        severity,
        evidence: [`fs.inotify.max_user_instances: ${max}`, `sampled: ${sampled}`, ...byProcess.filter((p) => p.uid === u.uid).slice(0, 8).map((p) => `pid ${p.pid} (${p.comm}): ${p.count}`)],
      });
    }
    return { hits };
  },
};

/** The stack's processes whose D their own rules report: shims, pause, runc (*_PROCESS_STATE) and our containerd (CONTAINERD_PROCESS). */
function stackPids(s: Snapshot): Set<number> {
  const ours = maybe(s.containerd.process)?.pid;
  const reported = (maybe(s.tree)?.processes ?? []).filter((t) => (t.role === 'containerd' ? t.pid === ours : STACK_ROLES.includes(t.role)));
  return new Set(reported.map((t) => t.pid));
}

/** Another containerd's processes (or another runc root's): that containerd's doctor judges them. */
function foreignPids(s: Snapshot): Set<number> {
  return new Set(maybe(s.tree)?.foreignPids ?? []);
}

const dStateRule: RuleCode = {
  id: 'NODE_D_STATE_TASKS',
  // commands whose D is critical; at most `shown` tasks become hits
  params: { criticalComm: 'pattern', shown: 'number' },
  check(s, rule) {
    const n = node(s);
    const stack = stackPids(s);
    const foreign = foreignPids(s);
    // D for milliseconds is normal work: a task the process scan saw in another state (or not at
    // all) was only passing through; without a process scan one read has to do
    const tasks = n.dStateTasks.filter((t) => !stack.has(t.pid) && !foreign.has(t.pid) && dStateConfirmed(s, t.pid) !== false);
    return {
      hits: tasks.slice(0, numberParam(rule, 'shown')).map((t) => {
        // newer kernels freeze without __refrigerator on the stack: also join with the frozen cgroups
        const inFrozen = n.frozenCgroups.find((c) => c.pids.includes(t.pid));
        const frozen = inFrozen || t.kernelStack?.some((f) => f.includes('refrigerator'));
        return {
          summary: `pid ${t.pid} (${t.comm}) is in D state${t.wchan ? ` in ${t.wchan}` : ''}${frozen ? ': its cgroup is frozen' : ''}`,
          subject: { pid: t.pid },
          severity: patternParam(rule, 'criticalComm').test(t.comm) ? 'critical' : 'warning',
          evidence: [`/proc/${t.pid}/stat state: D`, ...(t.wchan ? [`wchan: ${t.wchan}`] : []), ...(inFrozen ? [`in frozen cgroup ${inFrozen.path} (${inFrozen.state})`] : []), ...(t.kernelStack ?? ['kernel stack: not readable (not root?)']).slice(0, 12).map((f) => `stack: ${f}`)],
          vars: { pid: t.pid },
        };
      }),
    };
  },
};

/** The pod and container a frozen cgroup's processes belong to, from the tree. */
function frozenOwner(s: Snapshot, pids: number[]): Pick<FindingSubject, 'pod' | 'podSandboxId' | 'container' | 'containerId'> {
  const byPid = new Map((maybe(s.tree)?.processes ?? []).map((t) => [t.pid, t]));
  const owner: TreeProcess | undefined = pids.map((pid) => byPid.get(pid)).find((t) => t?.pod);
  const pod = owner?.pod?.namespace && owner.pod.name ? `${owner.pod.namespace}/${owner.pod.name}` : undefined;
  const container = owner?.container?.type === 'sandbox' ? '(sandbox)' : owner?.container?.name;
  return {
    ...(owner?.pod ? { pod, podSandboxId: owner.pod.sandboxId } : {}),
    ...(owner?.container ? { container, containerId: owner.container.id } : {}),
  };
}

const frozenRule: RuleCode = {
  id: 'NODE_FROZEN_CGROUP',
  // cgroups under this pattern are pods' (critical); at most `shown` become hits
  params: { podCgroup: 'pattern', shown: 'number' },
  check(s, rule) {
    const n = node(s);
    const foreign = foreignPids(s);
    // a cgroup whose every process is another containerd's is that containerd's to judge (Docker
    // pauses its containers with the freezer)
    const ours = n.frozenCgroups.filter((c) => !(c.pids.length && c.pids.every((pid) => foreign.has(pid))));
    return {
      hits: ours.slice(0, numberParam(rule, 'shown')).map((c): Hit => {
        const owner = frozenOwner(s, c.pids);
        const who = owner.pod ? `pod ${owner.pod}${owner.container ? ` container ${owner.container}` : ''}: ` : '';
        return {
          summary: `${who}${c.path} is ${c.state} with ${c.pids.length} process(es)`,
          subject: { path: c.path, pid: c.pids[0], ...owner },
          severity: patternParam(rule, 'podCgroup').test(c.path) ? 'critical' : 'warning',
          evidence: [`${c.path}: ${c.state}`, `pids: ${c.pids.join(', ') || 'none'}`],
          vars: { cgroup: c.path },
          variant: c.state.includes('cgroup.freeze') ? 'cgroupV2' : undefined,
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

export const kernelLogRules: Rule[] = rulesFromLogTable(kernelLogRuleTable.patterns, kernelLogProbe, 'the kernel log');

export const nodeRules: Rule[] = [
  ...defineRules(nodeTable, [loadRule, memoryRule, psiRule, fileHandlesRule, pidsRule, inotifyRule, dStateRule, frozenRule]),
  ...kernelLogRules,
];
