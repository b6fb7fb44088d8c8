// Finding kubelet in /proc. A kubelet is a process whose argv[0] is named `kubelet`, or whose comm
// is `kubelet` while argv[0] is an interpreter running a file named `kubelet` (the lab's stand-in is
// such a script: the kernel runs it as `/bin/sh /path/kubelet --flags...` with comm "kubelet").
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

export interface KubeletProcess {
  pid: number;
  comm: string;
  /** kubelet's own argv: the binary (or script) and its flags, interpreter dropped */
  argv: string[];
  /** "argv0" or "script" (run through an interpreter) */
  matchedBy: 'argv0' | 'script';
}

const INTERPRETERS = new Set(['sh', 'bash', 'dash', 'ash', 'busybox']);

export function kubeletArgvOf(comm: string, cmdline: string[]): { argv: string[]; matchedBy: 'argv0' | 'script' } | undefined {
  if (!cmdline.length) return undefined;
  if (basename(cmdline[0]) === 'kubelet') return { argv: cmdline, matchedBy: 'argv0' };
  if (comm === 'kubelet' && cmdline.length > 1 && INTERPRETERS.has(basename(cmdline[0])) && basename(cmdline[1]) === 'kubelet') {
    return { argv: cmdline.slice(1), matchedBy: 'script' };
  }
  return undefined;
}

/** Every kubelet-looking process, in pid order. Processes that vanish mid-scan are skipped. */
export function findKubeletProcesses(procRoot = '/proc'): KubeletProcess[] {
  const out: KubeletProcess[] = [];
  let names: string[];
  try {
    names = readdirSync(procRoot);
  } catch {
    return out;
  }
  const pids = names.filter((n) => /^\d+$/.test(n)).map(Number).sort((a, b) => a - b);
  for (const pid of pids) {
    try {
      const raw = readFileSync(join(procRoot, String(pid), 'cmdline'));
      if (!raw.length) continue; // kernel thread or zombie
      if (!raw.includes('kubelet')) continue; // cheap filter before reading comm
      const cmdline = raw.toString('utf8').replace(/\0$/, '').split('\0');
      const comm = readFileSync(join(procRoot, String(pid), 'comm'), 'utf8').trim();
      const m = kubeletArgvOf(comm, cmdline);
      if (m) out.push({ pid, comm, ...m });
    } catch {
      // gone, or not ours to read
    }
  }
  return out;
}
