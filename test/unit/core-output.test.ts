// `ctrdoc core -o DIR`: the directory is checked before gdb is run, and what is wrong with it
// is said plainly (not gdb's "needs ptrace").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { outputDir } from '../../src/cli/core.ts';

test('-o DIR: created with --yes, only announced without; a file or a file in the path is an error naming it', () => {
  const root = mkdtempSync(join(tmpdir(), 'ctrdoc-core-out-'));
  try {
    const dir = join(root, 'cores', 'today');
    assert.deepEqual(outputDir(dir, false), { missing: true });
    assert.ok(!existsSync(dir), 'without --yes nothing is created');
    assert.deepEqual(outputDir(dir, true), { missing: false });
    assert.ok(statSync(dir).isDirectory());
    assert.deepEqual(outputDir(dir, true), { missing: false }, 'an existing directory is fine');
    const file = join(root, 'a-file');
    writeFileSync(file, 'x');
    assert.throws(() => outputDir(file, true), /-o .*a-file: not a directory/);
    assert.throws(() => outputDir(join(file, 'sub'), true), /a part of the path is a file|cannot create it/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('-o DIR not writable by this user', { skip: process.getuid?.() === 0 && 'root may write anywhere: nothing to refuse' }, () => {
  assert.throws(() => outputDir('/proc', true), /not writable|cannot create/);
});
