// Every command's --help, as a user reads it: each flag's text stays with its flag (a command that
// leaves out some of the collection's flags leaves out their continuation lines too).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { collectUsage, collectUsageWithout } from '../../src/cli/collect-live.ts';

const CLI = join(import.meta.dirname, '../../dist/ctrdoc.cjs');

test('collectUsageWithout drops a flag with the lines under it, and nothing else', () => {
  const without = collectUsageWithout('--signal', '--canary');
  assert.doesNotMatch(without, /--signal|SIGQUIT|debug socket, when/);
  assert.match(without, /--timeout DURATION/);
  assert.match(without, /--kubelet-pid PID[^\n]*\n\s+several run/, 'another flag keeps its continuation line');
  assert.equal(collectUsageWithout(), collectUsage);
  assert.equal(collectUsageWithout('--no-such-flag'), collectUsage);
});

/** A help text's flag blocks: each flag with the lines under it, by flag name. */
function flagBlocks(help: string): Map<string, string> {
  const blocks = new Map<string, string>();
  let current: string | undefined;
  for (const line of help.split('\n')) {
    const flag = /^\s+(?:-\w, )?(--[\w-]+)/.exec(line)?.[1];
    if (flag) blocks.set((current = flag), line);
    else if (current && /^ {20,}\S/.test(line)) blocks.set(current, `${blocks.get(current)}\n${line}`);
    else current = undefined;
  }
  return blocks;
}

const help = (cmd: string) => {
  const r = spawnSync(process.execPath, [CLI, cmd, '--help'], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
};

test('watch --help: the collection flags it keeps read as doctor --help writes them; no --signal', () => {
  const doctor = flagBlocks(help('doctor'));
  const watch = flagBlocks(help('watch'));
  let shared = 0;
  for (const [flag, block] of watch) {
    if (!doctor.has(flag) || flag === '--output' || flag === '--pod') continue;
    shared++;
    assert.equal(block, doctor.get(flag), `${flag} reads the same in watch --help as in doctor --help`);
  }
  assert.ok(shared >= 8, `watch shares the collection's flags with doctor (${shared})`);
  assert.ok(doctor.has('--signal') && !watch.has('--signal'), 'watch never signals');
});
