// The debug-socket client against a local HTTP server on a unix socket (a stand-in for
// containerd's [debug] address): the dump streams, a silent server hits the deadline, an
// oversized answer hits the cap, a 404 says so; plus the SIGUSR1 helpers' pure parts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fetchExpvar, openDebugStream, GOROUTINE_DUMP_PATH } from '../../src/sources/debug/http.ts';
import { containerdStacksPath, hasShimDumpEnd, signalContainerdDump, signalShimDump } from '../../src/sources/debug/signal.ts';
import { analyzeStream } from '../../src/goroutines/index.ts';
import { CtrdocError } from '../../src/errors.ts';

async function withServer(handler: Parameters<typeof createServer>[1], fn: (socket: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ctrdoc-dbg-'));
  const socket = join(dir, 'debug.sock');
  const server: Server = createServer(handler);
  await new Promise<void>((r) => server.listen(socket, r));
  try {
    await fn(socket);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  }
}

const dump = 'goroutine 1 [running]:\nmain.main()\n\t/m.go:3 +0x1\n\ngoroutine 2 [select, 2 minutes]:\nmain.f(0xc000100000)\n\t/m.go:9 +0x2\n';

test('the goroutine dump streams from the debug socket into the analyser', async () => {
  await withServer((req, res) => {
    assert.equal(req.url, GOROUTINE_DUMP_PATH);
    res.write(dump.slice(0, 20));
    setTimeout(() => res.end(dump.slice(20)), 20);
  }, async (socket) => {
    const a = await analyzeStream(await openDebugStream(socket, GOROUTINE_DUMP_PATH, { timeoutMs: 5000 }));
    assert.equal(a.dumps[0].goroutines, 2);
  });
});

test('a debug socket that never answers hits the deadline with a hint', async () => {
  await withServer(() => { /* never answers */ }, async (socket) => {
    await assert.rejects(openDebugStream(socket, GOROUTINE_DUMP_PATH, { timeoutMs: 200 }), (e: CtrdocError) => {
      assert.equal(e.kind, 'deadline-exceeded');
      assert.match(e.message, /no complete answer within 200ms/);
      assert.match(e.hint ?? '', /SIGUSR1/);
      return true;
    });
  });
});

test('a body that stalls midway hits the deadline too', async () => {
  await withServer((_req, res) => res.write(dump.slice(0, 30)), async (socket) => {
    const body = await openDebugStream(socket, GOROUTINE_DUMP_PATH, { timeoutMs: 300 });
    await assert.rejects(analyzeStream(body), (e: CtrdocError) => e.kind === 'deadline-exceeded');
  });
});

test('an answer larger than the cap is cut with an error', async () => {
  await withServer((_req, res) => res.end(Buffer.alloc(256 * 1024, 0x61)), async (socket) => {
    const body = await openDebugStream(socket, GOROUTINE_DUMP_PATH, { timeoutMs: 5000, maxBytes: 64 * 1024 });
    await assert.rejects(analyzeStream(body), (e: CtrdocError) => e.kind === 'bad-input' && /larger than 65536 bytes/.test(e.message));
  });
});

test('HTTP errors and a missing socket are reported as such', async () => {
  await withServer((_req, res) => {
    res.statusCode = 404;
    res.end('404 page not found');
  }, async (socket) => {
    await assert.rejects(openDebugStream(socket, GOROUTINE_DUMP_PATH, { timeoutMs: 2000 }), /HTTP 404/);
  });
  await assert.rejects(openDebugStream('/nonexistent/debug.sock', GOROUTINE_DUMP_PATH, { timeoutMs: 2000 }), (e: CtrdocError) => e.kind === 'not-found');
});

test('expvar JSON, and garbage instead of JSON', async () => {
  await withServer((req, res) => res.end(req.url === '/debug/vars' ? '{"cmdline":["containerd"],"memstats":{"Alloc":1}}' : ''), async (socket) => {
    assert.deepEqual((await fetchExpvar(socket, { timeoutMs: 2000 })).cmdline, ['containerd']);
  });
  await withServer((_req, res) => res.end('<html>'), async (socket) => {
    await assert.rejects(fetchExpvar(socket, { timeoutMs: 2000 }), /not JSON/);
  });
});

test("containerd's stacks file is under its own TMPDIR, seen through /proc/PID/root", () => {
  const proc = mkdtempSync(join(tmpdir(), 'ctrdoc-proc-'));
  try {
    mkdirSync(join(proc, '42'));
    writeFileSync(join(proc, '42/environ'), 'PATH=/bin\0TMPDIR=/var/tmp/ctd\0');
    assert.equal(containerdStacksPath(42, proc), join(proc, '42/root/var/tmp/ctd/containerd.42.stacks.log'));
    mkdirSync(join(proc, '43'));
    writeFileSync(join(proc, '43/environ'), 'PATH=/bin\0');
    assert.equal(containerdStacksPath(43, proc), join(proc, '43/root/tmp/containerd.43.stacks.log'));
  } finally {
    rmSync(proc, { recursive: true, force: true });
  }
});

test("the end of a shim's dump is found by its pid field (logfmt and JSON)", () => {
  const logfmt = 'x\ntime="t" level=info msg="=== BEGIN goroutine stack dump ===\\n...\\n=== END goroutine stack dump ===" namespace=k8s.io pid=4242 runtime=io.containerd.runc.v2\nnext\n';
  assert.equal(hasShimDumpEnd(logfmt, 4242), logfmt.indexOf('next'));
  assert.equal(hasShimDumpEnd(logfmt, 424), -1, 'pid=424 is not pid=4242');
  const json = '{"msg":"=== BEGIN goroutine stack dump ===\\n\\n=== END goroutine stack dump ===","pid":77}';
  assert.equal(hasShimDumpEnd(json, 77), json.length);
});

test('signals go only to the process the flag names (no process, wrong process)', async () => {
  await assert.rejects(signalContainerdDump(0x3fffffff, { timeoutMs: 100 }), (e: CtrdocError) => e.kind === 'not-found');
  await assert.rejects(signalShimDump(process.pid, { timeoutMs: 100, containerdLog: '/dev/null' }), (e: CtrdocError) => e.kind === 'failed-precondition' && /not a containerd shim/.test(e.message));
  await assert.rejects(signalContainerdDump(process.pid, { timeoutMs: 100 }), (e: CtrdocError) => e.kind === 'failed-precondition' && /not containerd/.test(e.message));
});
