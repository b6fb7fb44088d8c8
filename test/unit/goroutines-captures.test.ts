// The analyser on real dumps captured from containerd 1.6.20 and its shim (see
// testdata/captures/goroutines/1.6.20/capture.sh): frozen golden outputs (UPDATE_GOLDEN=1
// rewrites them), agreement with panicparse on goroutine count and bucket sizes, the Start hang
// as the top finding, and the logfmt-embedded dumps equal to their plain twins.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeDump } from '../../src/goroutines/index.ts';
import { renderText } from '../../src/report/goroutines-text.ts';
import { renderGoroutinesHtml } from '../../src/report/goroutines-html.ts';
import { generateDump } from '../../bench/goroutines-gen.ts';
import { PANICPARSE, panicparseSizes, ourSizes } from './panicparse.ts';

const DIR = join(import.meta.dirname, '../../testdata/captures/goroutines/1.6.20');
const CASES = ['debug-socket/goroutines.txt', 'sigusr1/containerd.stacks.log', 'sigusr1/containerd.log', 'shim-sigusr1/containerd.log', 'start-hang/goroutines.txt'];
const PLAIN = ['debug-socket/goroutines.txt', 'sigusr1/containerd.stacks.log', 'start-hang/goroutines.txt'];
const update = !!process.env.UPDATE_GOLDEN;

function golden(path: string, actual: string): void {
  if (update) {
    writeFileSync(path, actual);
    return;
  }
  // a deleted golden must fail, not be written afresh from whatever the code says today
  if (!existsSync(path)) assert.fail(`no golden file ${path} (UPDATE_GOLDEN=1 writes it; review it before you commit it)`);
  assert.equal(actual, readFileSync(path, 'utf8'), `${path} differs (UPDATE_GOLDEN=1 rewrites it)`);
}

test('a missing golden file fails its test, naming the file', { skip: update ? 'UPDATE_GOLDEN=1 writes golden files' : false }, () => {
  const path = join(DIR, 'no-such-case.golden.txt');
  assert.throws(() => golden(path, 'anything'), (err: Error) => err.message.includes(path) && /no golden file/.test(err.message));
  assert.equal(existsSync(path), false, 'nothing was written');
});

for (const c of CASES) {
  test(`golden: ${c}`, () => {
    const a = analyzeDump(readFileSync(join(DIR, c)));
    assert.equal(a.dumps.length, 1);
    assert.equal(a.dumps[0].cut, undefined);
    assert.deepEqual(a.warnings, []);
    golden(join(DIR, c + '.golden.json'), JSON.stringify(a, null, 2) + '\n');
    golden(join(DIR, c + '.golden.txt'), renderText(a, { stacks: true, limit: 0 }));
  });
}

test('golden: the HTML view of the Start hang is self-contained', () => {
  const html = renderGoroutinesHtml(analyzeDump(readFileSync(join(DIR, 'start-hang/goroutines.txt'))), 'start-hang');
  assert.doesNotMatch(html, /<(?:script|link|img)[^>]+(?:src|href)=/i, 'no external resources');
  assert.match(html, /<details class="bucket"/);
  golden(join(DIR, 'start-hang/goroutines.txt.golden.html'), html);
});

test('a hanging Tasks.Start is the top finding, with its wait time', () => {
  const d = analyzeDump(readFileSync(join(DIR, 'start-hang/goroutines.txt'))).dumps[0];
  const top = d.findings[0];
  assert.equal(top.id, 'task-start-waiting');
  assert.ok(top.waitMaxMinutes >= 1, `waited ${top.waitMaxMinutes} minutes`);
  assert.equal(top.severity, 'critical');
  assert.match(top.evidence.join('\n'), /tasks\.\(\*local\)\.Start/);
  // the same containerd without a hanging Start has no finding
  assert.deepEqual(analyzeDump(readFileSync(join(DIR, 'debug-socket/goroutines.txt'))).dumps[0].findings, []);
});

test("containerd's SIGUSR1 log line holds the same dump as its stacks file", () => {
  const fromLog = analyzeDump(readFileSync(join(DIR, 'sigusr1/containerd.log'))).dumps[0];
  const fromFile = analyzeDump(readFileSync(join(DIR, 'sigusr1/containerd.stacks.log'))).dumps[0];
  assert.equal(fromLog.format, 'logfmt');
  assert.equal(fromLog.goroutines, fromFile.goroutines);
  assert.deepEqual(fromLog.buckets, fromFile.buckets);
});

/** The message of each log line holding a dump, decoded independently (JSON string rules). */
function decodeMessages(log: string): string {
  const out: string[] = [];
  for (const line of log.split('\n')) {
    const m = /msg=("(?:[^"\\]|\\.)*")/.exec(line);
    if (m && m[1].includes('BEGIN goroutine stack dump')) out.push(JSON.parse(m[1]) as string);
  }
  return out.join('\n');
}

test("the shim's dump harvested from containerd's log: its fields and all its goroutines", () => {
  const log = readFileSync(join(DIR, 'shim-sigusr1/containerd.log'), 'utf8');
  const d = analyzeDump(log).dumps[0];
  assert.equal(d.origin.pid, 4242);
  assert.equal(d.origin.namespace, 'k8s.io');
  assert.equal(d.origin.runtime, 'io.containerd.runc.v2');
  assert.match(d.origin.path ?? '', /io\.containerd\.runtime\.v2\.task\/k8s\.io\/sleeper$/);
  const decoded = decodeMessages(log);
  assert.equal(d.goroutines, (decoded.match(/^goroutine \d+ \[/gm) ?? []).length);
  assert.deepEqual(d.buckets, analyzeDump(decoded).dumps[0].buckets);
});

// ---- agreement with panicparse -----------------------------------------------------------------

test('counts and bucket sizes agree with panicparse (any pointer, and any value = -aggressive)', (t) => {
  if (!existsSync(PANICPARSE)) {
    t.skip(`${PANICPARSE} is not installed (apt-get install panicparse)`);
    return;
  }
  const tmp = mkdtempSync(join(tmpdir(), 'ctrdoc-pp-'));
  try {
    const files = PLAIN.map((c) => join(DIR, c));
    // the logfmt captures, decoded for panicparse (it cannot unwrap them)
    for (const c of ['sigusr1/containerd.log', 'shim-sigusr1/containerd.log']) {
      const p = join(tmp, c.replace('/', '-') + '.txt');
      writeFileSync(p, decodeMessages(readFileSync(join(DIR, c), 'utf8')));
      files.push(p);
    }
    // and the captures scaled to 20k goroutines with fresh pointers (bench's generator)
    const big = join(tmp, 'scaled-20000.txt');
    generateDump(big, 20_000);
    files.push(big);
    for (const f of files) {
      for (const sim of ['pointer', 'value'] as const) {
        const ours = analyzeDump(readFileSync(f), { similarity: sim });
        const theirs = panicparseSizes(f, sim);
        assert.equal(ours.dumps.reduce((n, d) => n + d.goroutines, 0), theirs.reduce((n, x) => n + x, 0), `${f} ${sim}: goroutines`);
        assert.deepEqual(ourSizes(ours), theirs, `${f} ${sim}: bucket sizes`);
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('the capture script is kept beside the captures', () => {
  const sh = readFileSync(join(DIR, 'capture.sh'), 'utf8');
  assert.match(sh, /never touches\s+#?\s*\/run\/containerd|Never touches/i);
  assert.doesNotMatch(sh, /kill -(?:QUIT|3)\b/, 'never SIGQUIT');
  execFileSync('bash', ['-n', join(DIR, 'capture.sh')]);
});
