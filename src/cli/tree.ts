// `ctrdoc tree`: ps aux --forest for the containerd stack, every process placed in its pod and
// container, with the facts the doctor judges. Also the input gathering `shims` and `runc` share.
import type { CliIO, Command } from './command.ts';
import { out } from './command.ts';
import { outputFlags, outputFormat, parseFlags, stackFlags, stackFlagsUsage, timeoutMs } from './flags.ts';
import { parseDuration, withDeadline } from '../deadline.ts';
import { CtrdocError } from '../errors.ts';
import { renderStructured } from '../report/structured.ts';
import { renderTable, truncateId as truncateAny } from '../report/table.ts';

/** crictl cuts 64-hex ids to 13 characters; other names (a hand-made runc id) stay whole. */
const truncateId = (id: string, noTrunc = false): string => (/^[0-9a-f]{64}$/.test(id) ? truncateAny(id, noTrunc) : id);
import type { ContainerDetail, StackLocation, TaskView } from '../snapshot/types/index.ts';
import type { ProcTable } from '../snapshot/types/proc.ts';
import type { RuncRootView, TaskBundleView } from '../snapshot/types/runc.ts';
import type { ProcessTreeView, TreeFact, TreeProcess } from '../snapshot/types/tree.ts';
import type { CriInputs } from '../tree/identities.ts';
import type { TreeInputs } from '../tree/build.ts';

export interface GatherOptions {
  flags: Record<string, string | boolean | undefined>;
  timeoutMs: number;
  /** ask CRI and containerd (off: /proc and files only) */
  apis?: boolean;
  /** ttrpc Connect to every shim socket */
  probeShims?: boolean;
  /** two-sample %CPU window for shims, ms (0: lifetime only) */
  cpuSampleMs?: number;
  all?: boolean;
  stuckInitSec?: number;
}

export interface Gathered {
  stack: StackLocation;
  inputs: TreeInputs;
  /** what could not be asked, one line each (stderr) */
  problems: string[];
}

/** One /proc scan, stack discovery, then runc root, task bundles, CRI, tasks and shim probes in parallel, each under the deadline. */
export async function gatherTreeInputs(o: GatherOptions): Promise<Gathered> {
  const [{ scanProcesses, sampleRecentCpu, isShimProcess }, { resolveStack, refineFromCri }, { readRuncRoot }, { readTaskBundles }] = await Promise.all([
    import('../sources/proc/scan.ts'),
    import('../sources/containerd/discover.ts'),
    import('../sources/runc/state.ts'),
    import('../sources/runc/bundles.ts'),
  ]);
  let proc: ProcTable;
  try {
    proc = scanProcesses({ cmdlines: o.all ? 'all' : 'stack' });
  } catch (err) {
    throw CtrdocError.from(err, 'reading /proc');
  }
  const discovered = resolveStack(o.flags as never, o.timeoutMs, process.env, proc.processes);
  const problems: string[] = [...discovered.notes];
  let runc: RuncRootView = readRuncRoot(discovered.runcRoot);
  let bundles: TaskBundleView = readTaskBundles(discovered.stateDir, discovered.namespace);
  const ms = o.timeoutMs;
  // the running CRI plugin's verbose Status: where runc and the bundles really are
  let criInfo: Record<string, unknown> | undefined;

  const criJob = o.apis === false ? Promise.resolve(undefined) : (async (): Promise<CriInputs | undefined> => {
    const { openCri } = await import('../sources/cri/client.ts');
    const c = openCri(discovered.runtimeEndpoint, { timeoutMs: ms });
    try {
      const status = c.status(true).then((st) => { criInfo = st.info; }, () => undefined);
      const [pods, containers] = await withDeadline(Promise.all([c.listPodSandbox(), c.listContainers()]), ms, `CRI list on ${discovered.runtimeEndpoint}`);
      await withDeadline(status, ms, 'CRI Status').catch(() => undefined);
      const details = await Promise.all(containers.map((x) =>
        withDeadline(c.containerStatus(x.id, true), ms, `CRI ContainerStatus ${x.id.slice(0, 13)}`).catch((err: Error) => {
          problems.push(`cri: ${err.message}`);
          return undefined;
        })));
      return { pods, containers, containerDetails: details.filter((d): d is ContainerDetail => !!d) };
    } catch (err) {
      problems.push(`cri: ${CtrdocError.from(err).message} (pods and containers not joined by CRI)`);
      return undefined;
    } finally {
      c.close();
    }
  })();
  const tasksJob = o.apis === false ? Promise.resolve(undefined) : (async (): Promise<TaskView[] | undefined> => {
    const { openContainerd } = await import('../sources/containerd/client.ts');
    const c = openContainerd(discovered.address, { namespace: discovered.namespace, timeoutMs: ms });
    try {
      return await withDeadline(c.listTasks(), ms, `containerd Tasks.List on ${discovered.address}`);
    } catch (err) {
      problems.push(`containerd: ${CtrdocError.from(err).message} (tasks not joined)`);
      return undefined;
    } finally {
      c.close();
    }
  })();
  const { probeShimSockets } = await import('../sources/shim/probe.ts');
  const probesJob = !o.probeShims ? Promise.resolve(undefined) : probeShimSockets(bundles, ms);
  const cpuJob = o.cpuSampleMs ? sampleRecentCpu(proc, proc.processes.filter((p) => isShimProcess(p)).map((p) => p.pid), o.cpuSampleMs) : Promise.resolve();
  let [cri, tasks, shimProbes] = await Promise.all([criJob, tasksJob, probesJob, cpuJob]);
  // read again where the running CRI plugin says runc and the bundles are, if not where we looked
  const located = refineFromCri(discovered, criInfo);
  problems.push(...located.notes.slice(discovered.notes.length));
  if (located.runcRoot !== discovered.runcRoot) runc = readRuncRoot(located.runcRoot);
  if (located.stateDir !== discovered.stateDir) {
    bundles = readTaskBundles(located.stateDir, located.namespace);
    shimProbes = o.probeShims ? await probeShimSockets(bundles, ms) : undefined;
  }
  if (runc.error) problems.push(`runc: ${runc.error}`);
  if (bundles.error) problems.push(`bundles: ${bundles.error}`);
  return {
    stack: located,
    problems,
    inputs: {
      proc, runc, bundles, cri, tasks, shimProbes,
      containerdPid: located.containerdPid, containerdAddress: located.address,
      all: o.all, stuckInitSec: o.stuckInitSec,
    },
  };
}


/** Builds the tree; processes it shows whose argv the scan skipped (orphans outside any shim) get it read, then it is rebuilt. */
export async function buildTreeView(g: Gathered): Promise<ProcessTreeView> {
  const [{ buildProcessTree }, { fillCmdlines }] = await Promise.all([import('../tree/build.ts'), import('../sources/proc/scan.ts')]);
  const view = buildProcessTree(g.inputs);
  const byPid = new Map(g.inputs.proc.processes.map((p) => [p.pid, p]));
  const missing = new Set(view.processes.filter((t) => {
    const p = byPid.get(t.pid);
    return p && !p.cmdline.length && !p.kernelThread && p.state !== 'Z';
  }).map((t) => t.pid));
  if (!missing.size) return view;
  fillCmdlines(g.inputs.proc.procRoot, g.inputs.proc.processes, missing);
  return buildProcessTree(g.inputs);
}

/** "42s", "5m", "3h", "2d" */
export function shortAge(sec: number): string {
  if (sec < 60) return `${Math.floor(sec)}s`;
  if (sec < 3600) return `${Math.floor(sec / 60)}m`;
  if (sec < 86400 * 2) return `${Math.floor(sec / 3600)}h`;
  return `${Math.floor(sec / 86400)}d`;
}

export function podLabel(p: Pick<TreeProcess, 'pod'>, noTrunc = false): string {
  if (!p.pod) return '-';
  if (p.pod.namespace && p.pod.name) return `${p.pod.namespace}/${p.pod.name}`;
  return truncateId(p.pod.sandboxId, noTrunc);
}

function containerLabel(t: TreeProcess, noTrunc: boolean): string {
  if (!t.container) return '-';
  if (t.container.type === 'sandbox') return '(sandbox)';
  const name = t.container.name ?? truncateId(t.container.id, noTrunc);
  return t.container.attempt !== undefined ? `${name}#${t.container.attempt}` : name;
}

function roleLabel(t: TreeProcess): string {
  if (t.role === 'runc' && t.runcAction) return `runc ${t.runcAction}`;
  if (t.role === 'shim' && t.shim?.action) return `shim ${t.shim.action}`;
  return t.role;
}

/** Processes of one pod (name, ns/name or sandbox id prefix), with the containerd rows above them. */
export function filterByPod(view: ProcessTreeView, pod: string): ProcessTreeView {
  const match = (p?: { namespace?: string; name?: string; sandboxId: string }): boolean =>
    !!p && (p.name === pod || `${p.namespace}/${p.name}` === pod || p.sandboxId.startsWith(pod));
  const processes = view.processes.filter((t) => t.role === 'containerd' || match(t.pod));
  return {
    ...view,
    processes,
    shims: view.shims.filter((s) => match(s.pod)),
    facts: view.facts.filter((f) => match(f.subject.pod)),
  };
}

export function renderTreeTable(view: ProcessTreeView, opts: { noHeaders?: boolean; noTrunc?: boolean } = {}): string {
  const rows = view.processes.map((t) => [
    t.pid, t.ppid, t.stat, (t.cpuPercentRecent ?? t.cpuPercent).toFixed(1), t.rssKb, t.threads, t.fds ?? '-', shortAge(t.ageSec),
    roleLabel(t), podLabel(t, opts.noTrunc), containerLabel(t, !!opts.noTrunc),
    `${t.depth ? '  '.repeat(t.depth - 1) + ' \\_ ' : ''}${opts.noTrunc ? t.command : t.command.slice(0, 160)}`,
  ]);
  return renderTable(['PID', 'PPID', 'STAT', '%CPU', 'RSS', 'THREADS', 'FDS', 'AGE', 'ROLE', 'POD', 'CONTAINER', 'COMMAND'], rows, { noHeaders: opts.noHeaders, padding: 2 });
}

export function renderFacts(facts: TreeFact[]): string {
  if (!facts.length) return '';
  const lines = ['', `FACTS (${facts.length})`];
  for (const f of facts) {
    lines.push(`  ${f.kind}: ${f.message}`);
    const ev = Object.entries(f.evidence).map(([k, v]) => `${k}=${v}`).join(' ');
    if (ev) lines.push(`    ${ev}`);
  }
  return lines.join('\n') + '\n';
}

export const gatherFlags = {
  ...stackFlags,
  ...outputFlags,
  'no-api': { type: 'boolean' },
  'stuck-after': { type: 'string' },
  'cpu-sample': { type: 'string' },
} as const;

export const gatherFlagsUsage = `      --no-api                 read /proc and files only; do not ask CRI or containerd
      --stuck-after DURATION   a runc init parked this long is stuck (default 60s)
${stackFlagsUsage}`;

const usage = `Usage: ctrdoc tree [flags]

The containerd stack as a process forest, like ps aux --forest: containerd, each shim (pod),
the pause process, app containers (name#attempt) and their children, runc and parked runc init
processes, orphans and zombies, each with its role. Then the facts the doctor judges (stuck runc
init, orphans, leaked runc containers, dead shims, outliers ...).

Flags:
      --pod NAME|NS/NAME|ID    only this pod
      --all                    every process on the node, not only the stack's
      --cpu-sample DURATION    also measure %CPU over this window (default: lifetime average, like ps)
  -o, --output FORMAT          table | json | yaml
      --no-headers             no header line
      --no-trunc               whole ids and commands
${gatherFlagsUsage}`;

const tree: Command = {
  summary: 'the process tree of containerd, shims, pods and containers, with roles and facts (like ps --forest)',
  usage,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values } = parseFlags(args, { ...gatherFlags, pod: { type: 'string' }, all: { type: 'boolean' } }, false);
    const format = outputFormat(values.output);
    const ms = timeoutMs(values.timeout);
    const g = await gatherTreeInputs({
      flags: values, timeoutMs: ms, apis: !values['no-api'], probeShims: !values['no-api'], all: values.all,
      cpuSampleMs: values['cpu-sample'] ? parseDuration(values['cpu-sample']) : 0,
      stuckInitSec: values['stuck-after'] ? parseDuration(values['stuck-after']) / 1000 : undefined,
    });
    for (const p of g.problems) io.stderr.write(`warning: ${p}\n`);
    let view = await buildTreeView(g);
    if (values.pod) view = filterByPod(view, values.pod);
    if (format === 'json' || format === 'yaml') {
      out(io, await renderStructured(view, format));
      return 0;
    }
    if (values.quiet) {
      out(io, view.processes.map((t) => t.pid).join('\n'));
      return 0;
    }
    io.stdout.write(renderTreeTable(view, { noHeaders: values['no-headers'], noTrunc: values['no-trunc'] }));
    io.stdout.write(renderFacts(view.facts));
    return 0;
  },
};

export default tree;
