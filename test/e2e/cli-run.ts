// Runs the built CLI as a user would: a separate process, its exit code, stdout and stderr.
// Every run has a hard bound so a hung command fails the test instead of hanging the suite.
import { spawnSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const CLI = join(import.meta.dirname, '..', '..', 'dist', 'ctrdoc.cjs');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export function ctrdoc(args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; uid?: number; gid?: number } = {}): CliResult {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
  const t = Date.now();
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 60_000,
    killSignal: 'SIGKILL',
    env: { ...process.env, CONTAINER_RUNTIME_ENDPOINT: '', ...opts.env },
    uid: opts.uid,
    gid: opts.gid,
  });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', ms: Date.now() - t };
}

/**
 * A test's own look at CRI (`ctrdoc cri ... -o json`), as a person would take it to check: with a
 * deadline of 10 s per call, since the test judges what CRI says, not how fast it says it (on a
 * loaded machine the default 2 s runs out); a failed call fails the test with its message.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON as the test reads it, like JSON.parse
export function criJson<T = any>(endpoint: string, ...args: string[]): T {
  const r = ctrdoc(['cri', ...args, '-o', 'json', '--timeout', '10s', '-r', endpoint]);
  if (r.code !== 0) throw new Error(`ctrdoc cri ${args.join(' ')} -o json: exit ${r.code}: ${r.stderr.trim()}`);
  return JSON.parse(r.stdout) as T;
}

/**
 * The same, without blocking the event loop (for tests that serve something in-process, or act
 * on what the command says as it runs: onStderrLine sees each line of stderr as it comes).
 */
export function ctrdocAsync(args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; onStderrLine?: (line: string) => void } = {}): Promise<CliResult> {
  const t = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, CONTAINER_RUNTIME_ENDPOINT: '', ...opts.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => (stdout += b));
    child.stderr.on('data', (b) => {
      const from = stderr.lastIndexOf('\n') + 1;
      stderr += b;
      if (opts.onStderrLine) stderr.slice(from, stderr.lastIndexOf('\n') + 1).split('\n').slice(0, -1).forEach(opts.onStderrLine);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - t });
    });
  });
}

export const isRoot = process.getuid?.() === 0;

export interface TestLab {
  dir: string;
  flags: string[];
  endpoint: string;
  containerdPid: () => number;
  down: () => void;
}

/**
 * A lab of our own for one test file; `down` in after(). version: the containerd it runs
 * (`lab up --containerd`); without it, $CTRDOC_LAB_CONTAINERD or 1.6, as for a user.
 */
export function labUp(dir: string, pods: number, version?: string): TestLab {
  ctrdoc(['lab', 'down', '--dir', dir], { timeoutMs: 120_000 });
  // preparing a version that is not cached yet (a fetch, or the seed's build) takes minutes
  const up = ctrdoc(['lab', 'up', '--dir', dir, '--pods', String(pods), ...(version ? ['--containerd', version] : [])], { timeoutMs: 20 * 60_000 });
  if (up.code !== 0) throw new Error(`lab up failed (${up.code}): ${up.stderr}`);
  const env = readFileSync(join(dir, 'env'), 'utf8');
  const flags = (/^CTRDOC_FLAGS="(.*)"$/m.exec(env)?.[1] ?? '').split(' ').filter(Boolean);
  const endpoint = /^CONTAINER_RUNTIME_ENDPOINT=(.*)$/m.exec(env)?.[1] ?? '';
  return {
    dir,
    flags,
    endpoint,
    containerdPid: () => JSON.parse(readFileSync(join(dir, 'lab.json'), 'utf8')).containerd.pid,
    down: () => {
      const r = ctrdoc(['lab', 'down', '--dir', dir], { timeoutMs: 120_000 });
      if (r.code !== 0) process.stderr.write(`lab down ${dir}: ${r.stderr}\n`);
    },
  };
}
