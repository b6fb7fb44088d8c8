// The lab's supervisor: a small detached Node process (`ctrdoc lab supervise --dir DIR`, its own
// session) that keeps containerd and the faults' background processes as ITS children, so they
// are reaped the moment they exit (PID 1 on these machines reaps late). `ctrdoc lab up` exits;
// the supervisor stays. It listens on DIR/supervisor.sock (one JSON request per line, one JSON
// answer per line) and writes every pid it owns to DIR/lab.json.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, createConnection, type Socket } from 'node:net';
import { openSync, closeSync, writeFileSync, renameSync, rmSync, existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { CtrdocError } from '../errors.ts';
import { withDeadline } from '../deadline.ts';
import type { LabPaths } from './paths.ts';
import type { LabBinaries } from './containerd/binaries.ts';

export interface ProcessRecord {
  pid: number;
  argv: string[];
  startedAt: string;
  /** set once the process has exited */
  exit?: { code: number | null; signal: string | null; at: string };
}

export interface LabRecord {
  dir: string;
  supervisor: { pid: number; startedAt: string };
  /** the containerd version this lab runs and its binaries (set by the first start-containerd) */
  binaries?: LabBinaries;
  containerd?: ProcessRecord & { config: string };
  /** history of containerd processes this supervisor started (restarts by faults) */
  containerdHistory: (ProcessRecord & { config: string })[];
  helpers: Record<string, ProcessRecord & { log?: string }>;
}

export type SupervisorRequest =
  | { op: 'status' }
  | { op: 'start-containerd'; config?: string; waitMs?: number; binaries?: LabBinaries }
  | { op: 'stop-containerd'; signal?: NodeJS.Signals; graceMs?: number }
  | { op: 'signal-containerd'; signal: NodeJS.Signals }
  | { op: 'spawn'; name: string; argv: string[]; env?: Record<string, string>; log?: string; cwd?: string }
  | { op: 'stop-helper'; name: string; graceMs?: number }
  | { op: 'shutdown'; graceMs?: number };

export type SupervisorAnswer = { ok: true; record: LabRecord; pid?: number } | { ok: false; error: string };

const now = () => new Date().toISOString();

/** What one supervisor process holds: the lab's paths, its record and its children. */
interface Supervisor {
  p: LabPaths;
  record: LabRecord;
  helpers: Map<string, ChildProcess>;
  containerd?: ChildProcess;
}

function saveRecord(s: Supervisor): void {
  const tmp = s.p.record + '.tmp';
  writeFileSync(tmp, JSON.stringify(s.record, null, 2) + '\n');
  renameSync(tmp, s.p.record);
}

function say(msg: string): void {
  process.stderr.write(`${now()} supervisor[${process.pid}]: ${msg}\n`);
}

const running = (child: ChildProcess | undefined): child is ChildProcess => !!child && child.exitCode === null && child.signalCode === null;

function exited(child: ChildProcess): Promise<void> {
  return new Promise<void>((res) => {
    if (!running(child)) res();
    else child.once('exit', () => res());
  });
}

/** Sends sig to the child's whole process group when it leads one (a helper), else to the child. */
function signalChild(child: ChildProcess, sig: NodeJS.Signals, group: boolean): void {
  try {
    if (group && child.pid) process.kill(-child.pid, sig);
    else child.kill(sig);
  } catch { /* already gone */ }
}

/**
 * SIGCONT (a stopped process cannot act on SIGTERM), the signal, SIGKILL after graceMs. A child
 * that leads its own process group (a helper: a shell loop, a stand-in, and what they started)
 * gets each signal as a group, and the group a last SIGKILL once the child is gone: a child that
 * outlived its parent's trap would be orphaned to init and never stopped.
 */
async function stopChild(child: ChildProcess, signal: NodeJS.Signals, graceMs: number, group = false): Promise<void> {
  if (running(child)) {
    signalChild(child, 'SIGCONT', group);
    signalChild(child, signal, group);
    const done = exited(child);
    const timer = setTimeout(() => signalChild(child, 'SIGKILL', group), graceMs);
    await done;
    clearTimeout(timer);
  }
  if (group) signalChild(child, 'SIGKILL', true);
}

/** Spawns a child with stdout and stderr appended to a log file; resolves once it runs. group: it leads a process group of its own. */
async function spawnLogged(argv: string[], logFile: string, o: { env?: NodeJS.ProcessEnv; cwd: string; group?: boolean }, notFound: (err: Error) => CtrdocError): Promise<ChildProcess> {
  const fd = openSync(logFile, 'a');
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', fd, fd], env: o.env, cwd: o.cwd, detached: !!o.group });
  closeSync(fd);
  await new Promise<void>((res, rej) => {
    child.once('spawn', () => res());
    child.once('error', (err) => rej(notFound(err)));
  });
  return child;
}

/** containerd's environment: the version's bin dir first on PATH, so it runs its own shim. */
export function containerdEnv(b: LabBinaries, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const rest = (env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':').filter((d) => d && d !== b.binDir);
  return { ...env, PATH: [b.binDir, ...rest].join(':') };
}

/** Ready when the gRPC socket exists (containerd creates it after loading its plugins). */
async function waitForSocket(p: LabPaths, child: ChildProcess, waitMs: number): Promise<void> {
  const deadline = Date.now() + waitMs;
  while (!existsSync(p.socket)) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new CtrdocError('unavailable', `containerd exited at start (code ${child.exitCode}, signal ${child.signalCode})`, `read ${p.log}`);
    }
    if (Date.now() > deadline) throw new CtrdocError('deadline-exceeded', `containerd did not create ${p.socket} within ${waitMs} ms`, `read ${p.log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function startContainerd(s: Supervisor, config: string, waitMs: number, binaries: LabBinaries | undefined): Promise<number> {
  if (running(s.containerd)) return s.containerd.pid!;
  const b = binaries ?? s.record.binaries;
  if (!b) throw new CtrdocError('failed-precondition', 'no containerd version chosen for this lab yet', 'ctrdoc lab up --containerd VERSION');
  if (s.record.binaries && s.record.binaries.labVersion !== b.labVersion) {
    throw new CtrdocError('failed-precondition', `this lab runs containerd ${s.record.binaries.labVersion}, not ${b.labVersion}`, `ctrdoc lab down --dir ${s.p.dir} first`);
  }
  s.record.binaries = b;
  for (const sock of [s.p.socket, s.p.socket + '.ttrpc', s.p.debugSocket]) rmSync(sock, { force: true });
  const argv = [b.containerd, '--config', config];
  const child = await spawnLogged(argv, s.p.log, { env: containerdEnv(b), cwd: s.p.dir }, (err) => new CtrdocError('not-found', `cannot start ${b.containerd}: ${err.message}`, `ctrdoc lab prepare --containerd ${b.labVersion}`));
  s.containerd = child;
  const rec: ProcessRecord & { config: string } = { pid: child.pid!, argv, startedAt: now(), config };
  s.record.containerd = rec;
  s.record.containerdHistory.push(rec);
  saveRecord(s);
  say(`containerd ${b.labVersion} (${b.binaryVersion}) started, pid ${child.pid}, config ${config}`);
  child.once('exit', (code, signal) => {
    rec.exit = { code, signal, at: now() };
    saveRecord(s);
    say(`containerd pid ${rec.pid} exited (code ${code}, signal ${signal})`);
  });
  await waitForSocket(s.p, child, waitMs);
  return child.pid!;
}

async function spawnHelper(s: Supervisor, req: Extract<SupervisorRequest, { op: 'spawn' }>): Promise<number> {
  const old = s.helpers.get(req.name);
  if (running(old)) throw new CtrdocError('failed-precondition', `helper ${req.name} already runs (pid ${old.pid})`);
  // its own process group: stopping it stops everything it started
  const child = await spawnLogged(req.argv, req.log ?? join(s.p.dir, `${req.name}.log`), { env: { ...process.env, ...req.env }, cwd: req.cwd ?? s.p.dir, group: true }, (err) => new CtrdocError('internal', `cannot start ${req.name}: ${err.message}`));
  s.helpers.set(req.name, child);
  const rec: ProcessRecord & { log?: string } = { pid: child.pid!, argv: req.argv, startedAt: now(), log: req.log };
  s.record.helpers[req.name] = rec;
  saveRecord(s);
  child.once('exit', (code, signal) => {
    rec.exit = { code, signal, at: now() };
    saveRecord(s);
  });
  return child.pid!;
}

async function stopHelper(s: Supervisor, name: string, graceMs: number): Promise<void> {
  const c = s.helpers.get(name);
  if (c) await stopChild(c, 'SIGTERM', graceMs, true);
  s.helpers.delete(name);
  delete s.record.helpers[name];
  saveRecord(s);
}

async function shutdown(s: Supervisor, graceMs: number): Promise<void> {
  await Promise.all([...s.helpers.values()].map((c) => stopChild(c, 'SIGTERM', 3000, true)));
  if (s.containerd) await stopChild(s.containerd, 'SIGTERM', graceMs);
}

async function handle(s: Supervisor, req: SupervisorRequest): Promise<SupervisorAnswer> {
  const record = s.record;
  switch (req.op) {
    case 'status':
      return { ok: true, record };
    case 'start-containerd':
      return { ok: true, record, pid: await startContainerd(s, req.config ?? s.p.config, req.waitMs ?? 20_000, req.binaries) };
    case 'stop-containerd':
      if (s.containerd) await stopChild(s.containerd, req.signal ?? 'SIGTERM', req.graceMs ?? 10_000);
      return { ok: true, record };
    case 'signal-containerd':
      if (!running(s.containerd)) throw new CtrdocError('failed-precondition', 'containerd is not running');
      s.containerd.kill(req.signal);
      return { ok: true, record, pid: s.containerd.pid };
    case 'spawn':
      return { ok: true, record, pid: await spawnHelper(s, req) };
    case 'stop-helper':
      await stopHelper(s, req.name, req.graceMs ?? 3000);
      return { ok: true, record };
    case 'shutdown':
      await shutdown(s, req.graceMs ?? 10_000);
      return { ok: true, record };
    default:
      throw new CtrdocError('invalid-argument', `unknown supervisor request ${JSON.stringify(req)}`);
  }
}

/** One JSON request per line in, one JSON answer per line out; a shutdown answer ends the process. */
function serveRequests(s: Supervisor, finish: (code: number) => void) {
  return createServer((sock: Socket) => {
    let buf = '';
    sock.setEncoding('utf8');
    sock.on('error', () => {});
    sock.on('data', (chunk: string) => {
      buf += chunk;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      let req: SupervisorRequest;
      try {
        req = JSON.parse(line) as SupervisorRequest;
      } catch {
        sock.end(JSON.stringify({ ok: false, error: 'request is not JSON' }) + '\n');
        return;
      }
      handle(s, req).then(
        (ans) => {
          sock.end(JSON.stringify(ans) + '\n');
          if (req.op === 'shutdown') finish(0);
        },
        (err) => sock.end(JSON.stringify({ ok: false, error: CtrdocError.from(err).describe() }) + '\n'),
      );
    });
  });
}

/** Runs the supervisor until shutdown. Never returns normally: the process exits. */
export async function runSupervisor(p: LabPaths): Promise<never> {
  const s: Supervisor = {
    p,
    record: { dir: p.dir, supervisor: { pid: process.pid, startedAt: now() }, containerdHistory: [], helpers: {} },
    helpers: new Map(),
  };
  rmSync(p.supervisorSocket, { force: true });
  let stopping = false;
  const finish = (code: number) => {
    if (stopping) return;
    stopping = true;
    say('exiting');
    server.close();
    rmSync(p.supervisorSocket, { force: true });
    setTimeout(() => process.exit(code), 100);
  };
  const server = serveRequests(s, finish);
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.on(sig, () => { say(`${sig}: shutting down`); void shutdown(s, 10_000).finally(() => finish(0)); });
  }
  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(p.supervisorSocket, () => res());
  });
  saveRecord(s);
  say(`listening on ${p.supervisorSocket}`);
  return new Promise<never>(() => {});
}

/** One request to the supervisor of the lab at p; throws unavailable when none answers. */
export async function askSupervisor(p: LabPaths, req: SupervisorRequest, timeoutMs = 30_000): Promise<SupervisorAnswer & { ok: true }> {
  const ans = await withDeadline(
    new Promise<SupervisorAnswer>((res, rej) => {
      const sock = createConnection(p.supervisorSocket);
      let buf = '';
      sock.setEncoding('utf8');
      sock.on('connect', () => sock.write(JSON.stringify(req) + '\n'));
      sock.on('data', (c: string) => (buf += c));
      sock.on('end', () => {
        try {
          res(JSON.parse(buf) as SupervisorAnswer);
        } catch {
          rej(new CtrdocError('internal', `lab supervisor answered garbage: ${buf.slice(0, 200)}`));
        }
      });
      sock.on('error', (err) => rej(new CtrdocError('unavailable', `lab supervisor at ${p.supervisorSocket}: ${err.message}`, 'is the lab up? run `ctrdoc lab up`')));
    }),
    timeoutMs,
    `lab supervisor (${req.op})`,
  );
  if (!ans.ok) throw new CtrdocError('failed-precondition', `lab supervisor (${req.op}): ${ans.error}`);
  return ans;
}

export function readLabRecord(p: LabPaths): LabRecord | undefined {
  try {
    return JSON.parse(readFileSync(p.record, 'utf8')) as LabRecord;
  } catch {
    return undefined;
  }
}

/** The binaries the lab at p runs (recorded in lab.json by its supervisor). */
export function recordedBinaries(p: LabPaths): LabBinaries {
  const b = readLabRecord(p)?.binaries;
  if (!b) throw new CtrdocError('failed-precondition', `no lab runs at ${p.dir} (lab.json names no containerd version)`, `ctrdoc lab up --dir ${p.dir}`);
  return b;
}

/** The command line that runs this very ctrdoc (source through tsx, or the bundle). */
export function selfCommand(): string[] {
  const override = process.env.CTRDOC_SELF;
  if (override) return override.split(' ').filter(Boolean);
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.ts')) {
    const main = join(dirname(here), '..', 'cli', 'bin.ts');
    return [process.execPath, '--import', import.meta.resolve('tsx'), main];
  }
  // bundled: this code sits in dist/ctrdoc-main.cjs, run by the launcher dist/ctrdoc.cjs
  const launcher = join(dirname(here), 'ctrdoc.cjs');
  if (existsSync(launcher)) return [process.execPath, launcher];
  return [process.execPath, process.argv[1]];
}

/** Starts a detached supervisor for the lab and waits until it answers. */
export async function startSupervisor(p: LabPaths, timeoutMs = 15_000): Promise<LabRecord> {
  const [cmd, ...args] = selfCommand();
  const fd = openSync(p.supervisorLog, 'a');
  const child = spawn(cmd, [...args, 'lab', 'supervise', '--dir', p.dir], { detached: true, stdio: ['ignore', fd, fd], cwd: p.dir });
  closeSync(fd);
  child.unref();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return (await askSupervisor(p, { op: 'status' }, 2000)).record;
    } catch (err) {
      if (child.exitCode !== null) throw new CtrdocError('internal', `lab supervisor exited at start (code ${child.exitCode})`, `read ${p.supervisorLog}`);
      if (Date.now() > deadline) throw new CtrdocError('deadline-exceeded', `lab supervisor did not answer within ${timeoutMs} ms: ${(err as Error).message}`, `read ${p.supervisorLog}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
