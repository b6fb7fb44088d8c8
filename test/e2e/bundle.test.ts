// `ctrdoc bundle` and `ctrdoc analyze` on a real lab: planted secrets (an env var in a real
// container's OCI spec and CRI answers, a registry auth in containerd's config, a bearer token in
// the kubelet stand-in's config and a token and client key in its kubeconfig) appear nowhere in
// the bundle and each is listed in the manifest; analyze of a faulted lab's bundle gives the
// same findings as doctor live.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { ctrdoc, isRoot, labUp, type TestLab } from './cli-run.ts';
import { forVersions, versionDir } from './versions.ts';
import { readLabRecord } from '../../src/lab/supervisor.ts';
import { PLUGIN_ID } from '../../src/sources/containerd/layout.ts';
import { openCri } from '../../src/sources/cri/client.ts';
import { labPaths } from '../../src/lab/paths.ts';
import { startLabPod, containerConfig } from '../../src/lab/pods.ts';
import { readBundle } from '../../src/bundle/read.ts';
import type { DoctorReport } from '../../src/report/doctor-report.ts';

const DIR_BASE = '/tmp/b7-eb';
const ENV_SECRET = 'hunter2-planted-env';
const REG_SECRET = 'hunter2-planted-registry';
const REG_AUTH = 'aHVudGVyMi1wbGFudGVkLWF1dGg=';
const KUBELET_TOKEN = 'hunter2-planted-kubelet-token';
const KUBECONFIG_TOKEN = 'hunter2-planted-kubeconfig-token';
const CLIENT_KEY = 'aHVudGVyMi1wbGFudGVkLWNsaWVudC1rZXk=';
const HOSTS_AUTH = 'aHVudGVyMi1wbGFudGVkLWhvc3Rz';
const SECRETS = [ENV_SECRET, REG_SECRET, REG_AUTH, KUBELET_TOKEN, KUBECONFIG_TOKEN, CLIENT_KEY, HOSTS_AUTH];

forVersions('suite', (v) => {
const DIR = versionDir(DIR_BASE, v);
describe(`ctrdoc bundle / analyze on the lab (containerd ${v})`, { skip: !isRoot && 'not root: the lab runs containerd and runc, which need root' }, () => {
  let lab: TestLab;
  let work: string;
  let configCopy: string;
  let kubeletConfig: string;
  let kubeconfig: string;
  let idleCreatedAt = 0;
  before(async () => {
    lab = labUp(DIR, 1, v);
    work = mkdtempSync(join(tmpdir(), 'b7-bundle-'));
    // an env var in a real container's spec, created through CRI like kubelet would
    const cri = openCri(lab.endpoint, { timeoutMs: 30_000 });
    try {
      const pod = await startLabPod(cri, labPaths(DIR), { app: 'secret', withContainer: false });
      const cc = containerConfig({ name: 'app', attempt: 0, image: 'ctrdoc.local/lab/app:1', pod });
      cc.envs.push({ key: 'DB_PASSWORD', value: ENV_SECRET });
      const id = await cri.createContainer(pod.podId, cc, pod.sandboxConfig, 30_000);
      await cri.startContainer(id, 30_000);
      // and one created and never started: the doctor asks CRI's verbose status for it (its
      // envs and runtime spec come into the Snapshot), where a healthy container's are not asked
      const idle = containerConfig({ name: 'idle', attempt: 0, image: 'ctrdoc.local/lab/app:1', pod });
      idle.envs.push({ key: 'DB_PASSWORD', value: ENV_SECRET });
      await cri.createContainer(pod.podId, idle, pod.sandboxConfig, 30_000);
      idleCreatedAt = Date.now();
    } finally {
      cri.close();
    }
    // a registry auth in a copy of the lab's containerd config, in the table this version reads
    // (1.x: the CRI plugin's; 2.x: its images half, VERSIONS.md#config-v3-registry), and a
    // registry hosts file with an Authorization header where the copy's config_path points
    configCopy = join(work, 'config.toml');
    const registryTable = `plugins.${JSON.stringify(readLabRecord(labPaths(DIR))!.binaries!.family === '2.x' ? PLUGIN_ID.criImages : PLUGIN_ID.criGrpc)}.registry`;
    const hostsDir = join(work, 'certs.d');
    mkdirSync(join(hostsDir, 'registry.example.com:5000'), { recursive: true });
    writeFileSync(join(hostsDir, 'registry.example.com:5000', 'hosts.toml'), [
      'server = "https://registry.example.com:5000"',
      '[host."https://mirror.example.com"]',
      '  capabilities = ["pull", "resolve"]',
      '  [host."https://mirror.example.com".header]',
      `    Authorization = ["Basic ${HOSTS_AUTH}"]`,
      '',
    ].join('\n'));
    const text = readFileSync(join(DIR, 'config.toml'), 'utf8');
    const table = new RegExp(`(\\[${registryTable.replace(/[.]/g, '\\.')}\\]\\s*\\n\\s*config_path = )""`);
    assert.match(text, table, `the lab's config has a ${registryTable} table with config_path`);
    writeFileSync(configCopy, text.replace(table, `$1"${hostsDir}"`) + [
      '',
      `[${registryTable}.configs."registry.example.com:5000".auth]`,
      '  username = "robot"',
      `  password = "${REG_SECRET}"`,
      `  auth = "${REG_AUTH}"`,
      '',
    ].join('\n'));
    // the binary reads both where they are: `config dump` shows the auth (else there is nothing to redact)
    const bin = readLabRecord(labPaths(DIR))!.binaries!.containerd;
    const dump = spawnSync(bin, ['--config', configCopy, 'config', 'dump'], { encoding: 'utf8' });
    assert.ok(dump.stdout.includes(REG_SECRET), `config dump of the copy carries the planted auth: ${dump.stderr.slice(-500)}`);
    // the kubelet stand-in, and a token in (a copy of) its config and in its kubeconfig
    const f = ctrdoc(['lab', 'fault', 'kubelet', '--dir', DIR], { timeoutMs: 60_000 });
    assert.equal(f.code, 0, f.stderr);
    kubeletConfig = join(work, 'kubelet-config.yaml');
    writeFileSync(kubeletConfig, readFileSync(join(DIR, 'kubelet', 'config.yaml'), 'utf8') +
      `staticPodURLHeader:\n  Authorization:\n  - Bearer ${KUBELET_TOKEN}\n`);
    kubeconfig = join(work, 'kubelet.conf');
    writeFileSync(kubeconfig, [
      'apiVersion: v1', 'kind: Config', 'clusters:', '- cluster:', '    certificate-authority-data: LS0tLS1CRUdJTg==', '    server: https://10.0.0.1:6443', '  name: k',
      'users:', '- name: system:node:n1', '  user:', `    token: ${KUBECONFIG_TOKEN}`, `    client-key-data: ${CLIENT_KEY}`, '    client-certificate-data: LS0tLS1DRVJU', '',
    ].join('\n'));
  });
  after(() => {
    lab?.down();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const flags = () => [...lab.flags.map((f) => (f.startsWith('--containerd-config=') ? `--containerd-config=${configCopy}` : f)),
    '--kubelet-config', kubeletConfig, '--kubeconfig', kubeconfig, '--kubelet-log', join(DIR, 'kubelet', 'kubelet.log')];

  test('planted secrets appear nowhere in the bundle, and the manifest lists each redaction', async () => {
    const out = join(work, 'b.tar.gz');
    // --stuck-after 1s: the container created and never started is stuck (once it is that old),
    // so its verbose status is read
    await new Promise((res) => setTimeout(res, Math.max(0, idleCreatedAt + 1500 - Date.now())));
    const r = ctrdoc(['bundle', '-o', out, '--stuck-after', '1s', ...flags()], { timeoutMs: 90_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), out);
    assert.match(r.stderr, /value\(s\) redacted/);
    const b = await readBundle(out);
    const names = [...b.files.keys()];
    for (const want of ['snapshot.json', 'manifest.json', 'containerd/config.toml', 'containerd/config-default.toml', 'containerd/config-dump.toml',
      'kubelet/config.yaml', 'kubelet/kubeconfig', 'logs/containerd.log', 'logs/kubelet.log', 'tree/ps.txt', 'node/dmesg.txt',
      'containerd/hosts/registry.example.com_5000/hosts.toml']) {
      assert.ok(names.includes(want), `${want} in ${names.join(', ')}`);
    }
    assert.ok(names.some((n) => /^runc\/[0-9a-f]{64}\/state\.json$/.test(n)), 'runc state files');
    assert.ok(names.some((n) => /^oci\/[0-9a-f]{64}\/config\.json$/.test(n)), 'OCI specs');
    // the secrets were really in what was collected: the OCI spec on disk holds the env value
    const specs = readdirSync(join(DIR, 'state', 'io.containerd.runtime.v2.task', 'k8s.io')).map((id) => {
      try { return readFileSync(join(DIR, 'state', 'io.containerd.runtime.v2.task', 'k8s.io', id, 'config.json'), 'utf8'); } catch { return ''; }
    });
    assert.ok(specs.some((s) => s.includes(ENV_SECRET)), 'the planted env var is in a real OCI spec on disk');
    // ...and in no entry of the bundle (every byte, every entry; also the raw .tar.gz inflated)
    for (const [name, content] of b.files) {
      for (const s of SECRETS) {
        const at = content.indexOf(s);
        assert.ok(at === -1, `${s} found in ${name}: ...${content.subarray(Math.max(0, at - 300), at + 60).toString()}`);
      }
    }
    // as a user would check: unpack it with tar and grep every file
    const unpacked = mkdtempSync(join(work, 'x-'));
    const tar = spawnSync('tar', ['xzf', out, '-C', unpacked]);
    assert.equal(tar.status, 0, String(tar.stderr));
    for (const s of SECRETS) {
      const g = spawnSync('grep', ['-r', '-l', '-F', s, unpacked], { encoding: 'utf8' });
      assert.equal(g.status, 1, `grep found ${s} in ${g.stdout}`);
    }
    assert.ok(!gunzipSync(readFileSync(out)).includes(ENV_SECRET));
    const m = b.manifest;
    assert.equal(m.redacted, true);
    const red = (file: RegExp, key: RegExp) => m.redactions.filter((x) => file.test(x.file) && key.test(x.key));
    assert.ok(red(/^snapshot\.json$/, /^DB_PASSWORD$/).length >= 2, 'CRI envs and runtimeSpec env of the stuck container in the Snapshot');
    assert.ok(red(/^oci\/.*\/config\.json$/, /^DB_PASSWORD$/).length >= 1, 'the OCI spec');
    assert.ok(red(/^containerd\/config\.toml$/, /auth\.password$/).length === 1);
    assert.ok(red(/^containerd\/config\.toml$/, /auth\.auth$/).length === 1);
    assert.ok(red(/^containerd\/config-dump\.toml$/, /auth\.password$/).length === 1, 'the effective config dump too');
    assert.ok(red(/^containerd\/hosts\/registry\.example\.com_5000\/hosts\.toml$/, /header\.Authorization$/).length === 1, 'the registry hosts file\'s header');
    assert.match(b.files.get('containerd/hosts/registry.example.com_5000/hosts.toml')!.toString(), /mirror\.example\.com/, 'the rest of the hosts file is kept');
    assert.ok(red(/^kubelet\/config\.yaml$/, /./).length >= 1, 'kubelet config: the bearer token');
    assert.ok(red(/^kubelet\/kubeconfig$/, /^token$/).length === 1);
    assert.ok(red(/^kubelet\/kubeconfig$/, /^client-key-data$/).length === 1);
    assert.ok(m.redactions.every((x) => x.where && x.key && x.rule), 'each says where and which key');
    assert.ok(!JSON.stringify(m).includes('hunter2'), 'the manifest never holds a value');
    assert.equal(m.redactionCount, m.redactions.length);
    for (const e of m.entries) assert.ok(typeof e.durationMs === 'number' && e.source, `${e.name}: source and duration`);
    // certificates are public and kept
    assert.match(b.files.get('kubelet/kubeconfig')!.toString(), /client-certificate-data: LS0tLS1DRVJU/);
  });

  test('--no-redact keeps the values and says so in the manifest', async () => {
    const out = join(work, 'raw.tar.gz');
    const r = ctrdoc(['bundle', '--no-redact', '-o', out, ...flags()], { timeoutMs: 90_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /--no-redact/);
    const b = await readBundle(out);
    assert.equal(b.manifest.redacted, false);
    assert.match(b.manifest.redactionNote, /NOT REDACTED/);
    assert.equal(b.manifest.redactionCount, 0);
    assert.ok(b.files.get('snapshot.json')!.includes(ENV_SECRET));
    assert.ok(b.files.get('kubelet/kubeconfig')!.includes(KUBECONFIG_TOKEN));
    assert.deepEqual(b.manifest.command.slice(0, 3), ['ctrdoc', 'bundle', '--no-redact']);
  });

  test('analyze of a faulted lab\'s bundle gives the same findings as doctor live', async () => {
    const f = ctrdoc(['lab', 'fault', 'stuck-init', '--dir', DIR], { timeoutMs: 60_000 });
    assert.equal(f.code, 0, f.stderr);
    await new Promise((r) => setTimeout(r, 1500)); // past --stuck-after 1s, so the init counts as stuck
    // the node layer judges this machine (its load, any process in D: another test's too), which
    // the test does not own and which moves between the two runs: the lab's findings are compared
    const key = (r: DoctorReport, node = false) => r.findings.filter((x) => (x.layer === 'node') === node)
      .map((x) => `${x.rule} ${x.status} ${JSON.stringify(x.subject ?? {})}`).sort();
    let live: string[] = [];
    let offline: string[] = [];
    // the two runs are a second apart: a finding that flips in between gets one more try
    for (let attempt = 0; attempt < 2; attempt++) {
      const d = ctrdoc(['doctor', '-o', 'json', '--stuck-after', '1s', ...flags().filter((x) => x !== '--kubeconfig' && x !== kubeconfig)], { timeoutMs: 60_000 });
      assert.ok(d.code === 0 || d.code === 1, d.stderr);
      const out = join(work, `g${attempt}.tar.gz`);
      const b = ctrdoc(['bundle', '-o', out, '--stuck-after', '1s', ...flags()], { timeoutMs: 90_000 });
      assert.equal(b.code, 0, b.stderr);
      const a = ctrdoc(['analyze', out, '-o', 'json']);
      const [dr, ar] = [JSON.parse(d.stdout) as DoctorReport, JSON.parse(a.stdout) as DoctorReport];
      // the exit code follows the findings: the same unless the machine's own (node) findings moved
      if (JSON.stringify(key(dr, true)) === JSON.stringify(key(ar, true))) assert.equal(a.code, d.code, `analyze exit ${a.code} vs doctor ${d.code}: ${a.stderr}`);
      else assert.ok(a.code === 0 || a.code === 1, a.stderr);
      live = key(dr);
      offline = key(ar);
      if (JSON.stringify(live) === JSON.stringify(offline)) break;
    }
    assert.deepEqual(offline, live);
    assert.ok(live.some((k) => / fail /.test(k)), 'the faulted lab has failing findings to compare');
    // the fault itself, once the process tree is in the Snapshot (RUNC_STUCK_INIT is skipped without it)
    if (!live.some((k) => /^RUNC_STUCK_INIT skipped /.test(k))) {
      assert.ok(live.some((k) => /^RUNC_STUCK_INIT fail /.test(k)), `the fault itself is found: ${live.filter((k) => / fail /.test(k)).join('; ')}`);
    }
    // text output renders exactly like doctor's
    const t = ctrdoc(['analyze', join(work, 'g0.tar.gz')]);
    assert.match(t.stdout, /^ctrdoc doctor: /);
    assert.match(t.stdout, /Summary: \d+ critical/);
    ctrdoc(['lab', 'fault', 'clear', 'stuck-init', '--dir', DIR], { timeoutMs: 60_000 });
  });
});
});
