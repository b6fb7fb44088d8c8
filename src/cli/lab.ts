// `ctrdoc lab`: a private containerd on this machine, with pods and faults on demand. It changes
// the node (processes, mounts, cgroups under the lab dir) and says so.
import type { CliIO, Command } from './command.ts';
import { out } from './command.ts';
import { parseFlags, outputFormat } from './flags.ts';
import { CtrdocError, EXIT_OK, EXIT_FAILED } from '../errors.ts';
import { DEFAULT_LAB_DIR, labPaths } from '../lab/paths.ts';
import { DEFAULT_LAB_VERSION, LAB_VERSION_ENV, LAB_VERSIONS, VERSION_TABLE, parseLabVersion, type LabVersion } from '../lab/containerd/versions.ts';
import { DEFAULT_CACHE_DIR } from '../lab/containerd/cache.ts';
import type { LabStatus } from '../lab/lab.ts';
import { parseDuration } from '../deadline.ts';

const usage = `Usage:
  ctrdoc lab up     [--dir DIR] [--pods N] [--containerd V]   start (or reuse) the lab; top up to N ready pods
  ctrdoc lab down   [--dir DIR]              stop everything the lab started and remove DIR
  ctrdoc lab status [--dir DIR] [-o json]    what is running: version, pids, sockets, pods
  ctrdoc lab versions [-o json]              the containerd versions the lab can run, and which are ready
  ctrdoc lab prepare [--containerd V|all]    fetch or build a version into the cache (no lab started)
  ctrdoc lab fault list                      the faults the lab can inject
  ctrdoc lab fault NAME [--pod P] [--dir DIR] inject a fault (see \`ctrdoc lab fault list\`)
  ctrdoc lab fault clear NAME|--all [--dir DIR]
  ctrdoc lab churn  [--dir DIR] [--rate R] [--for D] [-o json]
                        a busy healthy node: pods and containers created, started, exec'd, their
                        logs rotated, exiting 0, restarted and removed through CRI, R pods a second
                        (default 1, at most 5), for D or until SIGINT/SIGTERM; then prints the counts
  ctrdoc lab serve-pod [--dir DIR] [--executable FILE] [--port N] [--interval D]
                        build the DaemonSet's image from the single executable (npm run
                        build:binary), import it and run \`ctrdoc serve\` as a pod, as the DaemonSet does

The lab is a private containerd (its own root, state, sockets, runc root, cgroup parent and
debug-level log under DIR, default ${DEFAULT_LAB_DIR}) with the CRI plugin and host-network pods.
It changes this machine: it runs processes as root, mounts under DIR and creates cgroups.
\`up\` prints the flags (and writes DIR/env) that point every ctrdoc command at the lab.

--containerd V picks the containerd it runs (default $${LAB_VERSION_ENV}, else ${DEFAULT_LAB_VERSION}):
  1.6   Debian 12's installed containerd 1.6.20
  1.7   Debian 13 (trixie)'s containerd package, 2.1 Debian sid's: fetched with a private apt
        configuration (the system's apt sources are not touched), unpacked into ${DEFAULT_CACHE_DIR}
  seed  Debian 12's containerd source with the containerd#6772 fix reverted, built once into
        the same cache (a few minutes); only for the lab fault deadlock-6772
Each runs with its own shim and ctr (and Debian 12's runc), and a config in its own format
(version 2 for 1.x, 3 for 2.x) made from its own \`containerd config default\`. Every other lab
command works on the version the lab dir runs (lab.json).`;

const flagSpec = {
  dir: { type: 'string', short: 'd' },
  pods: { type: 'string' },
  output: { type: 'string', short: 'o' },
  pod: { type: 'string' },
  all: { type: 'boolean' },
  period: { type: 'string' },
  variant: { type: 'string' },
  attempt: { type: 'string' },
  timeout: { type: 'string', short: 't' },
  executable: { type: 'string' },
  port: { type: 'string' },
  interval: { type: 'string' },
  containerd: { type: 'string' },
  rate: { type: 'string' },
  for: { type: 'string' },
} as const;

function podsCount(v: string | undefined): number {
  if (v === undefined) return 0;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 500) throw new CtrdocError('invalid-argument', `--pods must be a whole number from 0 to 500, not "${v}"`);
  return n;
}

type LabValues = ReturnType<typeof parseFlags<typeof flagSpec>>['values'];
/** What each subcommand gets: its flags, the lab dir, the rest of the words, where to write. */
interface Sub { values: LabValues; dir: string; rest: string[]; io: CliIO; log: (l: string) => void }

async function up({ values, dir, io, log }: Sub): Promise<number> {
  const { labUp } = await import('../lab/lab.ts');
  const pods = podsCount(values.pods);
  if (values.containerd !== undefined) parseLabVersion(values.containerd);
  const r = await labUp({ dir, pods, containerd: values.containerd, log });
  out(io, `lab up at ${r.paths.dir}: containerd ${r.binaries.labVersion} (${r.binaries.binaryVersion}) pid ${r.record.containerd?.pid}, supervisor pid ${r.record.supervisor.pid}, ${r.readyPods} ready pods`);
  out(io, `export CONTAINER_RUNTIME_ENDPOINT=unix://${r.paths.socket}`);
  out(io, `flags: ${r.flags.join(' ')}`);
  out(io, `env file: ${r.paths.env}`);
  return EXIT_OK;
}

async function servePod({ values, dir, io, log }: Sub): Promise<number> {
  const { startServePod } = await import('../lab/serve-pod.ts');
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) throw new CtrdocError('invalid-argument', `--port must be 1-65535, not "${values.port}"`);
  const r = await startServePod({ dir, executable: values.executable, port, interval: values.interval, log });
  out(io, `serve pod ${r.podId.slice(0, 13)} (${r.image}) answers on ${r.url}/metrics`);
  return EXIT_OK;
}

async function down({ dir, io, log }: Sub): Promise<number> {
  const { labDown } = await import('../lab/lab.ts');
  const r = await labDown({ dir, log });
  const left = r.left.processes.length + r.left.mounts.length + r.left.cgroups.length;
  out(io, `lab down at ${r.dir}: removed ${r.removedPods} pods, killed ${r.killed.length} leftover processes, unmounted ${r.unmounted}` + (r.removedDir ? ', removed the dir' : ''));
  if (r.podErrors.length) io.stderr.write(`lab: pod removal errors:\n  ${r.podErrors.join('\n  ')}\n`);
  if (!left) return EXIT_OK;
  io.stderr.write(`lab: left behind: processes ${r.left.processes.join(',') || '-'}; mounts ${r.left.mounts.join(',') || '-'}; cgroups ${r.left.cgroups.join(',') || '-'}\n`);
  return EXIT_FAILED;
}

function statusText(io: CliIO, st: LabStatus): void {
  if (!st.exists) {
    out(io, `no lab at ${st.dir}`);
    return;
  }
  const c = st.containerd;
  out(io, `lab ${st.dir}`);
  out(io, `  supervisor  pid ${st.supervisor.pid ?? '-'} ${st.supervisor.alive ? 'running' : 'not running'}`);
  out(io, `  containerd  ${c.labVersion ?? '-'} (${c.version ?? 'version unknown'}) pid ${c.pid ?? '-'} ${c.alive ? `running (state ${c.state})` : 'not running'}`);
  out(io, `  CRI         ${st.cri.answered ? `${st.cri.readyPods}/${st.cri.pods} pods ready, ${st.cri.runningContainers}/${st.cri.containers} containers running` : `no answer: ${st.cri.error ?? 'containerd not running'}`}`);
  out(io, `  shims       ${st.shims.length} (${st.shims.join(' ') || '-'})`);
  for (const [s, ok] of Object.entries(st.sockets)) out(io, `  socket      ${s} ${ok ? 'present' : 'absent'}`);
  for (const [n, h] of Object.entries(st.helpers)) out(io, `  helper      ${n} pid ${h.pid} ${h.alive ? 'running' : 'exited'}`);
  out(io, `  cgroups     ${st.cgroups.length} controller dirs; mounts under dir: ${st.mounts}`);
  out(io, `  flags       ${st.flags.join(' ')}`);
}

async function status({ values, dir, io }: Sub): Promise<number> {
  const { labStatus } = await import('../lab/lab.ts');
  const st = await labStatus({ dir });
  const fmt = outputFormat(values.output);
  if (fmt === 'json') out(io, JSON.stringify(st, null, 2));
  else if (fmt === 'yaml') out(io, (await import('yaml')).stringify(st));
  else statusText(io, st);
  return EXIT_OK;
}

async function versions({ values, io }: Sub): Promise<number> {
  const { versionsReport } = await import('../lab/containerd/report.ts');
  const rows = versionsReport();
  if (outputFormat(values.output) === 'json') out(io, JSON.stringify(rows, null, 2));
  else {
    out(io, 'VERSION  READY  BINARY / WHERE IT COMES FROM');
    for (const r of rows) out(io, `${r.labVersion.padEnd(7)}  ${(r.ready ? 'yes' : 'no').padEnd(5)}  ${r.ready ? `${r.binaryVersion} at ${r.containerd}` : r.title}${r.note ? ` (${r.note})` : ''}`);
  }
  return EXIT_OK;
}

async function prepare({ values, io, log }: Sub): Promise<number> {
  const { prepareBinaries } = await import('../lab/containerd/binaries.ts');
  const which: LabVersion[] = values.containerd === 'all' ? [...LAB_VERSIONS] : [parseLabVersion(values.containerd ?? DEFAULT_LAB_VERSION)];
  for (const v of which) {
    const b = await prepareBinaries(v, log);
    out(io, `containerd ${v}: ${b.binaryVersion} at ${b.containerd} (${VERSION_TABLE[v].kind === 'system' ? 'installed' : 'cached'})`);
  }
  return EXIT_OK;
}

async function churn({ values, dir, io, log }: Sub): Promise<number> {
  const { runChurn, parseChurnRate, churnReport } = await import('../lab/churn.ts');
  const rate = parseChurnRate(values.rate);
  const forMs = values.for === undefined ? undefined : parseDuration(values.for, '--for');
  const stop = new AbortController();
  const onSignal = (sig: string) => { log(`${sig}: no new pods; the pods alive finish and are removed`); stop.abort(); };
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  log(`CHANGES THIS MACHINE: creating and removing pods in the lab at ${dir}, ${rate} a second, ${forMs === undefined ? 'until SIGINT/SIGTERM' : `for ${values.for}`}`);
  const r = await runChurn({ p: labPaths(dir), rate, forMs, stop: stop.signal, log }).finally(() => process.off('SIGINT', onSignal).off('SIGTERM', onSignal));
  out(io, outputFormat(values.output, ['text', 'json']) === 'json' ? JSON.stringify(r, null, 2) : churnReport(r).join('\n'));
  return r.counts.errors || r.left.pods.length + r.left.cgroups.length + r.left.logDirs.length ? EXIT_FAILED : EXIT_OK;
}

const SUBCOMMANDS: Record<string, (s: Sub) => Promise<number>> = {
  up,
  'serve-pod': servePod,
  down,
  status,
  versions,
  prepare,
  churn,
  async supervise({ dir }) {
    const { runSupervisor } = await import('../lab/supervisor.ts');
    return runSupervisor(labPaths(dir));
  },
  async fault({ values, dir, rest, io }) {
    const { faultCommand } = await import('./lab-fault.ts');
    return faultCommand(rest, { dir, pod: values.pod, all: values.all, period: values.period, variant: values.variant, output: values.output }, io);
  },
  // a fault's background loop (hung-start, crashloop, busy-shim), run by the supervisor
  async 'fault-loop'({ values, dir, rest }) {
    const { faultLoopCommand } = await import('../lab/faults/index.ts');
    return faultLoopCommand(rest, { dir, pod: values.pod, period: values.period, attempt: values.attempt });
  },
};

async function run(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseFlags(args, flagSpec);
  const [sub, ...rest] = positionals;
  const handler = sub !== undefined && Object.hasOwn(SUBCOMMANDS, sub) ? SUBCOMMANDS[sub] : undefined;
  if (!handler) throw new CtrdocError('invalid-argument', sub ? `unknown lab command "${sub}"` : 'lab needs a command', 'ctrdoc lab --help');
  return handler({ values, dir: values.dir ?? DEFAULT_LAB_DIR, rest, io, log: (l: string) => io.stderr.write(`lab: ${l}\n`) });
}

const lab: Command = { summary: 'a private containerd on this machine, with faults on demand (changes the node)', usage, run };
export default lab;
