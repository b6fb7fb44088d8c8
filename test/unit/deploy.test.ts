// The shipped deployment files parse, and every ctrdoc command line in them uses flags that the
// CLI really has (a renamed flag must not silently break a fleet).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { spawnSync } from 'node:child_process';

const root = join(import.meta.dirname, '..', '..');
const CLI = join(root, 'dist', 'ctrdoc.cjs');

function acceptedFlags(command: string): Set<string> {
  const help = spawnSync(process.execPath, [CLI, command, '--help'], { encoding: 'utf8' }).stdout;
  return new Set(help.match(/--[a-z][a-z-]+/g) ?? []);
}

test('the DaemonSet parses, runs `ctrdoc serve` read-only (no --canary, no --signal) with real flags', () => {
  const ds = parse(readFileSync(join(root, 'deploy', 'daemonset.yaml'), 'utf8'));
  assert.equal(ds.kind, 'DaemonSet');
  assert.equal(ds.spec.template.spec.hostPID, true);
  const c = ds.spec.template.spec.containers[0];
  const args: string[] = c.args;
  assert.deepEqual(args.slice(0, 2), ['ctrdoc', 'serve']);
  const flags = args.filter((a) => a.startsWith('--'));
  const known = acceptedFlags('serve');
  for (const f of flags) assert.ok(known.has(f), `serve has ${f}`);
  assert.ok(!flags.includes('--canary') && !flags.includes('--signal'));
  assert.equal(c.ports[0].containerPort, Number(args[args.indexOf('--listen') + 1].split(':')[1]));
  assert.equal(c.readinessProbe.httpGet.path, '/healthz');
});

test('the node-problem-detector plugin config calls the doctor with its npd format', () => {
  const cfg = JSON.parse(readFileSync(join(root, 'deploy', 'npd-custom-plugin-ctrdoc.json'), 'utf8'));
  assert.equal(cfg.plugin, 'custom');
  assert.equal(cfg.pluginConfig.max_output_length, 80);
  const args: string[] = cfg.rules[0].args;
  assert.equal(args[0], 'doctor');
  const known = acceptedFlags('doctor');
  for (const a of args.filter((x) => x.startsWith('--'))) assert.ok(known.has(a), `doctor has ${a}`);
  assert.deepEqual(args.slice(args.indexOf('--format'), args.indexOf('--format') + 2), ['--format', 'npd']);
});
