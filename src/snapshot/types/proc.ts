// Processes as read from /proc: plain data, one entry per live process at scan time.
// Times from /proc are kept in clock ticks (USER_HZ) next to the derived seconds, so a rule can
// compare a runc state's init_process_start with a process's start exactly.

/** One `/proc/PID/cgroup` line: `hierarchy-id:controllers:path`. */
export interface ProcCgroupLine {
  hierarchy: string;
  /** e.g. "memory", "name=systemd", or "" for the cgroup v2 line */
  controllers: string;
  path: string;
}

/** Namespace inodes (the number in `pid:[4026531836]`). */
export interface ProcNamespaces {
  pid?: number;
  mnt?: number;
  net?: number;
}

export interface ProcessInfo {
  pid: number;
  ppid: number;
  pgid: number;
  sid: number;
  /** `/proc/PID/stat` comm (at most 15 bytes, may hold spaces and parentheses) */
  comm: string;
  /** one letter: R S D Z T t X I ... */
  state: string;
  /** stat field 22: start time in clock ticks after boot; (pid, starttime) is a process's identity */
  starttime: number;
  utime: number;
  stime: number;
  threads: number;
  rssKb: number;
  vszKb: number;
  kernelThread: boolean;
  /** argv; empty for kernel threads and zombies */
  cmdline: string[];
  /** ISO time the process started (boot time + starttime) */
  startedAt: string;
  ageSec: number;
  /** lifetime average like ps: (utime+stime) / age, in percent of one CPU */
  cpuPercent: number;
  /** over a short two-sample window, when sampled */
  cpuPercentRecent?: number;
  // Details, read only for the processes the scan was asked to look closer at:
  uid?: number;
  /** NSpid from status: the pid in each nested pid namespace, outermost first */
  nspid?: number[];
  cgroup?: ProcCgroupLine[];
  ns?: ProcNamespaces;
  fdCount?: number;
  /** fd number → link target, only where the caller asked for it */
  fdTargets?: Record<string, string>;
  wchan?: string;
  /** /proc/PID/stack function names (root only), innermost first */
  kernelStack?: string[];
  /** files that could not be read for this process, with why ("stack: EACCES") */
  unreadable?: string[];
}

export interface ProcTable {
  /** the proc mount that was read */
  procRoot: string;
  takenAt: string;
  /** ISO boot time from /proc/stat btime */
  bootTime: string;
  uptimeSec: number;
  clockTicks: number;
  pageSizeKb: number;
  processes: ProcessInfo[];
  /** processes listed in the directory that exited before they could be read */
  vanished: number;
  /** pids whose start time changed during the scan (exited and the pid was reused) */
  reused: number;
  durationMs: number;
}
