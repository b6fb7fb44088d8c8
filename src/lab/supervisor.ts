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
import { CONTAINERD_BIN } from './config.ts';

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
  containerd?: ProcessRecord & { config: string };
  /** history of containerd processes this supervisor started (restarts by faults) */
  containerdHistory: (ProcessRecord & { config: string })[];
  helpers: Record<string, ProcessRecord & { log?: string }>;
}

export type SupervisorRequest =
  | { op: 'status' }
  | { op: 'start-containerd'; config?: string; waitMs?: number }
  | { op: 'stop-containerd'; signal?: NodeJS.Signals; graceMs?: number }
  | { op: 'signal-containerd'; signal: NodeJS.Signals }
  | { op: 'spawn'; name: string; argv: string[]; env?: Record<string, string>; log?: string; cwd?: string }
  | { op: 'stop-helper'; name: string; graceMs?: number }
  | { op: 'shutdown'; graceMs?: number };

export type SupervisorAnswer = { ok: true; record: LabRecord; pid?: number } | { ok: false; error: string };

const now = () => new Date().toISOString();

/** Runs the supervisor until shutdown. Never returns normally: the process exits. */
export async function runSupervisor(p: LabPaths): Promise<never> {
  const record: LabRecord = {
    dir: p.dir,
    supervisor: { pid: process.pid, startedAt: now() },
    containerdHistory: [],
    helpers: {},
  };
  const children = new Map<string, ChildProcess>();
  let containerd: ChildProcess | undefined;

  const save = () => {
    const tmp = p.record + '.tmp';
    writeFileSync(tmp, JSON.stringify(record, null, 2) + '\n');
    renameSync(tmp, p.record);
  };
  const log = (msg: string) => process.stderr.write(`${now()} supervisor[${process.pid}]: ${msg}\n`);

  const exited = (child: ChildProcess) =>
    new Promise<void>((res) => {
      if (child.exitCode !== null || child.signalCode !== null) res();
      else child.once('exit', () => res());
    });

  async function stopChild(child: ChildProcess, signal: NodeJS.Signals, graceMs: number): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    try {
      child.kill('SIGCONT'); // a stopped process cannot act on SIGTERM
      child.kill(signal);
    } catch { /* already gone */ }
    const done = exited(child);
    const timer = setTimeout(() => { try { child.kill('SIGKILL'); } catch { /* gone */ } }, graceMs);
    await done;
    clearTimeout(timer);
  }

  async function startContainerd(config: string, waitMs: number): Promise<number> {
    if (containerd && containerd.exitCode === null && containerd.signalCode === null) return containerd.pid!;
    rmSync(p.socket, { force: true });
    rmSync(p.socket + '.ttrpc', { force: true });
    rmSync(p.debugSocket, { force: true });
    const fd = openSync(p.log, 'a');
    const argv = [CONTAINERD_BIN, '--config', config];
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', fd, fd], cwd: p.dir });
    closeSync(fd);
    await new Promise<void>((res, rej) => {
      child.once('spawn', () => res());
      child.once('error', (err) => rej(new CtrdocError('not-found', `cannot start containerd: ${err.message}`, 'apt-get install -y containerd')));
    });
    containerd = child;
    const rec: ProcessRecord & { config: string } = { pid: child.pid!, argv, startedAt: now(), config };
    record.containerd = rec;
    record.containerdHistory.push(rec);
    save();
    log(`containerd started, pid ${child.pid}, config ${config}`);
    child.once('exit', (code, signal) => {
      rec.exit = { code, signal, at: now() };
      save();
      log(`containerd pid ${rec.pid} exited (code ${code}, signal ${signal})`);
    });
    // Ready when the gRPC socket exists (containerd creates it after loading its plugins).
    const deadline = Date.now() + waitMs;
    while (!existsSync(p.socket)) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new CtrdocError('unavailable', `containerd exited at start (code ${child.exitCode}, signal ${child.signalCode})`, `read ${p.log}`);
      }
      if (Date.now() > deadline) throw new CtrdocError('deadline-exceeded', `containerd did not create ${p.socket} within ${waitMs} ms`, `read ${p.log}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return child.pid!;
  }

  async function spawnHelper(name: string, argv: string[], env: Record<string, string> | undefined, logFile: string | undefined, cwd: string | undefined): Promise<number> {
    const old = children.get(name);
    if (old && old.exitCode === null && old.signalCode === null) throw new CtrdocError('failed-precondition', `helper ${name} already runs (pid ${old.pid})`);
    const fd = openSync(logFile ?? join(p.dir, `${name}.log`), 'a');
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', fd, fd], env: { ...process.env, ...env }, cwd: cwd ?? p.dir });
    closeSync(fd);
    await new Promise<void>((res, rej) => {
      child.once('spawn', () => res());
      child.once('error', (err) => rej(new CtrdocError('internal', `cannot start ${name}: ${err.message}`)));
    });
    children.set(name, child);
    const rec: ProcessRecord & { log?: string } = { pid: child.pid!, argv, startedAt: now(), log: logFile };
    record.helpers[name] = rec;
    save();
    child.once('exit', (code, signal) => {
      rec.exit = { code, signal, at: now() };
      save();
    });
    return child.pid!;
  }

  async function shutdown(graceMs: number): Promise<void> {
    await Promise.all([...children.values()].map((c) => stopChild(c, 'SIGTERM', 3000)));
    if (containerd) await stopChild(containerd, 'SIGTERM', graceMs);
  }

  async function handle(req: SupervisorRequest): Promise<SupervisorAnswer> {
    switch (req.op) {
      case 'status':
        return { ok: true, record };
      case 'start-containerd':
        return { ok: true, record, pid: await startContainerd(req.config ?? p.config, req.waitMs ?? 20_000) };
      case 'stop-containerd':
        if (containerd) await stopChild(containerd, req.signal ?? 'SIGTERM', req.graceMs ?? 10_000);
        return { ok: true, record };
      case 'signal-containerd':
        if (!containerd || containerd.exitCode !== null || containerd.signalCode !== null) throw new CtrdocError('failed-precondition', 'containerd is not running');
        containerd.kill(req.signal);
        return { ok: true, record, pid: containerd.pid };
      case 'spawn':
        return { ok: true, record, pid: await spawnHelper(req.name, req.argv, req.env, req.log, req.cwd) };
      case 'stop-helper': {
        const c = children.get(req.name);
        if (c) await stopChild(c, 'SIGTERM', req.graceMs ?? 3000);
        children.delete(req.name);
        delete record.helpers[req.name];
        save();
        return { ok: true, record };
      }
      case 'shutdown':
        await shutdown(req.graceMs ?? 10_000);
        return { ok: true, record };
      default:
        throw new CtrdocError('invalid-argument', `unknown supervisor request ${JSON.stringify(req)}`);
    }
  }

  rmSync(p.supervisorSocket, { force: true });
  let stopping = false;
  const server = createServer((sock: Socket) => {
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
      handle(req).then(
        (ans) => {
          sock.end(JSON.stringify(ans) + '\n');
          if (req.op === 'shutdown') finish(0);
        },
        (err) => sock.end(JSON.stringify({ ok: false, error: CtrdocError.from(err).describe() }) + '\n'),
      );
    });
  });
  const finish = (code: number) => {
    if (stopping) return;
    stopping = true;
    log('exiting');
    server.close();
    rmSync(p.supervisorSocket, { force: true });
    setTimeout(() => process.exit(code), 100);
  };
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.on(sig, () => { log(`${sig}: shutting down`); shutdown(10_000).finally(() => finish(0)); });
  }
  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(p.supervisorSocket, () => res());
  });
  save();
  log(`listening on ${p.supervisorSocket}`);
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
