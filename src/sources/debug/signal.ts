// Goroutine dumps by signal, for when there is no debug socket (the default) or the process is
// too sick to answer HTTP. Only SIGUSR1, and only when the caller asked for it in so many
// words: containerd and its shims dump their goroutines on SIGUSR1 and carry on. SIGQUIT is
// never sent — it kills the process (a dead shim means containerd kills its containers).
//   containerd: logs the dump and writes os.TempDir()/containerd.<pid>.stacks.log
//   shim:       logs the dump (fields pid, path, namespace) to its log FIFO, which containerd
//               copies to its own stderr: a file, or journald.

import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { CtrdocError } from '../../errors.ts';
import { formatMs } from '../../deadline.ts';

const END_MARKER = '=== END goroutine stack dump ===';

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

export function processComm(pid: number, procRoot = '/proc'): string | undefined {
  return readText(join(procRoot, String(pid), 'comm'))?.trim();
}

function processEnv(pid: number, procRoot = '/proc'): Record<string, string> {
  const env: Record<string, string> = {};
  for (const kv of (readText(join(procRoot, String(pid), 'environ')) ?? '').split('\0')) {
    const i = kv.indexOf('=');
    if (i > 0) env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return env;
}

export function processArgv(pid: number, procRoot = '/proc'): string[] {
  return (readText(join(procRoot, String(pid), 'cmdline')) ?? '').split('\0').filter(Boolean);
}

/**
 * Where containerd (pid) writes its SIGUSR1 dump: its own TMPDIR (Go's os.TempDir), seen
 * through /proc/PID/root so a containerd in another mount namespace works too.
 */
export function containerdStacksPath(pid: number, procRoot = '/proc'): string {
  const tmp = processEnv(pid, procRoot).TMPDIR || '/tmp';
  return join(procRoot, String(pid), 'root', tmp, `containerd.${pid}.stacks.log`);
}

export interface StacksFile {
  path: string;
  mtimeMs: number;
  size: number;
}

export function existingStacksFile(pid: number, procRoot = '/proc'): StacksFile | undefined {
  const path = containerdStacksPath(pid, procRoot);
  try {
    const st = statSync(path);
    return { path, mtimeMs: st.mtimeMs, size: st.size };
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function requireComm(pid: number, want: RegExp, what: string): string {
  const comm = processComm(pid);
  if (comm === undefined) throw new CtrdocError('not-found', `no process ${pid}`, 'check the pid (it may have exited)');
  if (!want.test(comm)) {
    throw new CtrdocError('failed-precondition', `process ${pid} is "${comm}", not ${what}`, `refusing to signal it; pass the pid of ${what}`);
  }
  return comm;
}

function sendUsr1(pid: number): void {
  try {
    process.kill(pid, 'SIGUSR1');
  } catch (err) {
    throw CtrdocError.from(err, `SIGUSR1 to ${pid}`);
  }
}

/** SIGUSR1 to containerd, then wait for a fresh, complete stacks file. */
export async function signalContainerdDump(pid: number, opts: { timeoutMs: number }): Promise<StacksFile> {
  requireComm(pid, /^containerd$/, 'containerd');
  const path = containerdStacksPath(pid);
  const before = existingStacksFile(pid)?.mtimeMs ?? 0;
  const deadline = Date.now() + opts.timeoutMs;
  sendUsr1(pid);
  let last = -1;
  while (Date.now() < deadline) {
    await sleep(50);
    const f = existingStacksFile(pid);
    if (f && f.mtimeMs > before && f.size > 0) {
      if (f.size === last) return f; // unchanged over one poll: written
      last = f.size;
    }
  }
  throw new CtrdocError('deadline-exceeded', `containerd ${pid} did not write ${path} within ${formatMs(opts.timeoutMs)} of SIGUSR1`,
    'its signal handler may be blocked; try the debug socket, or a longer --timeout');
}

/** The `-address` a shim was started with (its containerd's socket). */
export function shimAddress(pid: number): string | undefined {
  const argv = processArgv(pid);
  const i = argv.indexOf('-address');
  return i !== -1 ? argv[i + 1] : argv.find((a) => a.startsWith('-address='))?.slice(9);
}

export interface ShimDumpOptions {
  timeoutMs: number;
  /** containerd's log file; journald (`journalctl -u UNIT -o cat`) when absent */
  containerdLog?: string;
  journalUnit?: string;
  maxBytes?: number;
}

export interface HarvestedLog {
  /** the log text from the signal to the end of the shim's dump line */
  text: Buffer;
  /** where it came from: a file path or `journalctl -u containerd` */
  from: string;
}

/** True when the text holds the END marker on a line that names pid (logfmt or JSON). */
export function hasShimDumpEnd(text: string, pid: number): number {
  let at = text.indexOf(END_MARKER);
  const re = new RegExp(`(?:\\bpid=|"pid":)${pid}\\b`);
  while (at !== -1) {
    const nl = text.indexOf('\n', at);
    const lineEnd = nl === -1 ? text.length : nl;
    if (re.test(text.slice(at, lineEnd))) return nl === -1 ? text.length : nl + 1;
    at = text.indexOf(END_MARKER, lineEnd);
  }
  return -1;
}

/** SIGUSR1 to a shim, then harvest its dump from containerd's log. */
export async function signalShimDump(pid: number, opts: ShimDumpOptions): Promise<HarvestedLog> {
  requireComm(pid, /^containerd-shim/, 'a containerd shim');
  const maxBytes = opts.maxBytes ?? 512 * 1024 * 1024;
  const deadline = Date.now() + opts.timeoutMs;
  if (opts.containerdLog) {
    const path = opts.containerdLog;
    let start: number;
    try {
      start = statSync(path).size;
    } catch (err) {
      throw CtrdocError.from(err, `containerd log ${path}`);
    }
    sendUsr1(pid);
    while (Date.now() < deadline) {
      await sleep(100);
      const size = statSync(path).size;
      if (size <= start) continue;
      const len = Math.min(size - start, maxBytes);
      const buf = Buffer.alloc(len);
      const fd = openSync(path, 'r');
      try {
        readSync(fd, buf, 0, len, start);
      } finally {
        closeSync(fd);
      }
      const end = hasShimDumpEnd(buf.toString('latin1'), pid);
      if (end !== -1) return { text: buf.subarray(0, end), from: path };
      if (len === maxBytes) break;
    }
    throw new CtrdocError('deadline-exceeded', `no goroutine dump of shim ${pid} appeared in ${path} within ${formatMs(opts.timeoutMs)}`,
      'is this the log containerd writes to (its stderr)? shims log through containerd');
  }
  const unit = opts.journalUnit ?? 'containerd';
  const since = Math.floor(Date.now() / 1000) - 1;
  sendUsr1(pid);
  while (Date.now() < deadline) {
    await sleep(300);
    const left = Math.max(100, deadline - Date.now());
    const out = await new Promise<Buffer>((resolve, reject) => {
      execFile('journalctl', ['-u', unit, '-o', 'cat', '--no-pager', '--since', `@${since}`],
        { encoding: 'buffer', timeout: left, maxBuffer: maxBytes, killSignal: 'SIGKILL' },
        (err, stdout) => (err && !stdout?.length ? reject(CtrdocError.from(err, 'journalctl')) : resolve(stdout)));
    });
    const end = hasShimDumpEnd(out.toString('latin1'), pid);
    if (end !== -1) return { text: out.subarray(0, end), from: `journalctl -u ${unit}` };
  }
  throw new CtrdocError('deadline-exceeded', `no goroutine dump of shim ${pid} appeared in journalctl -u ${unit} within ${formatMs(opts.timeoutMs)}`,
    'pass --containerd-log FILE if containerd logs to a file');
}
