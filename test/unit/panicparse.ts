// panicparse (Debian's package, /usr/bin/panicparse), the tool a user would run instead: its
// bucket sizes for a dump file, to compare with ctrdoc's.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { GoroutineAnalysis, GoroutineSimilarity } from '../../src/snapshot/types/goroutines.ts';

export const PANICPARSE = '/usr/bin/panicparse';

/**
 * panicparse's bucket sizes, largest first ('value' is its -aggressive). A cut dump makes it exit 1
 * after printing what it read: `cut` accepts that.
 */
export function panicparseSizes(file: string, sim: GoroutineSimilarity, cut = false): number[] {
  const args = ['-parse=false', '-rebase=false', '-no-color', ...(sim === 'value' ? ['-aggressive'] : []), file];
  const r = spawnSync(PANICPARSE, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, timeout: 120_000 });
  if (cut) assert.match(r.stderr, /expected a file after a function/);
  else assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter((l) => /^\d+: /.test(l)).map((l) => Number(l.split(':')[0])).sort((a, b) => b - a);
}

/** ctrdoc's bucket sizes over every dump, largest first. */
export function ourSizes(a: GoroutineAnalysis): number[] {
  return a.dumps.flatMap((d) => d.buckets.map((b) => b.count)).sort((x, y) => y - x);
}

/** How many goroutines panicparse finds in a file; 0 when it fails on it. */
export function panicparseCount(file: string): number {
  const r = spawnSync(PANICPARSE, ['-parse=false', '-rebase=false', '-no-color', file], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, timeout: 120_000 });
  if (r.status !== 0) return 0;
  return r.stdout.split('\n').filter((l) => /^\d+: /.test(l)).reduce((n, l) => n + Number(l.split(':')[0]), 0);
}
