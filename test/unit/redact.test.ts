import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  REDACTED, isSensitiveKey, redactJson, redactToml, redactYaml, redactLines, redactFile, splitTomlKey, type RedactionLog,
} from '../../src/bundle/redact.ts';

const SECRET = 'hunter2-planted-SECRET';

test('sensitive keys: secrets yes, names and paths of secrets no', () => {
  for (const k of ['password', 'DB_PASSWORD', 'client-key-data', 'token', 'identitytoken', 'auth', 'Authorization', 'apiKey', 'private_key', 'clientSecret', 'credentials', 'refresh-token', 'dbpassword'])
    assert.equal(isSensitiveKey(k), true, k);
  for (const k of ['key', 'snapshotKey', 'client-certificate-data', 'tlsPrivateKeyFile', 'secretName', 'tokenFile', 'authority', 'keyring', 'name', 'sandboxID', ''])
    assert.equal(isSensitiveKey(k), false, k);
});

test('TOML keys split like TOML: quoted parts keep their dots', () => {
  assert.deepEqual(splitTomlKey('plugins."io.containerd.grpc.v1.cri".registry.configs."r.example:5000".auth'),
    ['plugins', 'io.containerd.grpc.v1.cri', 'registry', 'configs', 'r.example:5000', 'auth']);
  assert.deepEqual(splitTomlKey(''), []);
});

test('containerd config: registry auth table, inline auth, headers and multi-line values', () => {
  const toml = [
    'version = 2',
    '[plugins."io.containerd.grpc.v1.cri".registry.configs."reg.example:5000".auth]',
    `  username = "robot"`,
    `  password = "${SECRET}-1"`,
    `  auth = "${SECRET}-2"`,
    `  identitytoken = "${SECRET}-3"`,
    '[plugins."io.containerd.grpc.v1.cri".registry.configs."other".tls]',
    '  insecure_skip_verify = true',
    '  key_file = "/etc/certs/client.key"',
    '[plugins."io.containerd.grpc.v1.cri".registry.headers]',
    `  Authorization = ["Bearer ${SECRET}-4"]`,
    '  X-Meta = ["ok"]',
    '[plugins."io.containerd.grpc.v1.cri".registry.configs."third"]',
    `  auth = { username = "u", password = "${SECRET}-5" }`,
    '[grpc]',
    '  tcp_tls_key = ""',
    `  token = """`,
    `${SECRET}-6`,
    `"""`,
    '  address = "/run/containerd/containerd.sock"',
  ].join('\n');
  const log: RedactionLog = [];
  const out = redactToml(toml, 'containerd/config.toml', log);
  assert.ok(!out.includes(SECRET), out);
  assert.ok(!out.includes('robot'), 'registry username is redacted');
  assert.match(out, /insecure_skip_verify = true/);
  assert.match(out, /key_file = "\/etc\/certs\/client.key"/);
  assert.match(out, /tcp_tls_key = ""/);
  assert.match(out, /address = "\/run\/containerd\/containerd.sock"/);
  assert.match(out, /X-Meta = \["ok"\]/);
  assert.equal(out.split('\n').filter((l) => l.includes(REDACTED)).length, 7);
  assert.ok(log.every((r) => r.file === 'containerd/config.toml' && /^line \d+$/.test(r.where)));
  assert.ok(log.some((r) => r.key.endsWith('.auth.password') && r.rule === 'registry-auth'));
  assert.ok(!JSON.stringify(log).includes(SECRET), 'the log never holds a value');
});

test('2.x registry locations: the images plugin\'s registry table (a version 3 dump\'s single quotes) and hosts.toml headers', () => {
  // as 2.1.9's `config dump` writes a planted auth (TOML single-quoted keys and values)
  const dump = [
    'version = 3',
    "    [plugins.'io.containerd.cri.v1.images'.registry]",
    "      config_path = '/etc/containerd/certs.d'",
    "      [plugins.'io.containerd.cri.v1.images'.registry.configs.'registry.example.com:5000'.auth]",
    "            username = 'robot'",
    `            password = '${SECRET}-1'`,
    `            auth = '${SECRET}-2'`,
    "            identitytoken = ''",
  ].join('\n');
  const log: RedactionLog = [];
  const out = redactToml(dump, 'containerd/config-dump.toml', log);
  assert.ok(!out.includes(SECRET) && !out.includes('robot'), out);
  assert.match(out, /config_path = '\/etc\/containerd\/certs\.d'/);
  assert.match(out, /identitytoken = ''/);
  assert.deepEqual(log.map((r) => r.key.split('.').slice(-2).join('.')), ['auth.username', 'auth.password', 'auth.auth']);
  assert.ok(log.every((r) => r.rule === 'registry-auth'));
  // a registry hosts file (config_path/<host>/hosts.toml): header values, per host and at the top
  const hosts = [
    'server = "https://registry.example.com"',
    '[header]',
    `  Authorization = "Basic ${SECRET}-3"`,
    '[host."https://mirror.example.com"]',
    '  capabilities = ["pull", "resolve"]',
    '  ca = "/etc/certs/ca.crt"',
    '  client = [["/etc/certs/client.crt", "/etc/certs/client.key"]]',
    '  [host."https://mirror.example.com".header]',
    `    authorization = ["Bearer ${SECRET}-4"]`,
    `    x-api-token = "${SECRET}-5"`,
    '    x-custom = ["kept"]',
  ].join('\n');
  const hlog: RedactionLog = [];
  const hout = redactFile('containerd/hosts/registry.example.com/hosts.toml', hosts, hlog);
  assert.ok(!hout.includes(SECRET), hout);
  for (const kept of ['server = "https://registry.example.com"', 'capabilities = ["pull", "resolve"]', 'ca = "/etc/certs/ca.crt"', '/etc/certs/client.key', 'x-custom = ["kept"]']) assert.ok(hout.includes(kept), kept);
  assert.equal(hlog.length, 3);
  assert.ok(!JSON.stringify(hlog).includes(SECRET));
});

test('kubeconfig and kubelet config: token, client-key-data, block scalars; certificates stay', () => {
  const yaml = [
    'apiVersion: v1',
    'kind: Config',
    'users:',
    '- name: kubelet',
    '  user:',
    `    token: ${SECRET}-1`,
    `    client-key-data: ${SECRET}-2`,
    '    client-certificate-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t',
    '    client-key: /var/lib/kubelet/pki/kubelet-client.key',
    '    auth-provider:',
    '      config:',
    `        access-token: "${SECRET}-3"`,
    'staticPodURLHeader:',
    '  Authorization:',
    `  - Bearer ${SECRET}-4`,
    'password: |',
    `  ${SECRET}-5`,
    `  ${SECRET}-6`,
    'cgroupDriver: systemd',
  ].join('\n');
  const log: RedactionLog = [];
  const out = redactYaml(yaml, 'kubelet/kubeconfig', log);
  assert.ok(!out.includes(SECRET), out);
  assert.match(out, /client-certificate-data: LS0t/);
  assert.match(out, /client-key: \/var\/lib\/kubelet/);
  assert.match(out, /cgroupDriver: systemd/);
  assert.ok(log.some((r) => r.key === 'token'));
});

test('log lines: Authorization Bearer, --token=, password= and PEM private keys', () => {
  const text = [
    `time="x" level=info msg="pulling" header="Authorization: Bearer ${SECRET}1abc"`,
    `kubelet --bootstrap-token=${SECRET}2 --config=/var/lib/kubelet/config.yaml`,
    `db password=${SECRET}3 user=alice`,
    '-----BEGIN RSA PRIVATE KEY-----',
    `${SECRET}4`,
    '-----END RSA PRIVATE KEY-----',
    '-----BEGIN CERTIFICATE-----',
    'MIIBcertificatebody',
    '-----END CERTIFICATE-----',
  ].join('\n');
  const log: RedactionLog = [];
  const out = redactLines(text, 'logs/containerd.log', log);
  assert.ok(!out.includes(SECRET), out);
  assert.match(out, /--config=\/var\/lib\/kubelet\/config.yaml/);
  assert.match(out, /user=alice/);
  assert.match(out, /MIIBcertificatebody/, 'certificates are public');
  assert.ok(log.some((r) => r.rule === 'pem'));
  assert.ok(log.some((r) => r.rule === 'bearer' && r.where === 'line 1'));
});

test('JSON: OCI env, CRI envs, sensitive keys at any depth, config diff entries', () => {
  const spec = {
    process: { env: ['PATH=/usr/bin', `DB_PASSWORD=${SECRET}`, 'EMPTY='], args: ['sh', '-c', `login --password ${SECRET}x`] },
    config: { envs: [{ key: 'API', value: SECRET }], labels: { app: 'web' } },
    nested: [{ deep: { clientSecret: SECRET, enabled: true, count: 3 } }],
    diff: [{ path: 'plugins."io.containerd.grpc.v1.cri".registry.configs."r".auth.password', default: undefined, actual: JSON.stringify(SECRET) }],
  };
  const log: RedactionLog = [];
  const out = redactJson(spec, 'oci/x/config.json', log) as typeof spec;
  assert.ok(!JSON.stringify(out).includes(SECRET), JSON.stringify(out));
  assert.deepEqual(out.process.env, ['PATH=<redacted>', 'DB_PASSWORD=<redacted>', 'EMPTY=<redacted>']);
  assert.equal(out.config.labels.app, 'web');
  assert.equal(out.nested[0].deep.enabled, true);
  assert.ok(log.some((r) => r.where === '$.process.env[1]' && r.key === 'DB_PASSWORD' && r.rule === 'env'));
  assert.ok(log.some((r) => r.where === '$.config.envs[0].value' && r.key === 'API'));
  assert.ok(!JSON.stringify(log).includes(SECRET));
});

test('redactFile by name; bad JSON falls back to line redaction', () => {
  const log: RedactionLog = [];
  assert.ok(!redactFile('x/state.json', `{"password": "${SECRET}"`, log).includes(SECRET));
  assert.ok(!redactFile('kubelet/kubeadm-flags.env', `KUBELET_KUBEADM_ARGS="--token=${SECRET} --pod-infra-container-image=x"`, log).includes(SECRET));
  assert.equal(redactFile('a.txt', '', log), '');
});

// Random JSON of any shape, with one planted secret under a sensitive key, in an env array, in
// a CRI KeyValue env, or as a Bearer credential / PEM block inside a string.
const secretArb = fc.stringMatching(/^[A-Za-z0-9]{12,24}$/).map((s) => `S3CR3T${s}`);
const sensitiveKey = fc.constantFrom('password', 'DB_PASSWORD', 'token', 'client-key-data', 'auth', 'identitytoken', 'apiKey', 'clientSecret', 'privateKey', 'x-auth-token', 'credentials');
const plant = (secret: string) => fc.oneof(
  sensitiveKey.map((k) => ({ [k]: secret })),
  sensitiveKey.map((k) => ({ [k]: { nested: [secret, 1] } })),
  fc.constantFrom('env', 'Env', 'envs').map((k) => ({ [k]: ['A=b', `KEY=${secret}`] })),
  fc.constant({ envs: [{ key: 'ANY', value: secret }] }),
  fc.constant({ log: `GET /v2 Authorization: Bearer ${secret}` }),
  fc.constant({ cmd: `-----BEGIN PRIVATE KEY-----\n${secret}\n-----END PRIVATE KEY-----` }),
  fc.constant({ argv: ['kubelet', `--token=${secret}`] }),
);

test('property: the redactor never leaves a planted secret, in JSON of any shape', () => {
  fc.assert(fc.property(
    secretArb.chain((secret) => fc.tuple(fc.constant(secret), fc.jsonValue({ maxDepth: 4 }), plant(secret), fc.array(fc.constantFrom('a', 'b', 'spec', 'process', 'info', 'items'), { maxLength: 4 }))),
    ([secret, noise, planted, path]) => {
      // put the planted object somewhere in a random document
      let doc: unknown = planted;
      for (const k of path) doc = { [k]: doc, noise };
      doc = Array.isArray(noise) ? [...noise, doc] : { noise, doc };
      const log: RedactionLog = [];
      const out = JSON.stringify(redactJson(doc, 'f.json', log));
      assert.ok(!out.includes(secret), out);
      assert.ok(log.length >= 1);
      assert.ok(!JSON.stringify(log).includes(secret));
    },
  ), { numRuns: 400 });
});

test('property: redaction is idempotent and keeps JSON without secrets as it was', () => {
  fc.assert(fc.property(fc.jsonValue({ maxDepth: 4 }), (v) => {
    const once = redactJson(v, 'f.json', []);
    assert.equal(JSON.stringify(redactJson(once, 'f.json', [])), JSON.stringify(once));
    // nothing is lost: JSON without secrets comes out as it went in (a "__proto__" key included)
    assert.equal(JSON.stringify(once), JSON.stringify(v));
  }), { numRuns: 300 });
  const hostile = JSON.parse('{"__proto__": {"polluted": 1}, "a": 1}');
  const out = redactJson(hostile, 'f.json', []) as Record<string, unknown>;
  assert.equal(JSON.stringify(out), '{"__proto__":{"polluted":1},"a":1}');
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  const plain = { a: [1, 'two', { three: null, four: true }], kind: 'Snapshot', argv: ['containerd', '--config', '/etc/containerd/config.toml'] };
  assert.deepEqual(redactJson(plain, 'f.json', []), plain);
});

test('huge and garbage input stay bounded', () => {
  const big = 'x'.repeat(5 << 20);
  assert.equal(redactLines(big, 'big.log', []).length, big.length);
  assert.ok(!redactToml(`[a\npassword = "${SECRET}`, 't.toml', []).includes(SECRET));
  assert.equal(typeof redactYaml('::: - - |\n\t\u0000', 'y.yaml', []), 'string');
});

test('env values inside log lines: Go-printed CRI KeyValue, OCI Env, embedded JSON env', () => {
  const lines = [
    `time="t" level=debug msg="CreateContainer within sandbox" config="&ContainerConfig{Envs:[]*KeyValue{&KeyValue{Key:POD_NAME,Value:web,},&KeyValue{Key:DB_PASSWORD,Value:${SECRET},},},}"`,
    `spec: &Spec{Process:&Process{Env:[PATH=/bin DB_PASSWORD=${SECRET} two words] Cwd:/}} Env:([]string)[A=b C=${SECRET}]`,
    `msg="spec" json="{\\"process\\":{\\"env\\":[\\"PATH=/bin\\",\\"DB_PASSWORD=${SECRET}\\"]}}"`,
  ].join('\n');
  const log: RedactionLog = [];
  const out = redactLines(lines, 'logs/containerd.log', log);
  assert.ok(!out.includes(SECRET), out);
  assert.match(out, /Key:POD_NAME,Value:<redacted>,/);
  assert.match(out, /Env:\[PATH=<redacted> DB_PASSWORD=<redacted>\] Cwd:\//);
  assert.ok(log.filter((r) => r.key === 'DB_PASSWORD' && r.rule === 'env').length === 3);
  assert.match(out, /Env:\(\[\]string\)\[A=<redacted> C=<redacted>\]/);
});
