// Runs every test file with node's own runner through tsx. `node scripts/test.mjs unit` runs
// only test/unit. Node 20's --test does not expand globs, so the files are listed here.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const only = process.argv[2];
const roots = only ? [join('test', only)] : ['test'];
const files = [];
const walk = (d) => {
  for (const name of readdirSync(d).sort()) {
    const p = join(d, name);
    if (statSync(p).isDirectory()) { if (name !== 'fixtures') walk(p); }
    else if (name.endsWith('.test.ts')) files.push(p);
  }
};
roots.forEach(walk);
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=spec', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
