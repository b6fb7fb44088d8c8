// `ctrdoc goroutines` against a real containerd started here as our child (its own temp root,
// state, sockets and TMPDIR; never /run/containerd): the debug socket, a SIGUSR1 dump file, and
// a shim's SIGUSR1 dump harvested from containerd's log, all through the built CLI. Signals are
// SIGUSR1 only; containerd and the shim must still be alive afterwards.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '../..');
const CLI = join(root, 'dist/ctrdoc.cjs');
const skipReason =
  process.getuid?.() !== 0 ? 'not root' :
  !existsSync('/usr/bin/containerd') ? 'containerd is not installed' :
  !existsSync('/bin/busybox') ? 'busybox-static is not installed' :
  !existsSync(CLI) ? 'dist/ctrdoc.cjs is missing (npm run build)' : '';

let T = '';
let containerd: ChildProcess | undefined;
let sock = '';
let dbg = '';
let log = '';

function ctr(...args: string[]) {
  return spawnSync('ctr', ['-a', sock, '-n', 'k8s.io', ...args], { encoding: 'utf8', timeout: 20_000 });
}

function cli(...args: string[]) {
  return spawnSync(process.execPath, [CLI, 'goroutines', ...args], { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

function shimPids(): number[] {
  const out: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const argv = readFileSync(`/proc/${p}/cmdline`, 'latin1');
      if (argv.includes('containerd-shim') && argv.includes(sock)) out.push(Number(p));
    } catch { /* gone */ }
  }
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  if (skipReason) return;
  T = mkdtempSync(join(tmpdir(), 'ctrdoc-e2e-gor-'));
  sock = join(T, 'containerd.sock');
  dbg = join(T, 'debug.sock');
  log = join(T, 'containerd.log');
  for (const d of ['root', 'state', 'tmp', 'rootfs/bin']) mkdirSync(join(T, d), { recursive: true });
  copyFileSync('/bin/busybox', join(T, 'rootfs/bin/busybox'));
  for (const a of ['sh', 'sleep']) symlinkSync('busybox', join(T, 'rootfs/bin', a));
  writeFileSync(join(T, 'config.toml'), [
    'version = 2', `root = "${T}/root"`, `state = "${T}/state"`, 'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
    '[grpc]', `  address = "${sock}"`, '[ttrpc]', `  address = "${sock}.ttrpc"`, '[debug]', `  address = "${dbg}"`, '  level = "debug"', '',
  ].join('\n'));
  const fd = openSync(log, 'a');
  containerd = spawn('containerd', ['--config', join(T, 'config.toml')], { stdio: ['ignore', fd, fd], env: { ...process.env, TMPDIR: join(T, 'tmp') } });
  for (let i = 0; i < 100 && !(existsSync(sock) && existsSync(dbg)); i++) await sleep(100);
  assert.ok(existsSync(dbg), 'containerd started: ' + readFileSync(log, 'utf8').slice(-2000));
  const r = ctr('run', '-d', '--runc-root', join(T, 'runc'), '--fifo-dir', join(T, 'fifo'), '--rootfs', join(T, 'rootfs'), 'sleeper', '/bin/sh', '-c', 'sleep 1000');
  assert.equal(r.status, 0, r.stderr);
});

after(async () => {
  if (!T) return;
  ctr('task', 'kill', '-s', 'SIGKILL', 'sleeper');
  await sleep(300);
  ctr('task', 'rm', '-f', 'sleeper');
  ctr('c', 'rm', 'sleeper');
  for (const p of shimPids()) {
    try {
      process.kill(p, 'SIGKILL');
    } catch { /* gone */ }
  }
  if (containerd?.pid && containerd.exitCode === null) {
    const exited = new Promise((r) => containerd!.once('exit', r));
    containerd.kill('SIGTERM');
    await Promise.race([exited, sleep(10_000)]);
    if (containerd.exitCode === null) containerd.kill('SIGKILL');
  }
  const mounts = readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1]).filter((m) => m?.startsWith(T + '/')).sort().reverse();
  for (const m of mounts) spawnSync('umount', ['-l', m]);
  rmSync(T, { recursive: true, force: true });
});

test('the debug socket through the CLI', (t) => {
  if (skipReason) return t.skip(skipReason);
  const r = cli('--address', dbg, '-o', 'json');
  assert.equal(r.status, 0, r.stderr);
  const a = JSON.parse(r.stdout);
  assert.equal(a.dumps.length, 1);
  assert.ok(a.dumps[0].goroutines > 5);
  assert.ok(a.dumps[0].buckets.some((b: { frames: { func: string }[] }) => b.frames.some((f) => f.func.includes('github.com/containerd/containerd'))));
  const text = cli('--address', dbg);
  assert.match(text.stdout, /^DUMP 1\/1: \d+ goroutines in \d+ buckets \(plain, similarity pointer\)/);
});

test('SIGUSR1 to containerd only with --signal; it writes the stacks file and keeps running', (t) => {
  if (skipReason) return t.skip(skipReason);
  const pid = containerd!.pid!;
  const without = cli('--pid', String(pid));
  assert.equal(without.status, 2);
  assert.match(without.stderr, /add --signal/);
  const r = cli('--pid', String(pid), '--signal', '-o', 'json');
  assert.equal(r.status, 0, r.stderr);
  const a = JSON.parse(r.stdout);
  assert.ok(a.dumps[0].goroutines > 5);
  assert.ok(existsSync(join(T, 'tmp', `containerd.${pid}.stacks.log`)));
  assert.ok(alive(pid), 'containerd is still running');
  // now the file exists: reading it again needs no signal, with a note about its age
  const again = cli('--pid', String(pid));
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stderr, /reading the dump containerd wrote/);
});

test("a shim's SIGUSR1 dump harvested from containerd's log, shim still running", (t) => {
  if (skipReason) return t.skip(skipReason);
  const [shim] = shimPids();
  assert.ok(shim, 'the shim of the running container');
  const r = cli('--shim', String(shim), '--signal', '--containerd-log', log, '-o', 'json');
  assert.equal(r.status, 0, r.stderr);
  const a = JSON.parse(r.stdout);
  assert.equal(a.dumps.length, 1);
  const d = a.dumps[0];
  assert.equal(d.format, 'logfmt');
  assert.equal(d.origin.pid, shim);
  assert.equal(d.origin.namespace, 'k8s.io');
  assert.match(d.origin.path, /k8s\.io\/sleeper$/);
  assert.ok(d.buckets.some((b: { frames: { func: string }[] }) => b.frames.some((f) => f.func.includes('runtime/v2/shim'))));
  assert.ok(alive(shim), 'the shim is still running (SIGUSR1, never SIGQUIT)');
  // the dump in the log is all the shim printed: as many goroutines as headers in its message
  const headers = readFileSync(log, 'utf8').split('\n').filter((l) => l.includes(`pid=${shim}`) && l.includes('BEGIN goroutine'))
    .map((l) => (l.match(/\\ngoroutine \d+ \[/g) ?? []).length);
  assert.equal(d.goroutines, headers[headers.length - 1]);
});

test('refuses to signal a process that is not what the flag says', (t) => {
  if (skipReason) return t.skip(skipReason);
  const r = cli('--shim', String(containerd!.pid), '--signal', '--containerd-log', log);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /not a containerd shim/);
  assert.ok(alive(containerd!.pid!));
});
