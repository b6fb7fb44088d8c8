// What the lab leaves on the host, found from the host's own records: processes (/proc),
// mounts (/proc/self/mountinfo) and cgroups (/sys/fs/cgroup/<controller>/<parent>). Used by
// `lab down` and `fault clear` to remove exactly what belongs to the lab, by pid and by path.
import { readFileSync, readdirSync, readlinkSync, rmdirSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

export interface HostProcess {
  pid: number;
  ppid: number;
  state: string;
  comm: string;
  argv: string[];
  /** cgroup v1 paths by controller list, e.g. "memory" → "/ctrdoc-lab-x/containerd" */
  cgroups: Record<string, string>;
  /** start time in clock ticks since boot (stat field 22): with pid, identifies the process */
  startTicks: number;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

export function readProcess(pid: number): HostProcess | undefined {
  const stat = readText(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  const close = stat.lastIndexOf(')');
  const comm = stat.slice(stat.indexOf('(') + 1, close);
  const rest = stat.slice(close + 2).split(' ');
  const cmdline = readText(`/proc/${pid}/cmdline`) ?? '';
  const cgroups: Record<string, string> = {};
  for (const line of (readText(`/proc/${pid}/cgroup`) ?? '').split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (m) cgroups[m[1]] = m[2];
  }
  return {
    pid,
    ppid: Number(rest[1]),
    state: rest[0],
    comm,
    argv: cmdline.split('\0').filter((s, i, a) => s !== '' || i < a.length - 1),
    cgroups,
    startTicks: Number(rest[19]),
  };
}

export function listProcesses(): HostProcess[] {
  const out: HostProcess[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const p = readProcess(Number(name));
    if (p) out.push(p);
  }
  return out;
}

export function isAlive(pid: number): boolean {
  const p = readProcess(pid);
  return !!p && p.state !== 'Z' && p.state !== 'X';
}

/** Our own pid and every ancestor: never signalled, whatever their command line says. */
function selfAndAncestors(): Set<number> {
  const keep = new Set<number>([1]);
  let pid = process.pid;
  while (pid > 1 && !keep.has(pid)) {
    keep.add(pid);
    pid = readProcess(pid)?.ppid ?? 1;
  }
  return keep;
}

function procLink(pid: number, name: string): string {
  try {
    return readlinkSync(`/proc/${pid}/${name}`);
  } catch {
    return '';
  }
}

/**
 * Processes that belong to the lab at dir: a command line that names a path inside dir (shims
 * carry `-address DIR/containerd.sock`, runc carries `--root DIR/runc/...`), a cgroup under the
 * lab's cgroup parent, or a cwd/root inside dir (a `runc init` already in its rootfs).
 */
export function labProcesses(dir: string, cgroupParent: string): HostProcess[] {
  const keep = selfAndAncestors();
  const prefix = dir.endsWith('/') ? dir : dir + '/';
  const cgPrefix = `/${cgroupParent}`;
  return listProcesses().filter((p) => {
    if (keep.has(p.pid) || p.state === 'Z' || p.state === 'X') return false;
    if (p.argv.some((a) => a === dir || a.includes(prefix))) return true;
    if (Object.values(p.cgroups).some((c) => c === cgPrefix || c.startsWith(cgPrefix + '/'))) return true;
    // a helper's child (a stand-in's `sleep`) runs in the lab dir itself
    const cwd = procLink(p.pid, 'cwd');
    const root = procLink(p.pid, 'root');
    return cwd === dir || cwd.startsWith(prefix) || root.startsWith(prefix);
  });
}

export function signal(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

/** Polls until none of pids is alive (zombies count as gone) or the deadline passes. */
export async function waitGone(pids: number[], ms: number): Promise<number[]> {
  const deadline = Date.now() + ms;
  let left = pids.filter(isAlive);
  while (left.length && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    left = left.filter(isAlive);
  }
  return left;
}

/** Mount points at or under dir in our mount namespace, deepest first. */
export function labMounts(dir: string): string[] {
  const prefix = dir.endsWith('/') ? dir : dir + '/';
  const text = readText('/proc/self/mountinfo') ?? '';
  const points = new Set<string>();
  for (const line of text.split('\n')) {
    const mp = line.split(' ')[4];
    if (!mp) continue;
    const path = mp.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    if (path === dir || path.startsWith(prefix)) points.add(path);
  }
  return [...points].sort((a, b) => b.split('/').length - a.split('/').length || b.length - a.length);
}

/** umount(8) on one mount point: did it succeed? */
function umount(mp: string, ...flags: string[]): boolean {
  try {
    execFileSync('umount', [...flags, mp], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

/** Unmounts every mount under dir, deepest first; lazily when a plain umount fails. */
export function unmountAll(dir: string): { unmounted: string[]; failed: string[] } {
  const unmounted: string[] = [];
  const failed: string[] = [];
  for (let round = 0; round < 3; round++) {
    const points = labMounts(dir);
    if (points.length === 0) break;
    for (const mp of points) {
      if (umount(mp) || umount(mp, '-l')) unmounted.push(mp);
      else if (round === 2) failed.push(mp);
    }
  }
  return { unmounted, failed: [...new Set([...failed, ...labMounts(dir)])] };
}

/** Every controller directory of the lab's cgroup parent that exists (cgroup v1 and v2). */
export function labCgroupRoots(cgroupParent: string): string[] {
  const roots: string[] = [];
  let entries: string[] = [];
  try {
    entries = readdirSync('/sys/fs/cgroup');
  } catch {
    return roots;
  }
  const candidates = [join('/sys/fs/cgroup', cgroupParent), ...entries.map((c) => join('/sys/fs/cgroup', c, cgroupParent))];
  for (const d of candidates) {
    try {
      if (statSync(d).isDirectory()) roots.push(d);
    } catch { /* absent */ }
  }
  return [...new Set(roots)];
}

function cgroupTree(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    out.push(d);
    let kids: string[] = [];
    try {
      kids = readdirSync(d, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => join(d, e.name));
    } catch { /* vanished */ }
    kids.forEach(walk);
  };
  walk(root);
  return out.sort((a, b) => b.split('/').length - a.split('/').length);
}

/** Thaws any frozen cgroup of the lab (SIGKILL cannot reach frozen tasks on cgroup v1). */
export function thawLabCgroups(cgroupParent: string): void {
  for (const root of labCgroupRoots(cgroupParent)) {
    for (const d of cgroupTree(root)) {
      const state = join(d, 'freezer.state');
      if (existsSync(state) && readText(state)?.trim() !== 'THAWED') {
        try { writeFileSync(state, 'THAWED'); } catch { /* best effort */ }
      }
    }
  }
}

/** Pids still in any cgroup of the lab. */
export function labCgroupPids(cgroupParent: string): number[] {
  const pids = new Set<number>();
  for (const root of labCgroupRoots(cgroupParent)) {
    for (const d of cgroupTree(root)) {
      for (const l of (readText(join(d, 'cgroup.procs')) ?? '').split('\n')) if (l.trim()) pids.add(Number(l));
    }
  }
  return [...pids];
}

/** rmdir every cgroup under the lab's parent, deepest first; returns what could not be removed. */
export function removeLabCgroups(cgroupParent: string): string[] {
  const left: string[] = [];
  for (const root of labCgroupRoots(cgroupParent)) {
    for (const d of cgroupTree(root)) {
      try {
        rmdirSync(d);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') left.push(d);
      }
    }
  }
  return left;
}
