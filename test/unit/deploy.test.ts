// The shipped deployment files parse, every ctrdoc command line in them uses flags that the
// CLI really has (a renamed flag must not silently break a fleet), and the kubectl plugin runs
// what it should where it should.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

// kubectl cannot run here: a STAND-IN kubectl on PATH answers the plugin's two look-ups from a
// table and prints the exec it is asked for, so the test sees exactly what would run where.
function runPlugin(args: string[], table: Record<string, string>): { code: number | null; stdout: string; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), 'ctrdoc-kubectl-'));
  try {
    const answers = Object.entries(table).map(([k, v]) => `  *"${k}"*) echo "${v}"; exit 0 ;;`).join('\n');
    writeFileSync(join(dir, 'kubectl'), `#!/bin/sh
# kubectl STAND-IN for this test
all="$*"
case "$1" in
  exec) shift; echo "EXEC $*"; exit 0 ;;
esac
case "$all" in
${answers}
  *get\\ pod\\ *) echo 'Error from server (NotFound): pods not found' >&2; exit 1 ;;
esac
exit 0
`, { mode: 0o755 });
    const r = spawnSync('bash', [join(root, 'deploy', 'kubectl-ctrdoc'), ...args], { encoding: 'utf8', timeout: 10_000, env: { ...process.env, PATH: `${dir}:${process.env.PATH}` } });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('kubectl ctrdoc (with a stand-in kubectl): NODE runs the doctor there; pod NAME finds its node and runs doctor --pod', () => {
  const table = { 'get pods -n kube-system -l app.kubernetes.io/name=ctrdoc --field-selector spec.nodeName=node-7': 'ctrdoc-x1y2z', 'get pod -n prod web-0 -o jsonpath={.spec.nodeName}': 'node-7' };
  assert.equal(runPlugin(['node-7'], table).stdout, 'EXEC -n kube-system ctrdoc-x1y2z -c ctrdoc -- ctrdoc doctor\n');
  assert.equal(runPlugin(['node-7', 'tree', '--all'], table).stdout, 'EXEC -n kube-system ctrdoc-x1y2z -c ctrdoc -- ctrdoc tree --all\n');
  const pod = runPlugin(['pod', '-n', 'prod', 'web-0', '-o', 'json'], table);
  assert.equal(pod.stdout, 'EXEC -n kube-system ctrdoc-x1y2z -c ctrdoc -- ctrdoc doctor --pod prod/web-0 -o json\n');
  const known = acceptedFlags('doctor');
  assert.ok(known.has('--pod'), 'doctor has --pod');
  // a pod kubectl does not know, a node without the DaemonSet: kubectl's word or ours, exit != 0
  const missing = runPlugin(['pod', '-n', 'prod', 'nope'], table);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /NotFound/);
  const bare = runPlugin(['node-9'], table);
  assert.equal(bare.code, 2);
  assert.match(bare.stderr, /no ctrdoc pod on node node-9/);
});
