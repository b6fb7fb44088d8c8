// `ctrdoc serve` on the loopback: the doctor on a loop, its report at /metrics, /report and
// /healthz; a request it does not serve is a clear 404/405; SIGTERM stops it by its pid.
// With no containerd at the endpoint the report is still made (findings say so), which is all
// this test needs: the doctor on the real lab is tested in doctor.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { CLI } from './cli-run.ts';

test('serve: /healthz, /metrics and /report once a report exists; 404, 405; SIGTERM stops it', async () => {
  const child = spawn(process.execPath, [CLI, 'serve', '--listen', '127.0.0.1:0', '--interval', '1s',
    '--runtime-endpoint', 'unix:///tmp/ctrdoc-serve-test-none.sock', '--timeout', '3s'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  try {
    let stderr = '';
    const port = await new Promise<number>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no listening line: ${stderr}`)), 15_000);
      child.stderr!.on('data', (b) => {
        stderr += b;
        const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(stderr);
        if (m) { clearTimeout(t); resolve(Number(m[1])); }
      });
    });
    const base = `http://127.0.0.1:${port}`;
    let health = 503;
    for (let i = 0; i < 50 && health !== 200; i++) {
      health = (await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(5000) })).status;
      if (health !== 200) await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(health, 200, 'a first report within 10 s');
    const metrics = await (await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
    assert.match(metrics, /^# TYPE ctrdoc_finding gauge$/m);
    assert.match(metrics, /^ctrdoc_finding\{rule="CONTAINERD_PROCESS",layer="containerd",severity="critical"\} 1$/m, 'no containerd there');
    assert.match(metrics, /^ctrdoc_probe_seconds\{probe="cri\.version",status="error"\} /m);
    const report = await (await fetch(`${base}/report`, { signal: AbortSignal.timeout(5000) })).json() as { kind: string };
    assert.equal(report.kind, 'DoctorReport');
    assert.equal((await fetch(`${base}/nope`, { signal: AbortSignal.timeout(5000) })).status, 404);
    assert.equal((await fetch(`${base}/metrics`, { method: 'POST', signal: AbortSignal.timeout(5000) })).status, 405);
  } finally {
    child.kill('SIGTERM');
  }
  assert.equal(await exited, 0, 'stops cleanly on SIGTERM');
});

test('serve: a bad --listen or --interval is a clear error', async () => {
  const { ctrdoc } = await import('./cli-run.ts');
  const a = ctrdoc(['serve', '--listen', 'nonsense']);
  assert.equal(a.code, 2);
  assert.match(a.stderr, /--listen wants HOST:PORT/);
  const b = ctrdoc(['serve', '--interval', '10ms']);
  assert.equal(b.code, 2);
  assert.match(b.stderr, /at least 1s/);
});
