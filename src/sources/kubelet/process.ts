// Finding kubelet in /proc. A kubelet is a process whose argv[0] is named `kubelet`, or whose comm
// is `kubelet` while argv[0] is an interpreter running a file named `kubelet` (the lab's stand-in is
// such a script: the kernel runs it as `/bin/sh /path/kubelet --flags...` with comm "kubelet").
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseFlagArgs } from './flags.ts';

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

/**
 * Every kubelet-looking process, in pid order. Every argv is read (a kubelet run as
 * `exec -a kubelet ...` has another comm), with a cheap filter before comm is read. Processes
 * that vanish mid-scan are skipped.
 */
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

/** The kubelet processes among processes a scan already read (pid, comm, argv). */
export function kubeletsOf(processes: readonly { pid: number; comm?: string; cmdline: string[] }[]): KubeletProcess[] {
  const out: KubeletProcess[] = [];
  for (const p of processes) {
    const m = kubeletArgvOf(p.comm ?? '', p.cmdline);
    if (m) out.push({ pid: p.pid, comm: p.comm ?? '', ...m });
  }
  return out.sort((a, b) => a.pid - b.pid);
}

/**
 * The runtime endpoint a running kubelet names: its --container-runtime-endpoint flag, else its
 * --config file's containerRuntimeEndpoint (read only then, with the YAML library loaded then).
 * Undefined when it names none (kubelet then uses its built-in default).
 */
export async function kubeletRuntimeEndpoint(k: Pick<KubeletProcess, 'pid' | 'argv'>): Promise<{ endpoint: string; from: string } | undefined> {
  const flags = new Map(parseFlagArgs(k.argv.slice(1)).map((f) => [f.name, f.value]));
  const flag = flags.get('container-runtime-endpoint');
  if (flag) return { endpoint: flag, from: `kubelet ${k.pid} --container-runtime-endpoint` };
  const config = flags.get('config');
  if (!config) return undefined;
  try {
    const { parse } = await import('yaml');
    const doc = parse(readFileSync(config, 'utf8'), { maxAliasCount: 100 }) as Record<string, unknown> | null;
    const v = doc && typeof doc === 'object' ? doc.containerRuntimeEndpoint : undefined;
    return typeof v === 'string' && v ? { endpoint: v, from: `kubelet ${k.pid} ${config} containerRuntimeEndpoint` } : undefined;
  } catch {
    return undefined; // unreadable or not YAML: the kubelet source reports it
  }
}
