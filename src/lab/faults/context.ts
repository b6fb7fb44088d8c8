// What every lab fault works with: the lab's paths, CRI and containerd clients, the fault
// record store (DIR/faults/state.json) and the tags that let `clear` undo exactly one fault.
import { readFileSync, writeFileSync, renameSync, mkdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { CtrdocError } from '../../errors.ts';
import { openCri, type CriClient } from '../../sources/cri/client.ts';
import { openContainerd, type ContainerdClient } from '../../sources/containerd/client.ts';
import { criEndpoint, CRI_NAMESPACE, type LabPaths } from '../paths.ts';

/** Label (pods, containers) and id prefix (runc) that mark what a fault created. */
export const FAULT_LABEL = 'ctrdoc.dev/lab-fault';
export const RUNC_ID_PREFIX = 'ctrdoc-fault-';

export interface FaultRecord {
  name: string;
  appliedAt: string;
  /** what the fault did, for clear and for people: ids, pids, files, notes */
  details: Record<string, unknown>;
}

export interface FaultContext {
  p: LabPaths;
  log: (line: string) => void;
  cri(): CriClient;
  containerd(): ContainerdClient;
  close(): void;
}

export function faultContext(p: LabPaths, log: (l: string) => void, timeoutMs = 10_000): FaultContext {
  let cri: CriClient | undefined;
  let ctd: ContainerdClient | undefined;
  return {
    p,
    log,
    cri: () => (cri ??= openCri(criEndpoint(p), { timeoutMs })),
    containerd: () => (ctd ??= openContainerd(p.socket, { namespace: CRI_NAMESPACE, timeoutMs })),
    close: () => {
      cri?.close();
      ctd?.close();
    },
  };
}

function statePath(p: LabPaths): string {
  return join(p.faults, 'state.json');
}

export function readFaults(p: LabPaths): Record<string, FaultRecord> {
  try {
    return JSON.parse(readFileSync(statePath(p), 'utf8')) as Record<string, FaultRecord>;
  } catch {
    return {};
  }
}

export function writeFault(p: LabPaths, rec: FaultRecord | undefined, name: string): void {
  mkdirSync(p.faults, { recursive: true });
  const all = readFaults(p);
  if (rec) all[name] = rec;
  else delete all[name];
  const tmp = statePath(p) + '.tmp';
  writeFileSync(tmp, JSON.stringify(all, null, 2) + '\n');
  renameSync(tmp, statePath(p));
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls check() until it returns a value (not undefined) or the deadline passes. */
export async function waitFor<T>(what: string, ms: number, check: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new CtrdocError('deadline-exceeded', `${what}: not reached within ${ms} ms${last ? ` (${(last as Error).message})` : ''}`);
    await sleep(100);
  }
}

export function runc(p: LabPaths, args: string[], timeoutMs = 15_000): string {
  try {
    return execFileSync('runc', ['--root', p.runcRoot, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new CtrdocError('internal', `runc ${args.join(' ')}: ${(e.stderr ?? '').trim() || e.message}`);
  }
}

export interface RuncListEntry { id: string; pid: number; status: string; bundle: string; created: string }

export function runcList(p: LabPaths): RuncListEntry[] {
  try {
    return (JSON.parse(runc(p, ['list', '--format', 'json']) || 'null') as RuncListEntry[] | null) ?? [];
  } catch {
    return [];
  }
}

/** A loopback TCP port nobody listens on right now (the kernel's pick), for a daemon to take. */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}
