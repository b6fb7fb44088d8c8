// The kubelet source against real processes. kubelet itself cannot run on this machine, so the
// kubelets here are STAND-INS: (1) `exec -a kubelet` in bash, so argv[0] is "kubelet" while a
// shell that sleeps carries kubelet's flags; (2) a script file named `kubelet` run by /bin/sh,
// the way the lab's kubelet fault starts its stand-in. The source must find them in /proc, read
// their flags, and check the endpoint they name within the deadline.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { collectKubelet, findKubeletProcesses } from '../../src/sources/kubelet/index.ts';
import { isRoot, labUp, type TestLab } from './cli-run.ts';
import { versionDir } from './versions.ts';

const dir = mkdtempSync(join(tmpdir(), 'ctrdoc-kubelet-e2e-'));
const children: ChildProcess[] = [];
after(() => {
  // each stand-in leads its own process group: end it (and its sleep) by that id
  for (const c of children) if (c.pid && c.exitCode === null) try { process.kill(-c.pid, 'SIGKILL'); } catch { /* gone */ }
  rmSync(dir, { recursive: true, force: true });
});

function start(cmd: string, args: string[]): ChildProcess {
  const c = spawn(cmd, args, { detached: true, stdio: 'ignore' });
  children.push(c);
  return c;
}

async function waitFor(pid: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (findKubeletProcesses().some((p) => p.pid === pid)) return;
    await sleep(20);
  }
}

test('stand-in 1: argv[0] "kubelet" (bash exec -a) with --flag=value and --flag value forms', async () => {
  const sock = join(dir, 'silent.sock');
  // a socket that accepts and never answers: CRI Version must end at the deadline, not hang
  const accepted = new Set<Socket>();
  const server: Server = createServer((conn) => accepted.add(conn)).listen(sock);
  await new Promise((r) => server.once('listening', r));
  try {
    const config = join(dir, 'config.yaml');
    writeFileSync(config, 'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\ncgroupDriver: systemd\nruntimeRequestTimeout: 30s\n');
    const c = start('bash', ['-c', `exec -a kubelet sh -c 'sleep 600; :' --config=${config} --container-runtime-endpoint unix://${sock} --v=2`]);
    await waitFor(c.pid!);
    const v = await collectKubelet({ pid: c.pid, kubeadmFlagsPath: join(dir, 'none'), defaultsPath: join(dir, 'none'), dropInDirs: [], kubeletVersion: 'v1.28.4', deadlineMs: 1500 });
    assert.equal(v.pid, c.pid);
    assert.equal(v.argv?.[0], 'kubelet');
    assert.equal(v.flags.config, config);
    assert.equal(v.flags['container-runtime-endpoint'], `unix://${sock}`);
    assert.equal(v.flagSources['container-runtime-endpoint'], 'argv');
    assert.equal(v.cgroupDriver, 'systemd');
    assert.equal(v.config?.runtimeRequestTimeout, '30s');
    assert.equal(v.runtimeEndpoint, `unix://${sock}`);
    assert.equal(v.endpointCheck?.ok, false);
    assert.match(v.endpointCheck?.error ?? '', /no answer|deadline|within/i);
  } finally {
    // the silent server never closes what it accepted: do it, or the open sockets keep this file alive
    for (const conn of accepted) conn.destroy();
    server.close();
  }
});

test('stand-in 2: a script named kubelet run by /bin/sh (the lab\'s form); files that disagree are noted', async () => {
  const bin = join(dir, 'kubelet');
  writeFileSync(bin, '#!/bin/sh\n# ctrdoc test: a kubelet STAND-IN; it only sleeps\ntrap \'exit 0\' TERM INT\nwhile :; do sleep 3600 & wait $!; done\n');
  chmodSync(bin, 0o755);
  const flagsEnv = join(dir, 'kubeadm-flags.env');
  writeFileSync(flagsEnv, 'KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix:///run/elsewhere.sock --container-runtime=remote"\n');
  const c = start(bin, ['--container-runtime-endpoint=unix:///nonexistent/containerd.sock', '--container-runtime=remote']);
  await waitFor(c.pid!);
  const found = findKubeletProcesses().find((p) => p.pid === c.pid);
  assert.equal(found?.matchedBy, 'script');
  assert.equal(found?.comm, 'kubelet');
  const v = await collectKubelet({ pid: c.pid, kubeadmFlagsPath: flagsEnv, defaultsPath: join(dir, 'none'), dropInDirs: [], deadlineMs: 1500 });
  assert.equal(v.flags['container-runtime'], 'remote');
  assert.match(v.notes.join('\n'), /sets --container-runtime-endpoint=unix:\/\/\/run\/elsewhere.sock but the running kubelet has unix:\/\/\/nonexistent/);
  assert.equal(v.endpointCheck?.ok, false);
  assert.match(v.endpointCheck?.error ?? '', /does not exist/);
});

test('the lab\'s containerd answers CRI Version on a stand-in\'s endpoint', { skip: !isRoot && 'not root: the lab runs containerd, which needs root' }, async () => {
  let lab: TestLab | undefined;
  try {
    lab = labUp(versionDir('/tmp/ctrdoc-e2e-kubelet', '1.6'), 0);
    const c = start('bash', ['-c', `exec -a kubelet sh -c 'sleep 600; :' --container-runtime-endpoint=${lab.endpoint}`]);
    await waitFor(c.pid!);
    const v = await collectKubelet({ pid: c.pid, kubeadmFlagsPath: join(dir, 'none'), defaultsPath: join(dir, 'none'), dropInDirs: [], deadlineMs: 3000 });
    assert.deepEqual([v.endpointCheck?.ok, v.endpointCheck?.runtimeName], [true, 'containerd']);
  } finally {
    lab?.down();
  }
});
