// Makes large goroutine dumps by scaling the real captures in testdata/captures/goroutines:
// every goroutine block of the captures is repeated with a fresh goroutine id and fresh
// pointer values (so buckets must be found by similarity, not by identical text), and some
// waits get minutes. Written to bench/out/ (not committed).
//   node --import tsx bench/goroutines-gen.ts [COUNT...]     (default 10000 100000 500000)
import { mkdirSync, openSync, writeSync, closeSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const OUT_DIR = join(root, 'bench/out');
// the 1.6.20 captures (a Go 1.19 build): newer versions' dumps (testdata/captures/goroutines/
// 1.7.24, 2.1.9) print "created by F in goroutine N", which Debian 12's panicparse, the oracle of
// goroutines-captures.test.ts, buckets apart by N while ctrdoc does not (VERSIONS.md)
const CAPTURES = join(root, 'testdata/captures/goroutines/1.6.20');

/** Goroutine blocks (header + frames, no trailing blank line) of every plain capture. */
export function captureBlocks(): string[] {
  const blocks: string[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (n.endsWith('.txt') || n.endsWith('.stacks.log')) {
        for (const b of readFileSync(p, 'utf8').split(/\n\n+/)) if (/^goroutine \d+ \[/.test(b)) blocks.push(b.trimEnd());
      }
    }
  };
  walk(CAPTURES);
  return blocks;
}

/** A deterministic pseudo-random generator (so two runs make the same files). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s;
  };
}

export function generateDump(path: string, count: number, seed = 1): number {
  const blocks = captureBlocks();
  const rand = rng(seed);
  const fd = openSync(path, 'w');
  let bytes = 0;
  let pending: string[] = [];
  let pendingLen = 0;
  const flush = () => {
    const buf = Buffer.from(pending.join(''));
    writeSync(fd, buf);
    bytes += buf.length;
    pending = [];
    pendingLen = 0;
  };
  for (let i = 0; i < count; i++) {
    const b = blocks[i % blocks.length];
    let text = b
      .replace(/^goroutine \d+ /, `goroutine ${i + 1} `)
      // fresh heap pointers: same pointer-ness, different values
      .replace(/0xc[0-9a-f]{9}/g, () => '0xc' + (0x10000000 + (rand() % 0xfffffff)).toString(16).padStart(9, '0'));
    // one goroutine in three has waited for minutes
    if (i % 3 === 0 && !/minutes\]/.test(text) && !/\[(running|runnable|syscall)\]/.test(text)) {
      text = text.replace(/^(goroutine \d+ \[[^\]]+)\]/, `$1, ${1 + (rand() % 30)} minutes]`);
    }
    pending.push(text, '\n\n');
    pendingLen += text.length + 2;
    if (pendingLen > 1 << 20) flush();
  }
  flush();
  closeSync(fd);
  return bytes;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const counts = process.argv.slice(2).map(Number);
  mkdirSync(OUT_DIR, { recursive: true });
  for (const n of counts.length ? counts : [10_000, 100_000, 500_000]) {
    const p = join(OUT_DIR, `goroutines-${n}.txt`);
    const bytes = generateDump(p, n);
    console.log(`${p}: ${n} goroutines, ${(bytes / 1e6).toFixed(1)} MB`);
  }
}
