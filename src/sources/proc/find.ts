// A light pass over /proc for commands that did not scan it: the argv of the processes whose comm
// is one of a few names (containerd, kubelet), one small read each for the rest.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface NamedProcess {
  pid: number;
  comm: string;
  cmdline: string[];
}

/** Processes whose comm is one of `comms`, with their argv; in pid order. Vanished ones are skipped. */
export function findByComm(comms: ReadonlySet<string>, procRoot = '/proc'): NamedProcess[] {
  const out: NamedProcess[] = [];
  let names: string[];
  try {
    names = readdirSync(procRoot);
  } catch {
    return out;
  }
  for (const name of names) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    try {
      const comm = readFileSync(join(procRoot, name, 'comm'), 'latin1').trim();
      if (!comms.has(comm)) continue;
      const raw = readFileSync(join(procRoot, name, 'cmdline'), 'utf8');
      out.push({ pid: Number(name), comm, cmdline: raw ? raw.replace(/\0$/, '').split('\0') : [] });
    } catch {
      // gone between readdir and read, or not ours to read
    }
  }
  return out.sort((a, b) => a.pid - b.pid);
}
