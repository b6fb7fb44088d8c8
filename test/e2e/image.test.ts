// The DaemonSet's image, built by ctrdoc (src/image) from the single executable: an OCI layout an
// importer accepts, holding the executable, the libraries ldd names and a shell, with no base
// image. Then `ctrdoc lab serve-pod` imports it into a lab of this test's own and runs `ctrdoc
// serve` as a pod with the DaemonSet's settings (hostPID, privileged, host paths read-only); its
// /metrics, scraped from outside, shows a real fault injected into the lab.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { criJson, ctrdoc, isRoot, labUp, type TestLab } from './cli-run.ts';
import { buildBinary } from './build-binary.ts';
import { buildCtrdocImage, EXECUTABLE_PATH } from '../../src/image/build.ts';
import { readTarFiles, verifyOciImageTarball } from '../../src/lab/oci-layout.ts';

const DIR = '/tmp/ctrdoc-e2e-image';

describe('the DaemonSet image and its pod in the lab', { skip: !isRoot && 'not root: the lab runs containerd and runc, which need root' }, () => {
  let lab: TestLab;
  let tmp: string;
  let exe: string;
  before(() => {
    ({ tmp, exe } = buildBinary('ctrdoc-image-'));
    lab = labUp(DIR, 1);
  });
  after(() => {
    lab?.down();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  test('the image: one verified layer with the executable, every library ldd names, a shell; ctrdoc serve by default', async () => {
    const img = await buildCtrdocImage({ executable: exe });
    assert.match(img.name, /^ctrdoc\.local\/ctrdoc:\d+\.\d+\.\d+-[0-9a-f]{12}$/);
    assert.deepEqual(await verifyOciImageTarball(img.tarball), [img.name]);
    const blobs = await readTarFiles(img.tarball);
    const blob = (digest: string) => blobs.get(`blobs/sha256/${digest.slice(7)}`)!;
    const layer = await readTarFiles(gunzipSync(blob(img.layer.digest)));
    assert.ok(layer.has(EXECUTABLE_PATH));
    assert.ok(img.libraries.some((l) => /\/libc\.so\.6$/.test(l.path)), 'links libc');
    assert.ok(img.libraries.some((l) => /\/ld-linux[^/]*\.so/.test(l.path)), 'the dynamic linker');
    for (const l of img.libraries) assert.ok(layer.has(l.path.replace(/^\//, '')), `${l.path} in the layer`);
    assert.ok(layer.has('bin/busybox'));
    const config = JSON.parse(blob(img.config.digest).toString()).config;
    assert.deepEqual(config.Cmd, ['ctrdoc', 'serve']);
    assert.equal(config.Entrypoint, undefined, 'no entrypoint: the DaemonSet\'s args are the command');
    assert.ok(config.Env.includes('PATH=/usr/local/bin:/bin'));
  });

  test('serve pod: hostPID, privileged, host paths read-only; its /metrics shows a lab fault', async () => {
    const r = ctrdoc(['lab', 'serve-pod', '--dir', DIR, '--executable', exe, '--interval', '2s'], { timeoutMs: 180_000 });
    assert.equal(r.code, 0, r.stderr);
    const url = /answers on (http:\/\/127\.0\.0\.1:\d+)\/metrics/.exec(r.stdout)?.[1];
    assert.ok(url, r.stdout);
    const cri = (...a: string[]) => criJson(lab.endpoint, ...a);
    const pod = cri('pods', '--label', 'ctrdoc.dev/serve-pod=true').items;
    assert.equal(pod.length, 1);
    const podStatus = cri('inspectp', pod[0].id).status;
    assert.equal(podStatus.linux.namespaces.options.pid, 'NODE', 'hostPID');
    const ctr = cri('ps', '--pod', pod[0].id).containers;
    assert.equal(ctr.length, 1);
    assert.equal(ctr[0].state, 'CONTAINER_RUNNING');
    const status = cri('inspect', ctr[0].id);
    const mounts = status.status.mounts.filter((m: { containerPath: string }) => !m.containerPath.startsWith('/etc/') && m.containerPath !== '/dev/termination-log');
    assert.ok(mounts.some((m: { containerPath: string }) => m.containerPath === DIR));
    for (const m of mounts) assert.equal(m.readonly, true, `${m.containerPath} read-only`);
    assert.equal(status.info.info.runtimeSpec.process.capabilities?.bounding?.includes('CAP_SYS_ADMIN'), true, 'privileged');

    const f = ctrdoc(['lab', 'fault', 'leaked-runc', '--dir', DIR], { timeoutMs: 120_000 });
    assert.equal(f.code, 0, f.stderr);
    try {
      let metrics = '';
      // serve collects every 2 s; a cycle on a loaded machine takes a few seconds more
      for (let i = 0; i < 60 && !/^ctrdoc_finding\{rule="RUNC_LEAKED_CONTAINER"/m.test(metrics); i++) {
        await new Promise((res) => setTimeout(res, 1000));
        metrics = await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
      }
      assert.match(metrics, /^ctrdoc_finding\{rule="RUNC_LEAKED_CONTAINER",layer="runc",severity="\w+"[^}]*\} 1$/m);
      // what the pod sees is the node's: the lab's pods and processes, through hostPID and the mounts
      assert.match(metrics, /^ctrdoc_probe_seconds\{probe="cri\.\w+",status="ok"\}/m);
    } finally {
      ctrdoc(['lab', 'fault', 'clear', 'leaked-runc', '--dir', DIR], { timeoutMs: 120_000 });
    }
  });
});
