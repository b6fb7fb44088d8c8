// Every command on bad input, as a user meets it: an unknown flag, a duration or format it cannot
// read, a socket that never answers. The answer is exit 2 with a message naming what was wrong,
// nothing on stdout, and no hang; the commands that collect again and again (serve, watch) refuse
// a bad collection flag before they start, instead of failing every cycle.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CLI = join(import.meta.dirname, '../../dist/ctrdoc.cjs');

/** Runs ctrdoc; the timeout only guards against a hang (a command that would serve forever). */
function ctrdoc(args: string[]): { status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

function refused(args: string[], names: RegExp): void {
  const r = ctrdoc(args);
  const what = `ctrdoc ${args.join(' ')}`;
  assert.equal(r.signal, null, `${what} did not end by itself (it hung or ran on)`);
  assert.equal(r.status, 2, `${what}: exit 2 (usage); stderr: ${r.stderr}`);
  assert.match(r.stderr, /^error: /, what);
  assert.match(r.stderr, names, what);
  assert.match(r.stderr, /hint: /, `${what} says what to do`);
  assert.equal(r.stdout, '', `${what} prints nothing on stdout`);
}

const COMMANDS = [
  ['analyze'], ['bundle'], ['core'], ['doctor'], ['goroutines'], ['lab', 'up'], ['lab', 'fault'], ['report'], ['runc'], ['serve'],
  ['shims'], ['tree'], ['watch'],
  ...['ps', 'pods', 'images', 'inspect', 'inspectp', 'stats', 'version', 'info'].map((c) => ['cri', c]),
];

test('an unknown flag: every command says which, and where to look', () => {
  for (const c of COMMANDS) refused([...c, '--no-such-flag'], /Unknown option '--no-such-flag'/);
});

test('a duration it cannot read: the flag and the value are named (serve and watch refuse before they start)', () => {
  const durations: [string[], string][] = [
    [['doctor'], '--timeout'], [['doctor'], '--probe-timeout'], [['doctor'], '--stuck-after'],
    [['bundle'], '--timeout'], [['tree'], '--timeout'], [['tree'], '--stuck-after'], [['tree'], '--cpu-sample'],
    [['shims'], '--timeout'], [['runc'], '--timeout'], [['cri', 'ps'], '--timeout'], [['goroutines'], '--timeout'],
    [['serve', '--listen', '127.0.0.1:0'], '--timeout'], [['serve', '--listen', '127.0.0.1:0'], '--probe-timeout'],
    [['serve', '--listen', '127.0.0.1:0'], '--stuck-after'], [['serve', '--listen', '127.0.0.1:0'], '--interval'],
    [['watch'], '--timeout'], [['watch'], '--probe-timeout'], [['watch'], '--stuck-after'], [['watch'], '--for'], [['watch'], '--interval'],
  ];
  for (const [c, flag] of durations) refused([...c, flag, 'soon'], new RegExp(`${flag}: not a duration: "soon"`));
  for (const c of [['serve', '--listen', '127.0.0.1:0'], ['watch'], ['doctor']]) {
    refused([...c, '--kubelet-pid', 'abc'], /--kubelet-pid: not a pid: "abc"/);
    refused([...c, '--since', 'yesterday'], /--since yesterday: not a duration or an RFC 3339 time/);
  }
});

test('an output format it does not have: named, with the ones it has', () => {
  for (const c of [['doctor'], ['tree'], ['shims'], ['runc'], ['cri', 'ps'], ['cri', 'pods'], ['watch']]) {
    refused([...c, '-o', 'xml'], /unsupported output format "xml"/);
  }
});

test('a CRI socket that accepts and never answers: the call named, "no answer within" its deadline, no hang', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ctrdoc-silent-'));
  const sock = join(dir, 'silent.sock');
  // accepts every connection and never writes a byte: a daemon hung in its accept loop's handlers
  const server: Server = createServer(() => {});
  await new Promise<void>((r) => server.listen(sock, r));
  t.after(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  // spawn (not spawnSync): this process must keep accepting for the child
  const run = (args: string[]) => new Promise<{ status: number | null; stderr: string; stdout: string }>((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
  for (const [c, method] of [['ps', 'ListContainers'], ['pods', 'ListPodSandbox'], ['version', 'Version']] as const) {
    const r = await run(['cri', c, '-r', `unix://${sock}`, '--timeout', '1s']);
    assert.equal(r.status, 2, `cri ${c}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`${method} on unix://${sock}: no answer within 1s`), `cri ${c}`);
    assert.equal(r.stdout, '');
  }
});
