// The node under the stack: the 60-second checklist as data.
import type { LogScan } from './logs.ts';

/** One /proc/pressure/* line: percentages of time stalled over 10 s, 60 s and 300 s. */
export interface PressureAverages {
  avg10: number;
  avg60: number;
  avg300: number;
}

export interface NodeView {
  cpus: number;
  loadavg: [number, number, number];
  memTotalKb: number;
  memAvailableKb: number;
  /** /proc/pressure/{cpu,memory,io}, when the kernel has PSI ("full" is absent for cpu on older kernels) */
  psi?: Partial<Record<'cpu' | 'memory' | 'io', { some: PressureAverages; full?: PressureAverages }>>;
  /** /proc/sys/fs/file-nr: allocated file handles against fs.file-max */
  fileNr?: { allocated: number; max: number };
  pidMax?: number;
  processCount?: number;
  /** kernel scheduling entities (threads) from /proc/loadavg: each takes a pid */
  threadCount?: number;
  /** inotify instances (fds that link to anon_inode:inotify) per process and per user, against
   * fs.inotify.max_user_instances (a per-user limit) */
  inotify?: {
    maxUserInstances: number;
    byProcess: { pid: number; comm: string; uid: number; count: number }[];
    byUser: { uid: number; count: number }[];
    /** what was looked at: "all 212 processes (3120 fds)" or where it stopped */
    sampled: string;
  };
  /** tasks in D state, with their kernel stack when readable (root) */
  dStateTasks: { pid: number; comm: string; wchan?: string; kernelStack?: string[] }[];
  /** cgroups whose freezer says FROZEN/FREEZING (v1 freezer.state) or cgroup.freeze is 1 (v2) */
  frozenCgroups: { path: string; state: string; pids: number[] }[];
  /** the kernel log (/dev/kmsg or dmesg) matched against rules/kernel-log.json, as episodes */
  kernelLog?: LogScan;
  notes: string[];
}
