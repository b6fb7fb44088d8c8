// What a test run leaves behind on this machine: processes, mounts, lab cgroups and lab dirs (with
// their sockets). scripts/test.mjs takes a look before the run, watches it, and looks again after.
// The machine is shared (other people's labs and suites run at the same time), so only what is
// this run's counts:
//  - every process the run starts carries CTRDOC_TEST_RUN=<id> in its environment (the runner's
//    children inherit it, and so do the labs' supervisors, containerd, shims, runc and stand-ins);
//  - a container's own processes do not (their environment is the OCI spec's): they are this
//    run's by their cgroup (under a lab's cgroup parent) or their root or cwd (inside a lab dir);
//  - the labs are this run's when their supervisor carries the marker: the run is watched, and
//    each supervisor's --dir recorded with its cgroup parent (src/lab/paths.ts: ctrdoc-lab-<sha256(dir)[0:8]>).
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const RUN_ENV = 'CTRDOC_TEST_RUN';

const read = (path) => {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
};
const link = (path) => {
  try {
    return readlinkSync(path);
  } catch {
    return '';
  }
};
const pids = () => readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number);

/** state and start time (stat fields 3 and 22), or undefined when gone */
function stat(pid) {
  const s = read(`/proc/${pid}/stat`)?.toString('utf8');
  if (!s) return undefined;
  const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return { state: rest[0], start: rest[19] };
}

const argvOf = (pid) => (read(`/proc/${pid}/cmdline`)?.toString('utf8') ?? '').split('\0').filter(Boolean);

/** The lab's cgroup parent, as src/lab/paths.ts names it. */
export const cgroupParentOf = (dir) => `ctrdoc-lab-${createHash('sha256').update(resolve(dir)).digest('hex').slice(0, 8)}`;

/** Every process now, by `pid:starttime`. */
export function processKeys() {
  const keys = new Set();
  for (const pid of pids()) {
    const st = stat(pid);
    if (st) keys.add(`${pid}:${st.start}`);
  }
  return keys;
}

/** The lab dirs whose supervisor carries this run's marker (call it while the run goes on). */
export function runLabDirs(runId, into = new Set()) {
  const marker = Buffer.from(`${RUN_ENV}=${runId}\0`);
  for (const pid of pids()) {
    const cmd = read(`/proc/${pid}/cmdline`);
    if (!cmd || !cmd.includes('supervise')) continue;
    const argv = cmd.toString('utf8').split('\0');
    const i = argv.indexOf('--dir');
    if (!argv.includes('lab') || i < 0 || !argv[i + 1]) continue;
    if (read(`/proc/${pid}/environ`)?.includes(marker)) into.add(resolve(argv[i + 1]));
  }
  return into;
}

const under = (path, dirs) => [...dirs].some((d) => path === d || path.startsWith(`${d}/`));

/** What of this run is still there: new processes, mounts under its lab dirs, its labs' cgroups, its lab dirs. */
export function leftovers(runId, before, labDirs) {
  const marker = Buffer.from(`${RUN_ENV}=${runId}\0`);
  const parents = [...labDirs].map(cgroupParentOf);
  const out = { processes: [], mounts: [], cgroups: [], dirs: [] };
  for (const pid of pids()) {
    if (pid === process.pid) continue;
    const st = stat(pid);
    // a zombie is dead already: PID 1 here reaps late
    if (!st || st.state === 'Z' || st.state === 'X' || before.has(`${pid}:${st.start}`)) continue;
    const why = read(`/proc/${pid}/environ`)?.includes(marker) ? 'started by this run'
      : parents.some((c) => (read(`/proc/${pid}/cgroup`)?.toString('utf8') ?? '').split('\n').some((l) => l.split(':')[2]?.split('/')[1] === c)) ? 'in a lab cgroup'
        : under(link(`/proc/${pid}/cwd`).replace(/ \(deleted\)$/, ''), labDirs) || under(link(`/proc/${pid}/root`).replace(/ \(deleted\)$/, ''), labDirs) ? 'inside a lab dir'
          : undefined;
    if (why) out.processes.push({ pid, argv: argvOf(pid).join(' ').slice(0, 200), cwd: link(`/proc/${pid}/cwd`), why });
  }
  for (const line of (read('/proc/self/mountinfo')?.toString('utf8') ?? '').split('\n')) {
    const mp = line.split(' ')[4]?.replace(/\\(\d{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));
    if (mp && under(mp, labDirs)) out.mounts.push(mp);
  }
  let controllers = [];
  try {
    controllers = readdirSync('/sys/fs/cgroup');
  } catch { /* no cgroupfs */ }
  for (const c of parents) {
    for (const d of [join('/sys/fs/cgroup', c), ...controllers.map((x) => join('/sys/fs/cgroup', x, c))]) if (existsSync(d)) out.cgroups.push(d);
  }
  for (const d of labDirs) if (existsSync(d)) out.dirs.push(d);
  return out;
}

export const count = (l) => l.processes.length + l.mounts.length + l.cgroups.length + l.dirs.length;

/** One line for the summary, and the detail lines. */
export function describe(l) {
  const head = count(l) === 0 ? 'nothing left behind'
    : `LEFT BEHIND: ${l.processes.length} process(es), ${l.mounts.length} mount(s), ${l.cgroups.length} lab cgroup(s), ${l.dirs.length} lab dir(s)`;
  const lines = [
    ...l.processes.map((p) => `left behind: process ${p.pid} (${p.why}, cwd ${p.cwd || '?'}): ${p.argv}`),
    ...l.mounts.map((m) => `left behind: mount ${m}`),
    ...l.cgroups.map((c) => `left behind: cgroup ${c}`),
    ...l.dirs.map((d) => `left behind: lab dir ${d}`),
  ];
  return { head, lines };
}
