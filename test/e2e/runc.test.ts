// Real runc, no containerd: `runc create` of a busybox bundle in a private runc root leaves a real
// `runc init` parked on exec.fifo; `runc create` + `start` gives a running container nobody else
// knows. A small subreaper (python3 prctl(PR_SET_CHILD_SUBREAPER), standing in for a shim) owns
// the container processes so they are reaped when the test deletes them.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ctrdoc, isRoot } from './cli-run.ts';
import { readRuncRoot } from '../../src/sources/runc/state.ts';
import { scanProcesses } from '../../src/sources/proc/scan.ts';
import { buildProcessTree } from '../../src/tree/build.ts';

const runcBin = spawnSync('sh', ['-c', 'command -v runc'], { encoding: 'utf8' }).stdout.trim();
const busybox = ['/usr/bin/busybox', '/bin/busybox'].find((p) => existsSync(p));
const skip = !isRoot ? 'not root: runc create needs root'
  : !runcBin ? 'runc is not installed'
  : !busybox ? 'busybox-static is not installed'
  : !existsSync('/usr/bin/python3') ? 'python3 is not installed (the test subreaper)' : false;

// A child subreaper: runs the commands it reads on stdin (one per line), reaps every orphan
// reparented to it, exits on EOF after its last command.
const SUBREAPER = `
import ctypes, os, subprocess, sys
ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)
for line in sys.stdin:
    subprocess.run(line.strip(), shell=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    print("done", flush=True)
    while True:
        try:
            if os.waitpid(-1, os.WNOHANG)[0] == 0: break
        except ChildProcessError: break
while True:
    try: os.wait()
    except ChildProcessError: break
`;

describe('runc: a parked runc init and a leaked container, for real', { skip }, () => {
  let dir = '';
  let root = '';
  let reaper: ChildProcess;
  let lines: string[] = [];
  const send = async (cmd: string): Promise<void> => {
    const before = lines.length;
    reaper.stdin!.write(cmd + '\n');
    while (lines.length === before) await new Promise((r) => setTimeout(r, 20));
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ctrdoc-e2e-runc-'));
    root = join(dir, 'root');
    const bundle = join(dir, 'bundle');
    mkdirSync(join(bundle, 'rootfs', 'bin'), { recursive: true });
    copyFileSync(busybox!, join(bundle, 'rootfs', 'bin', 'busybox'));
    for (const a of ['sh', 'sleep']) symlinkSync('busybox', join(bundle, 'rootfs', 'bin', a));
    spawnSync(runcBin, ['spec'], { cwd: bundle });
    const spec = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
    spec.process.args = ['sleep', '1000'];
    spec.process.terminal = false;
    spec.annotations = {
      'io.kubernetes.cri.container-type': 'container', 'io.kubernetes.cri.container-name': 'app',
      'io.kubernetes.cri.sandbox-id': 'sandbox-e2e', 'io.kubernetes.cri.sandbox-name': 'web-0', 'io.kubernetes.cri.sandbox-namespace': 'e2e',
    };
    writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec));
    reaper = spawn('/usr/bin/python3', ['-c', SUBREAPER], { stdio: ['pipe', 'pipe', 'inherit'] });
    reaper.stdout!.on('data', (b: Buffer) => lines.push(...b.toString().split('\n').filter(Boolean)));
    await send(`${runcBin} --root ${root} create --bundle ${bundle} parked`);
    await send(`${runcBin} --root ${root} create --bundle ${bundle} leaked && ${runcBin} --root ${root} start leaked`);
  });

  after(async () => {
    if (reaper) {
      await send(`${runcBin} --root ${root} delete --force parked; ${runcBin} --root ${root} delete --force leaked`);
      reaper.stdin!.end();
      await new Promise((r) => reaper.once('exit', r));
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the runc root says created (exec.fifo) and running, init pids alive', () => {
    const v = readRuncRoot(root);
    const by = new Map(v.containers.map((c) => [c.id, c]));
    assert.equal(by.get('parked')?.status, 'created');
    assert.equal(by.get('parked')?.execFifo, true);
    assert.equal(by.get('parked')?.initAlive, true);
    assert.equal(by.get('leaked')?.status, 'running');
    assert.equal(by.get('leaked')?.execFifo, false);
    assert.equal(by.get('parked')?.kube.sandboxName, 'web-0');
    // runc itself agrees.
    const list = JSON.parse(spawnSync(runcBin, ['--root', root, 'list', '--format', 'json'], { encoding: 'utf8' }).stdout);
    for (const c of list) assert.equal(by.get(c.id)?.status, c.status, c.id);
  });

  test('the parked init is found with role runc-init, waiting in fifo_open, and is stuck once past the threshold', () => {
    const runc = readRuncRoot(root);
    const parked = runc.containers.find((c) => c.id === 'parked')!;
    const proc = scanProcesses();
    const p = proc.processes.find((x) => x.pid === parked.initPid)!;
    assert.equal(p.comm, 'runc:[2:INIT]');
    assert.equal(p.ppid, reaper.pid, 'reparented to the subreaper once runc create exited');
    assert.ok(Object.values(p.fdTargets ?? {}).includes(join(root, 'parked', 'exec.fifo')), JSON.stringify(p.fdTargets));
    assert.ok(p.kernelStack?.includes('fifo_open') || /fifo|wait_for_partner/.test(p.wchan ?? ''), `${p.wchan} ${p.kernelStack}`);
    const young = buildProcessTree({ proc, runc, stuckInitSec: 3600 });
    const t = young.processes.find((x) => x.pid === p.pid)!;
    assert.equal(t.role, 'runc-init');
    assert.equal(t.runcStage, 'runc:[2:INIT]');
    assert.equal(t.container?.id, 'parked');
    assert.equal(t.pod?.name, 'web-0');
    assert.ok(!young.facts.some((f) => f.kind === 'stuck-runc-init' && f.subject.pid === p.pid), 'not stuck before the threshold');
    const old = buildProcessTree({ proc, runc, stuckInitSec: 0 });
    const stuck = old.facts.find((f) => f.kind === 'stuck-runc-init' && f.subject.pid === p.pid);
    assert.ok(stuck, JSON.stringify(old.facts));
    assert.equal(stuck.subject.container?.id, 'parked');
    assert.equal(stuck.evidence.waitingInFifoOpen, true);
    assert.equal(stuck.evidence.execFifo, join(root, 'parked', 'exec.fifo'));
  });

  test('the running container is leaked when containerd answers and does not know it; unknown when it cannot be asked', () => {
    const runc = readRuncRoot(root);
    const proc = scanProcesses();
    const v = buildProcessTree({ proc, runc, tasks: [] });
    const leaked = v.facts.filter((f) => f.kind === 'leaked-runc-container').map((f) => f.subject.container?.id).sort();
    assert.deepEqual(leaked, ['leaked', 'parked']);
    const init = runc.containers.find((c) => c.id === 'leaked')!.initPid!;
    assert.equal(v.processes.find((t) => t.pid === init)?.role, 'orphan', 'a container process under no shim');
    assert.equal(buildProcessTree({ proc, runc }).facts.filter((f) => f.kind === 'leaked-runc-container').length, 0);
  });

  test('ctrdoc runc lists them like runc list, with the containerd column unknown when containerd cannot be asked', () => {
    const r = ctrdoc(['runc', '--runc-root', root, '--no-api', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    const by = new Map(out.containers.map((c: { id: string }) => [c.id, c]));
    assert.equal((by.get('parked') as { status: string }).status, 'created');
    assert.equal((by.get('leaked') as { knownToContainerd: null }).knownToContainerd, null);
    const table = ctrdoc(['runc', '--runc-root', root, '--no-api', '--stuck-after', '0s']);
    assert.match(table.stdout, /^ID\s+STATUS\s+CREATED\s+EXEC\.FIFO\s+INIT-PID\s+ALIVE\s+POD\s+BUNDLE\s+CONTAINERD/);
    assert.match(table.stdout, /parked\s+created\s+\S+ ago\s+yes\s+\d+\s+yes\s+e2e\/web-0/);
    assert.match(table.stdout, /stuck-runc-init: runc init \d+ for e2e\/web-0 container app/);
    const tree = ctrdoc(['tree', '--runc-root', root, '--no-api', '-o', 'json']);
    assert.equal(tree.code, 0, tree.stderr);
    assert.ok(JSON.parse(tree.stdout).processes.some((t: { role: string; container?: { id: string } }) => t.role === 'runc-init' && t.container?.id === 'parked'));
  });

  test('a runc root that does not exist is a message, not a failure', () => {
    const r = ctrdoc(['runc', '--runc-root', join(dir, 'nope'), '--no-api']);
    assert.equal(r.code, 0);
    assert.match(r.stderr, /does not exist/);
  });
});
