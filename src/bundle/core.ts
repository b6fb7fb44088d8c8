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

/** A file of /proc/PID, or '' when it cannot be read. */
function procOr(pid: number, read: () => string): string {
  try {
    return read();
  } catch {
    return '';
  }
}

/** What describeTarget read of the process, for the kinds below to judge. */
interface Seen {
  st: ReturnType<typeof statOf>;
  cmdline: string[];
  base: string;
  cgroup: string;
  arg: (name: string) => string | undefined;
  namer?: IdNamer;
}

const nameOf = (s: Seen, id: string | undefined, kind: 'sandbox' | 'container') => (id && s.namer ? s.namer(id, kind).catch(() => undefined) : Promise.resolve(undefined));

/** What a process is in the stack, first match wins: each fills t.kind, t.what and maybe t.containerId. */
const KINDS: { matches: (s: Seen) => boolean; describe: (t: CoreTarget, s: Seen) => Promise<void> }[] = [
  {
    matches: (s) => /^containerd-shim/.test(s.st.comm) || /^containerd-shim/.test(s.base),
    async describe(t, s) {
      t.kind = 'shim';
      t.containerId = s.arg('-id');
      const name = await nameOf(s, t.containerId, 'sandbox');
      const ns = s.arg('-namespace');
      t.what = `${s.base} (the shim) of ${name ? `pod ${name}` : 'task group'} ${t.containerId ? `id ${t.containerId.slice(0, 13)}` : ''}${ns ? ` in namespace ${ns}` : ''}`.trim();
    },
  },
  {
    matches: (s) => s.st.comm === 'containerd' || s.base === 'containerd',
    async describe(t, s) {
      t.kind = 'containerd';
      t.what = `containerd, the runtime daemon (${s.cmdline.join(' ').slice(0, 120)})`;
    },
  },
  {
    matches: (s) => /^runc:\[/.test(s.st.comm) || (s.cmdline[1] === 'init' && /runc$/.test(s.cmdline[0] ?? '')),
    async describe(t, s) {
      t.kind = 'runc-init';
      // its cgroup names the container; else its parent's last argument (runc create ID)
      t.containerId = ID_RE.exec(s.cgroup)?.[0] ?? (procOr(s.st.ppid, () => readProc(s.st.ppid, 'cmdline')).split('\0').filter(Boolean).at(-1) || undefined);
      const name = await nameOf(s, t.containerId, 'container');
      t.what = `runc init (${s.st.comm}) of container ${name ?? t.containerId?.slice(0, 13) ?? '(unknown)'}: the container's first process before exec`;
    },
  },
  {
    matches: (s) => s.base === 'runc' || s.st.comm === 'runc',
    async describe(t, s) {
      t.kind = 'runc';
      t.what = `runc ${s.cmdline.filter((a) => !a.startsWith('-')).slice(1, 2).join('')} (${s.cmdline.join(' ').slice(0, 120)})`;
    },
  },
  {
    matches: (s) => s.st.comm === 'kubelet' || s.base === 'kubelet',
    async describe(t) {
      t.kind = 'kubelet';
      t.what = 'kubelet';
    },
  },
  {
    matches: (s) => ID_RE.test(s.cgroup),
    async describe(t, s) {
      const id = ID_RE.exec(s.cgroup)![0];
      t.kind = 'container-process';
      t.containerId = id;
      t.what = `${s.st.comm} in container ${(await nameOf(s, id, 'container')) ?? id.slice(0, 13)}`;
    },
  },
];

/** Reads /proc for PID and says what it is in the stack. */
export async function describeTarget(pid: number, namer?: IdNamer): Promise<CoreTarget> {
  let st: ReturnType<typeof statOf>;
  try {
    st = statOf(pid);
  } catch {
    throw new CtrdocError('not-found', `no process ${pid}`, 'check the pid with ps or `ctrdoc doctor`');
  }
  const cmdline = readProc(pid, 'cmdline').split('\0').filter(Boolean);
  const exe = procOr(pid, () => readlinkSync(`/proc/${pid}/exe`).replace(/ \(deleted\)$/, ''));
  const status = readProc(pid, 'status');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
  const cgroup = procOr(pid, () => readProc(pid, 'cgroup'));
  const t: CoreTarget = { pid, ppid: st.ppid, comm: st.comm, state: st.state, exe, cmdline, rssKb: kb('VmRSS'), vmKb: kb('VmSize'), kind: 'other', what: '' };
  const arg = (name: string) => {
    const i = cmdline.indexOf(name);
    return i !== -1 ? cmdline[i + 1] : undefined;
  };
  const seen: Seen = { st, cmdline, base: basename(exe || cmdline[0] || st.comm), cgroup, arg, namer };
  const kind = KINDS.find((k) => k.matches(seen));
  if (kind) await kind.describe(t, seen);
  else t.what = `${st.comm} (${cmdline.join(' ').slice(0, 120) || 'no command line'})`;
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
/** Runs gcore in its own process group under a deadline: its exit code, or 'timeout' (gdb stopped). */
function runGcore(plan: CorePlan, opts: { timeoutMs: number; gcore?: string }, stderr: string[]): Promise<number | string> {
  return new Promise<number | string>((resolve, reject) => {
    const child = spawn(opts.gcore ?? 'gcore', ['-o', plan.prefix, String(plan.target.pid)], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
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
}

/**
 * gdb detaches on exit; if it was killed the process may be left in a stop: continue it, unless
 * it was stopped before we came. Did it send SIGCONT?
 */
async function resumeIfLeftStopped(pid: number, wasStopped: boolean): Promise<boolean> {
  await new Promise((r) => setTimeout(r, 100));
  const after = stateNow(pid);
  if (wasStopped || (after !== 'T' && after !== 't')) return false;
  try {
    process.kill(pid, 'SIGCONT');
    return true;
  } catch {
    return false; // gone
  }
}

/** The raw core's size (apparent and on disk), gzipped beside it; the raw core is removed only once its .gz is complete. */
async function gzipCore(raw: string, stderr: string[]): Promise<{ gz: string; coreBytes: number; coreDiskBytes: number; gzBytes: number; gzipMs: number }> {
  let st;
  try {
    st = await stat(raw);
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
  }
  await rm(raw, { force: true });
  return { gz, coreBytes: st.size, coreDiskBytes: st.blocks * 512, gzBytes: (await stat(gz)).size, gzipMs: Date.now() - g0 };
}

/** How to open the core: gdb (or dlv for Go) with the binary of the same build id, and its debug symbols. */
function howToOpen(t: CoreTarget, gz: string, raw: string): string[] {
  return [
    `gunzip -k ${basename(gz)}`,
    `gdb ${t.exe} ${basename(raw)}   (the binary must have build-id ${t.elf?.buildId ?? '(unknown)'})`,
    ...(t.elf?.isGo ? [`dlv core ${t.exe} ${basename(raw)}`] : []),
    ...(t.elf && !t.elf.debugInfo ? [`no DWARF in the binary: install its debug symbols (${t.elf.debugLink ? `debug link ${t.elf.debugLink}; ` : ''}Debian: the -dbgsym package from the debug archive) for source lines and variables`] : []),
  ];
}

export async function takeCore(plan: CorePlan, opts: { timeoutMs: number; gcore?: string }): Promise<CoreResult> {
  const t = plan.target;
  const before = stateNow(t.pid);
  if (!before) throw new CtrdocError('not-found', `process ${t.pid} exited before the dump`);
  const raw = `${plan.prefix}.${t.pid}`;
  const t0 = Date.now();
  const stderr: string[] = [];
  const code = await runGcore(plan, opts, stderr);
  const gcoreMs = Date.now() - t0;
  const resumed = await resumeIfLeftStopped(t.pid, before === 'T');
  if (code !== 0) {
    await rm(raw, { force: true });
    if (code === 'timeout') throw new CtrdocError('deadline-exceeded', `gcore ${t.pid}: not done within ${opts.timeoutMs} ms; stopped gdb${resumed ? ' and sent SIGCONT' : ''}, removed the partial core`, 'a larger --timeout, or goroutine stacks instead');
    throw new CtrdocError('internal', `gcore ${t.pid} failed (exit ${code}): ${stderr.join('').trim().split('\n').slice(-3).join(' | ')}`, 'gdb needs ptrace: run as root, and check kernel.yama.ptrace_scope');
  }
  const { gz, coreBytes, coreDiskBytes, gzBytes, gzipMs } = await gzipCore(raw, stderr);
  const json = `${raw}.json`;
  const stateAfter = stateNow(t.pid) ?? 'gone';
  const e = t.elf;
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
    buildId: e?.buildId,
    goBuildId: e?.goBuildId,
    isGo: e?.isGo,
    debugInfo: e?.debugInfo ?? false,
    symtab: e?.symtab ?? false,
    debugLink: e?.debugLink,
    howToOpen: howToOpen(t, gz, raw),
  };
  await writeFile(json, JSON.stringify(record, null, 2) + '\n', { mode: 0o600 });
  return { gz, json, coreBytes, coreDiskBytes, gzBytes, gcoreMs, gzipMs, stateAfter, resumed };
}
