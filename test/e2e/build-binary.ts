// Builds the single executable from the current dist/ into a temp dir of the test's own (each
// test file that needs it builds its own: no test judges another's file).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');

/** Returns the temp dir and the executable in it; the caller removes the dir. */
export function buildBinary(prefix: string): { tmp: string; exe: string } {
  const tmp = mkdtempSync(join(tmpdir(), prefix));
  const exe = join(tmp, 'ctrdoc');
  const b = spawnSync(process.execPath, [join(root, 'scripts/build-binary.mjs'), '--out', exe], { encoding: 'utf8', timeout: 300_000 });
  assert.equal(b.status, 0, `build:binary failed: ${b.stderr}`);
  return { tmp, exe };
}
