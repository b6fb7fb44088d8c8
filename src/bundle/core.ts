// Careful core dumps (the seed's appendix): say what the process is, refuse the ones that must
// never be stopped (PID 1, ctrdoc and its ancestors), run Debian's gcore under a deadline, make
// sure the process runs again afterwards, stream the core through gzip, and record beside it the
// binary's build ids and whether it carries debug symbols.
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, readFileSync, readlinkSync, statfsSync } from 'node:fs';
import { rm, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { CtrdocError } from '../errors.ts';
import { readElfFacts, type ElfFacts } from './elf.ts';

export type CoreTargetKind = 'containerd' | 'shim' | 'runc-init' | 'runc' | 'kubelet' | 'container-process' | 'other';

export interface CoreTarget {
  pid: number;
  ppid: number;
  comm: string;
  state: string;
  exe: string;
  cmdline: string[];
  rssKb: number;
  vmKb: number;
  kind: CoreTargetKind;
  /** one line: "containerd-shim-runc-v2 of pod ns/name (sandbox 1234abcd)" */
  what: string;
  /** the container or sandbox id found in its command line or cgroup */
  containerId?: string;
  elf?: ElfFacts;
  elfError?: string;
}

/** Names a pod sandbox or container id (e.g. from CRI); returns undefined when it cannot. */
export type IdNamer = (id: string, kind: 'sandbox' | 'container') => Promise<string | undefined>;

function readProc(pid: number, file: string): string {
  return readFileSync(`/proc/${pid}/${file}`, 'utf8');
}

function statOf(pid: number): { comm: string; state: string; ppid: number } {
  const s = readProc(pid, 'stat');
  const close = s.lastIndexOf(')');
  const rest = s.slice(close + 2).split(' ');
  return { comm: s.slice(s.indexOf('(') + 1, close), state: rest[0], ppid: Number(rest[1]) };
}

/** ctrdoc's own pid and every ancestor up to PID 1: stopping one of them would stop ctrdoc. */
export function ownAncestry(pid = process.pid): Set<number> {
  const out = new Set<number>([pid]);
  let p = pid;
  for (let i = 0; i < 64 && p > 1; i++) {
    try {
      p = statOf(p).ppid;
    } catch {
      break;
    }
    out.add(p);
  }
  return out;
}

const ID_RE = /[0-9a-f]{64}/;

/** Reads /proc for PID and says what it is in the stack. */
export async function describeTarget(pid: number, namer?: IdNamer): Promise<CoreTarget> {
  let st: ReturnType<typeof statOf>;
  try {
    st = statOf(pid);
  } catch {
    throw new CtrdocError('not-found', `no process ${pid}`, 'check the pid with ps or `ctrdoc doctor`');
  }
  const cmdline = readProc(pid, 'cmdline').split('\0').filter(Boolean);
  let exe = '';
  try {
    exe = readlinkSync(`/proc/${pid}/exe`).replace(/ \(deleted\)$/, '');
  } catch {
    exe = '';
  }
  const status = readProc(pid, 'status');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
  let cgroup = '';
  try {
    cgroup = readProc(pid, 'cgroup');
  } catch {
    cgroup = '';
  }
  const t: CoreTarget = { pid, ppid: st.ppid, comm: st.comm, state: st.state, exe, cmdline, rssKb: kb('VmRSS'), vmKb: kb('VmSize'), kind: 'other', what: '' };
  const arg = (name: string) => {
    const i = cmdline.indexOf(name);
    return i !== -1 ? cmdline[i + 1] : undefined;
  };
  const base = basename(exe || cmdline[0] || st.comm);
  if (/^containerd-shim/.test(st.comm) || /^containerd-shim/.test(base)) {
    t.kind = 'shim';
    t.containerId = arg('-id');
    const name = t.containerId && namer ? await namer(t.containerId, 'sandbox').catch(() => undefined) : undefined;
    t.what = `${base} (the shim) of ${name ? `pod ${name}` : 'task group'} ${t.containerId ? `id ${t.containerId.slice(0, 13)}` : ''}${arg('-namespace') ? ` in namespace ${arg('-namespace')}` : ''}`.trim();
  } else if (st.comm === 'containerd' || base === 'containerd') {
    t.kind = 'containerd';
    t.what = `containerd, the runtime daemon (${cmdline.join(' ').slice(0, 120)})`;
  } else if (/^runc:\[/.test(st.comm) || (cmdline[1] === 'init' && /runc$/.test(cmdline[0] ?? ''))) {
    t.kind = 'runc-init';
    t.containerId = ID_RE.exec(cgroup)?.[0];
    if (!t.containerId) {
      try {
        const parent = readProc(st.ppid, 'cmdline').split('\0').filter(Boolean);
        t.containerId = parent[parent.length - 1];
      } catch {
        // parent gone
      }
    }
    const name = t.containerId && namer ? await namer(t.containerId, 'container').catch(() => undefined) : undefined;
    t.what = `runc init (${st.comm}) of container ${name ?? t.containerId?.slice(0, 13) ?? '(unknown)'}: the container's first process before exec`;
  } else if (base === 'runc' || st.comm === 'runc') {
    t.kind = 'runc';
    t.what = `runc ${cmdline.filter((a) => !a.startsWith('-')).slice(1, 2).join('')} (${cmdline.join(' ').slice(0, 120)})`;
  } else if (st.comm === 'kubelet' || base === 'kubelet') {
    t.kind = 'kubelet';
    t.what = 'kubelet';
  } else {
    const id = ID_RE.exec(cgroup)?.[0];
    if (id) {
      t.kind = 'container-process';
      t.containerId = id;
      const name = namer ? await namer(id, 'container').catch(() => undefined) : undefined;
      t.what = `${st.comm} in container ${name ?? id.slice(0, 13)}`;
    } else {
      t.what = `${st.comm} (${cmdline.join(' ').slice(0, 120) || 'no command line'})`;
    }
  }
  if (exe) {
    try {
      t.elf = await readElfFacts(`/proc/${pid}/exe`);
    } catch (err) {
      t.elfError = (err as Error).message;
    }
  }
  return t;
}

/** Why ctrdoc will not dump this process, or undefined. */
export function refusal(t: CoreTarget, ancestry = ownAncestry()): string | undefined {
  if (t.pid === 1) return 'PID 1 (init): stopping it can stall the whole machine';
  if (t.pid === process.pid) return 'this is ctrdoc itself';
  if (ancestry.has(t.pid)) return 'this is a parent of ctrdoc (stopping it would stop ctrdoc and its shell)';
  if (!t.exe || !t.cmdline.length) return 'a kernel thread has no user memory to dump';
  if (t.state === 'Z') return 'a zombie has no memory left to dump';
  return undefined;
}

/** What the user should try before a core, for Go processes: stacks without stopping anything. */
export function goAdvice(t: CoreTarget): string | undefined {
  if (!t.elf?.isGo) return undefined;
  if (t.kind === 'containerd') return `containerd is a Go program: goroutine stacks usually say more, without stopping it: ctrdoc goroutines --pid ${t.pid} (debug socket), or --signal for SIGUSR1; /debug/pprof on its debug socket for heap and profile`;
  if (t.kind === 'shim') return `the shim is a Go program: its goroutine stacks (SIGUSR1, written to containerd's log) usually say more, without stopping it: ctrdoc goroutines --shim ${t.pid} --signal`;
  return `${t.comm} is a Go program: SIGUSR1 or pprof (if it serves one) gives goroutine stacks without stopping it`;
}

export interface CorePlan {
  target: CoreTarget;
  outDir: string;
  prefix: string;
  /** bytes free where the core is written */
  freeBytes?: number;
  /** what the raw core takes on disk, about the RSS (gdb leaves untouched mappings as holes) */
  estimateBytes: number;
  /** the raw core's apparent size: the mapped memory */
  mappedBytes: number;
}

export function planCore(t: CoreTarget, outDir: string, now = new Date()): CorePlan {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const prefix = join(outDir, `core.${t.comm.replace(/[^A-Za-z0-9._-]/g, '_')}.${stamp}`);
  let freeBytes: number | undefined;
  try {
    const f = statfsSync(outDir);
    freeBytes = f.bavail * f.bsize;
  } catch {
    freeBytes = undefined;
  }
  return { target: t, outDir, prefix, freeBytes, estimateBytes: t.rssKb * 1024, mappedBytes: t.vmKb * 1024 };
}

export interface CoreResult {
  gz: string;
  json: string;
  /** apparent size (mapped memory, mostly holes for Go's reserved arenas) */
  coreBytes: number;
  /** blocks really written */
  coreDiskBytes: number;
  gzBytes: number;
  gcoreMs: number;
  gzipMs: number;
  /** the process's state after the dump (it must not stay stopped) */
  stateAfter: string;
  resumed: boolean;
}

function stateNow(pid: number): string | undefined {
  try {
    return statOf(pid).state;
  } catch {
    return undefined;
  }
}

/** Runs gcore under a deadline; on timeout stops gdb and makes sure the process runs again. */
export async function takeCore(plan: CorePlan, opts: { timeoutMs: number; gcore?: string }): Promise<CoreResult> {
  const t = plan.target;
  const before = stateNow(t.pid);
  if (!before) throw new CtrdocError('not-found', `process ${t.pid} exited before the dump`);
  const wasStopped = before === 'T';
  const raw = `${plan.prefix}.${t.pid}`;
  const t0 = Date.now();
  let resumed = false;
  const stderr: string[] = [];
  const code = await new Promise<number | string>((resolve, reject) => {
    const child = spawn(opts.gcore ?? 'gcore', ['-o', plan.prefix, String(t.pid)], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    child.stderr.on('data', (b: Buffer) => { if (stderr.join('').length < 8192) stderr.push(b.toString()); });
    const kill = (sig: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, sig);
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      kill('SIGTERM');
      setTimeout(() => kill('SIGKILL'), 3000).unref();
      resolve('timeout');
    }, opts.timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new CtrdocError('not-found', `cannot run gcore: ${err.message}`, 'apt-get install -y gdb'));
    });
    child.on('close', (c) => {
      clearTimeout(timer);
      resolve(c ?? 1);
    });
  });
  const gcoreMs = Date.now() - t0;
  // gdb detaches on exit; if it was killed the process may be left in a stop: continue it,
  // unless it was stopped before we came.
  await new Promise((r) => setTimeout(r, 100));
  const after = stateNow(t.pid);
  if (!wasStopped && (after === 'T' || after === 't')) {
    try {
      process.kill(t.pid, 'SIGCONT');
      resumed = true;
    } catch {
      // gone
    }
  }
  if (code !== 0) {
    await rm(raw, { force: true });
    if (code === 'timeout') throw new CtrdocError('deadline-exceeded', `gcore ${t.pid}: not done within ${opts.timeoutMs} ms; stopped gdb${resumed ? ' and sent SIGCONT' : ''}, removed the partial core`, 'a larger --timeout, or goroutine stacks instead');
    throw new CtrdocError('internal', `gcore ${t.pid} failed (exit ${code}): ${stderr.join('').trim().split('\n').slice(-3).join(' | ')}`, 'gdb needs ptrace: run as root, and check kernel.yama.ptrace_scope');
  }
  let coreBytes: number;
  let coreDiskBytes: number;
  try {
    const st = await stat(raw);
    coreBytes = st.size;
    coreDiskBytes = st.blocks * 512;
  } catch {
    throw new CtrdocError('internal', `gcore said it was done but wrote no ${raw}`, stderr.join('').trim().split('\n').slice(-2).join(' | '));
  }
  const gz = `${raw}.gz`;
  const g0 = Date.now();
  try {
    await pipeline(createReadStream(raw), createGzip({ level: 1 }), createWriteStream(gz, { mode: 0o600 }));
  } catch (err) {
    await rm(gz, { force: true });
    throw new CtrdocError('internal', `gzip of ${raw} failed: ${(err as Error).message}`, `the raw core is kept at ${raw}`);
  } finally {
    // the raw core is removed only once its .gz is complete
  }
  await rm(raw, { force: true });
  const gzipMs = Date.now() - g0;
  const gzBytes = (await stat(gz)).size;
  const json = `${raw}.json`;
  const stateAfter = stateNow(t.pid) ?? 'gone';
  const record = {
    apiVersion: 'ctrdoc/v1alpha1',
    kind: 'CoreDump',
    takenAt: new Date(t0).toISOString(),
    pid: t.pid,
    what: t.what,
    targetKind: t.kind,
    comm: t.comm,
    exe: t.exe,
    cmdline: t.cmdline,
    containerId: t.containerId,
    rssKb: t.rssKb,
    core: basename(gz),
    coreBytes,
    coreDiskBytes,
    gzBytes,
    gcoreMs,
    gzipMs,
    stateBefore: before,
    stateAfter,
    resumedWithSigcont: resumed,
    buildId: t.elf?.buildId,
    goBuildId: t.elf?.goBuildId,
    isGo: t.elf?.isGo,
    debugInfo: t.elf?.debugInfo ?? false,
    symtab: t.elf?.symtab ?? false,
    debugLink: t.elf?.debugLink,
    howToOpen: [
      `gunzip -k ${basename(gz)}`,
      `gdb ${t.exe} ${basename(raw)}   (the binary must have build-id ${t.elf?.buildId ?? '(unknown)'})`,
      ...(t.elf?.isGo ? [`dlv core ${t.exe} ${basename(raw)}`] : []),
      ...(t.elf && !t.elf.debugInfo ? [`no DWARF in the binary: install its debug symbols (${t.elf.debugLink ? `debug link ${t.elf.debugLink}; ` : ''}Debian: the -dbgsym package from the debug archive) for source lines and variables`] : []),
    ],
  };
  await writeFile(json, JSON.stringify(record, null, 2) + '\n', { mode: 0o600 });
  return { gz, json, coreBytes, coreDiskBytes, gzBytes, gcoreMs, gzipMs, stateAfter, resumed };
}
