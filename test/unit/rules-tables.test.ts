// Every shipped rule table (rules/*.json): parses, is canonical (2-space JSON + newline;
// UPDATE_GOLDEN=1 rewrites it), has unique ids across all tables, valid regexes; and every log
// table entry has one hit and one miss on a hand-built Snapshot, through rulesFromLogTable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SHIPPED_LOG_TABLES, compileLogTable, scanText } from '../../src/sources/logs/index.ts';
import { containerdLogRules, rulesFromLogTable } from '../../src/rules/logs.ts';
import { kubeletLogRules } from '../../src/rules/kubelet.ts';
import { kernelLogRules } from '../../src/rules/node.ts';
import { evaluate, type Rule } from '../../src/rules/rule.ts';
import type { LogScan, Snapshot } from '../../src/snapshot/types/index.ts';
import { emptySnapshot, failed, ok } from './snapshot-fixture.ts';

const RULES = join(import.meta.dirname, '..', '..', 'rules');

test('every rules/*.json parses, is canonical, and ids are unique across all tables', () => {
  const ids = new Map<string, string>();
  const notCanonical: string[] = [];
  const files = readdirSync(RULES).filter((f) => f.endsWith('.json')).sort();
  assert.ok(files.length >= 3);
  for (const f of files) {
    const text = readFileSync(join(RULES, f), 'utf8');
    const doc = JSON.parse(text) as unknown;
    const canonical = JSON.stringify(doc, null, 2) + '\n';
    if (process.env.UPDATE_GOLDEN === '1' && text !== canonical) writeFileSync(join(RULES, f), canonical);
    else if (text !== canonical) notCanonical.push(f);
    // tables hold entries with ids under any top-level key ("rules", "windows", ...)
    const entries = Object.values(doc as Record<string, unknown>).filter(Array.isArray).flat() as { id?: unknown; pattern?: unknown }[];
    for (const e of entries) {
      if (typeof e?.id !== 'string') continue;
      assert.ok(!ids.has(e.id), `${e.id} in ${f} is also in ${ids.get(e.id)}`);
      ids.set(e.id, f);
      if (typeof e.pattern === 'string') assert.doesNotThrow(() => new RegExp(e.pattern as string), `${f}: ${e.id}`);
    }
  }
  for (const [name, load] of Object.entries(SHIPPED_LOG_TABLES)) assert.ok(load().patterns.length > 0, name);
  // the log tables are held to it now; the others are reported until their owners rewrite them
  const logTables = Object.keys(SHIPPED_LOG_TABLES).map((n) => n.replace(/^rules\//, ''));
  assert.deepEqual(notCanonical.filter((f) => logTables.includes(f)), [], 'not canonical (2-space JSON + newline); UPDATE_GOLDEN=1 rewrites it');
});

const othersNotCanonical = readdirSync(RULES).filter((f) => f.endsWith('.json') && !Object.keys(SHIPPED_LOG_TABLES).includes(`rules/${f}`)).filter((f) => {
  const text = readFileSync(join(RULES, f), 'utf8');
  return text !== JSON.stringify(JSON.parse(text), null, 2) + '\n';
});
test('the other rule tables are canonical too', () => {
  assert.deepEqual(othersNotCanonical, [], 'not canonical (2-space JSON + newline); UPDATE_GOLDEN=1 on this test rewrites them');
});

/** A real-format line that each log pattern must match, and one near-miss it must not. */
const SAMPLES: Record<string, [hit: string, miss: string]> = {
  CONTAINERD_LOG_SHIM_DISCONNECTED: ['time="2026-11-26T11:50:00Z" level=info msg="shim disconnected" id=0123456789abcdef namespace=k8s.io', 'time="2026-11-26T11:50:00Z" level=info msg="shim started" id=0123456789abcdef'],
  CONTAINERD_LOG_TTRPC_CLOSED: ['time="2026-11-26T11:50:00Z" level=error msg="StartContainer for \\"abc\\" failed" error="failed to start containerd task \\"abc\\": ttrpc: closed: unknown"', 'msg="ttrpc: connected"'],
  CONTAINERD_LOG_COLLECTING_METRICS_FAILED: ['time="2026-11-26T11:50:00Z" level=error msg="collecting metrics for 0123456789abcdef0123" error="context deadline exceeded: unknown"', 'msg="collecting metrics"'],
  CONTAINERD_LOG_TOO_MANY_OPEN_FILES: ['time="2026-11-26T11:50:00Z" level=error msg="failed to create containerd task: failed to start shim: open /dev/null: too many open files: unknown"', 'msg="open files: 12"'],
  CONTAINERD_LOG_NAME_RESERVED: ['time="2026-11-26T11:50:00Z" level=error msg="RunPodSandbox failed" error="failed to reserve sandbox name \\"a_b_c_0\\": name \\"a_b_c_0\\" is reserved for \\"0123abcd\\""', 'msg="reserved sandbox name a_b_c_0"'],
  CONTAINERD_LOG_CGROUP_UNEXPECTEDLY_FROZEN: ['time="2026-11-26T11:50:00Z" level=error msg="x" error="runc create failed: container\'s cgroup unexpectedly frozen: unknown"', 'msg="cgroup frozen on purpose"'],
  CONTAINERD_LOG_TASK_CLEANUP_FAILED: ['time="2026-11-26T11:50:00Z" level=error msg="failed to handle container TaskExit event &TaskExit{ContainerID:abc,}" error="failed to stop container: context deadline exceeded"', 'msg="TaskExit event handled"'],
  CONTAINERD_LOG_KILL_WAIT_TIMEOUT: ['time="2026-11-26T11:50:00Z" level=error msg="StopContainer for \\"abc123\\" failed" error="an error occurs during waiting for container \\"abc123\\" to be killed: wait container \\"abc123\\": context deadline exceeded"', 'msg="waiting for container abc123"'],
  CONTAINERD_LOG_START_SHIM_FAILED: ['time="2026-11-26T11:50:00Z" level=error msg="x" error="failed to create containerd task: failed to create shim task: OCI runtime create failed: exec: runc: not found"', 'msg="created containerd task"'],
  CONTAINERD_LOG_CNI_NOT_READY: ['time="2026-11-26T11:50:00Z" level=error msg="failed to load cni during init, please check CRI plugin status before setting up network for pods" error="cni config load failed: no network config found in /etc/cni/net.d: cni plugin not initialized: failed to load cni config"', 'msg="cni config loaded"'],
  CONTAINERD_LOG_SANDBOX_IMAGE_FAILED: ['time="2026-11-26T11:50:00Z" level=error msg="RunPodSandbox for &PodSandboxMetadata{Name:web-0,Uid:u1,Namespace:prod,Attempt:0,} failed, error" error="failed to get sandbox image \\"registry.k8s.io/pause:3.9\\": failed to pull image \\"registry.k8s.io/pause:3.9\\": dial tcp: lookup registry.k8s.io: no such host"', 'msg="sandbox image \\"registry.k8s.io/pause:3.9\\" found"'],
  CONTAINERD_LOG_SANDBOX_TEARDOWN_FAILED: ['time="2026-11-26T11:50:00Z" level=error msg="StopPodSandbox for \\"3d845d04b3231b727ac69545962f3fe81302100cb73fd0db4b5555693ff6c693\\" failed" error="failed to destroy network for sandbox \\"3d845d04b3231b727ac69545962f3fe81302100cb73fd0db4b5555693ff6c693\\": plugin type=\\"calico\\" failed (delete): connection is unauthorized"', 'msg="StopPodSandbox for \\"3d845d04b323\\" returns successfully"'],
  CONTAINERD_LOG_CRI_UNAVAILABLE: ['time="2026-11-26T11:50:00Z" level=warning msg="failed to load plugin io.containerd.grpc.v1.cri" error="invalid plugin config"', 'msg="loading plugin \\"io.containerd.grpc.v1.cri\\"..."'],
  CONTAINERD_LOG_SYSTEMD_CGROUPS_PATH: ['time="2026-11-26T11:50:00Z" level=error msg="x" error="OCI runtime create failed: expected cgroupsPath to be of format \\"slice:prefix:name\\" for systemd cgroups, got \\"/kubepods/burstable/pod1/abc\\" instead: unknown"', 'msg="cgroupsPath ok"'],
  CONTAINERD_LOG_GO_PANIC: ['panic: runtime error: invalid memory address or nil pointer dereference', 'msg="no panic: all good"'],
  CONTAINERD_LOG_STARTED: ['time="2026-11-26T23:00:35.592606819Z" level=info msg="starting containerd" revision="1.6.20~ds1-1+deb12u3" version="1.6.20~ds1"', 'time="2026-11-26T23:00:35.6Z" level=info msg="loading plugin \\"io.containerd.grpc.v1.cri\\"..."'],
  CONTAINERD_LOG_GOROUTINE_DUMP: ['time="2026-11-26T11:50:00Z" level=info msg="goroutine stack dump written to /tmp/containerd.1234.stacks.log"', 'msg="goroutine count 12"'],
  KUBELET_LOG_RUNTIME_DEADLINE_EXCEEDED: ['E1126 11:50:00.000000    1234 remote_runtime.go:343] "StartContainer from runtime service failed" err="rpc error: code = DeadlineExceeded desc = context deadline exceeded" containerID="abc"', 'E1126 11:50:00.000000    1234 remote_runtime.go:343] "StartContainer from runtime service failed" err="rpc error: code = Unknown desc = oops"'],
  KUBELET_LOG_PLEG_UNHEALTHY: ['I1126 11:50:00.000000    1234 kubelet.go:2347] "Skipping pod synchronization" err="PLEG is not healthy: pleg was last seen active 3m5.3s ago; threshold is 3m0s"', 'I1126 11:50:00.000000    1234 kubelet.go:1] "PLEG is healthy"'],
  KUBELET_LOG_NAME_RESERVED: ['E1126 11:50:00.000000    1234 remote_runtime.go:193] "RunPodSandbox from runtime service failed" err="rpc error: code = Unknown desc = failed to reserve sandbox name \\"a_b_c_0\\": name \\"a_b_c_0\\" is reserved for \\"0123abcd\\""', 'E1126 11:50:00.000000    1 a.go:1] "reserved"'],
  KUBELET_LOG_CONTAINER_RUNTIME_FLAG_REMOVED: ['E1126 11:50:00.000000    1234 run.go:74] "command failed" err="failed to parse kubelet flag: unknown flag: --container-runtime"', 'E1126 11:50:00.000000    1234 run.go:74] "command failed" err="failed to parse kubelet flag: unknown flag: --container-runtime-endpoints"'],
  KUBELET_LOG_ENDPOINT_FLAG_DEPRECATED: ['W1126 11:50:00.000000    1234 flags.go:64] Flag --container-runtime-endpoint has been deprecated, This parameter should be set via the config file specified by the Kubelet\'s --config flag.', 'W1126 11:50:00.000000    1234 flags.go:64] Flag --pod-infra-container-image has been deprecated'],
  KUBELET_LOG_RUNTIME_UNREACHABLE: ['W1126 11:50:00.000000    1234 logging.go:59] [core] grpc: addrConn.createTransport failed to connect. Err: connection error: desc = "transport: Error while dialing: dial unix /run/containerd/containerd.sock: connect: connection refused"', 'I1126 11:50:00.000000    1 a.go:1] "dial unix /run/x.sock: ok"'],
  KUBELET_LOG_RUNTIME_UNIMPLEMENTED: ['E1126 11:50:00.000000    1234 remote_runtime.go:1] "Version from runtime service failed" err="rpc error: code = Unimplemented desc = unknown service runtime.v1.RuntimeService"', 'I1126 11:50:00.000000    1 a.go:1] "runtime.v1.RuntimeService ok"'],
  KUBELET_LOG_NETWORK_NOT_READY: ['E1126 11:50:00.000000    1234 kubelet.go:2855] "Container runtime network not ready" networkReady="NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized"', 'I1126 11:50:00.000000    1 a.go:1] "Container runtime network ready"'],
  KUBELET_LOG_KILL_POD_FAILED: ['E1126 11:50:00.000000    1234 kuberuntime_gc.go:176] "Failed to stop sandbox before removing" err="rpc error: code = Unknown desc = failed to destroy network for sandbox \\"3d845d04b323\\": plugin type=\\"multus\\" failed (delete)" sandboxID="3d845d04b323"', 'I1126 11:50:00.000000    1234 kubelet.go:1] "Stopped sandbox" sandboxID="3d845d04b323"'],
  KUBELET_LOG_SANDBOX_RECREATED: ['I1126 11:50:00.000000    1234 kuberuntime_manager.go:1033] "No sandbox for pod can be found. Need to start a new one" pod="default/web-0"', 'I1126 11:50:00.000000    1 a.go:1] "sandbox found"'],
  KUBELET_LOG_SYSTEMD_CGROUPS_PATH: ['E1126 11:50:00.000000    1234 remote_runtime.go:1] "CreateContainer in sandbox from runtime service failed" err="rpc error: code = Unknown desc = failed to create containerd task: failed to create shim task: OCI runtime create failed: expected cgroupsPath to be of format \\"slice:prefix:name\\" for systemd cgroups, got \\"/kubepods/pod1/abc\\" instead: unknown"', 'I1126 11:50:00.000000    1 a.go:1] "cgroupsPath"'],
  KUBELET_LOG_STARTED: ['I1126 11:50:00.000000    1234 server.go:467] "Kubelet version" kubeletVersion="v1.28.4"', 'I1126 11:50:00.000000    1234 server.go:467] "Kubelet version" kubeletVersion="unknown"'],
  KERNEL_OOM_KILLED_RUNTIME: ['Out of memory: Killed process 4242 (containerd-shim) total-vm:712345kB, anon-rss:1234kB', 'Out of memory: Killed process 4242 (java) total-vm:712345kB'],
  KERNEL_OOM_KILL: ['Memory cgroup out of memory: Killed process 777 (nginx) total-vm:1kB', 'oom_control is deprecated and will be removed.'],
  KERNEL_HUNG_TASK: ['INFO: task runc:[2:INIT]:31337 blocked for more than 120 seconds.', 'INFO: task runc:[2:INIT]:31337 is running'],
  KERNEL_FILE_MAX: ['VFS: file-max limit 65536 reached', 'VFS: Mounted root (ext4 filesystem)'],
  KERNEL_SOFT_LOCKUP: ['watchdog: BUG: soft lockup - CPU#1 stuck for 23s! [runc:1234]', 'watchdog: enabled on all CPUs'],
};

const ALL_LOG_RULES: { rules: Rule[]; table: string; put: (s: Snapshot, scan: LogScan) => void }[] = [
  { rules: containerdLogRules, table: 'rules/containerd-log.json', put: (s, scan) => { s.containerd.log = ok('containerd.log', scan); } },
  { rules: kubeletLogRules, table: 'rules/kubelet-log.json', put: (s, scan) => { s.kubeletLog = ok('kubelet.log', scan); } },
  {
    rules: kernelLogRules, table: 'rules/kernel-log.json',
    put: (s, scan) => { s.node = ok('node', { cpus: 2, loadavg: [0, 0, 0], memTotalKb: 1, memAvailableKb: 1, dStateTasks: [], frozenCgroups: [], notes: [], kernelLog: scan }); },
  },
];

test('every log table entry has a sample line, and each sample hits only where it should', () => {
  for (const { rules, table, put } of ALL_LOG_RULES) {
    const t = SHIPPED_LOG_TABLES[table]();
    for (const rule of rules) {
      const sample = SAMPLES[rule.id];
      assert.ok(sample, `${rule.id} has no sample line in this test`);
      const [hitLine, missLine] = sample;
      const hit = emptySnapshot(); // collected at 2026-11-26T12:00:00Z
      put(hit, scanText(hitLine, t, 'file:/var/log/x.log', { refMs: Date.parse('2026-11-26T12:00:00Z') }));
      const f = evaluate([rule], hit)[0];
      assert.equal(f.status, 'fail', `${rule.id} should hit: ${hitLine}`);
      assert.match(f.evidence.join('\n'), /1 matching line/, rule.id);
      assert.equal(f.subject?.path, '/var/log/x.log');
      const miss = emptySnapshot();
      put(miss, scanText(missLine, t, 'file:/var/log/x.log'));
      assert.equal(evaluate([rule], miss)[0].status, 'pass', `${rule.id} should not hit: ${missLine}`);
    }
  }
});

test('a log rule on a failed or skipped probe is "could not check" / skipped, never pass', () => {
  const s = emptySnapshot();
  s.containerd.log = failed('containerd.log', 'timeout', 'read /var/log/containerd.log: no answer within 3s');
  assert.equal(evaluate([containerdLogRules[0]], s)[0].status, 'error');
  s.containerd.log = failed('containerd.log', 'skipped', 'journalctl not found');
  assert.equal(evaluate([containerdLogRules[0]], s)[0].status, 'skipped');
});

test('many episodes: the newest five become hits, the rest are counted', () => {
  const t = compileLogTable({ rules: [{ id: 'T_X', pattern: 'boom', layer: 'node', severity: 'warning', title: 't', explanation: 'e', nextStep: 'n', references: [] }] }, 't.json');
  const lines = Array.from({ length: 8 }, (_, i) => `time="2026-11-26T${String(i + 2).padStart(2, '0')}:00:00Z" boom`).join('\n');
  const [rule] = rulesFromLogTable(t, (s: Snapshot) => s.containerd.log, 'log');
  const s = emptySnapshot();
  s.containerd.log = ok('containerd.log', scanText(lines, t, 'journald:containerd'));
  const f = evaluate([rule], s);
  assert.equal(f.length, 5);
  assert.match(f[0].summary, /2026-11-26T09:00:00.000Z.*3 earlier episode\(s\) not shown/);
  // 09:00 is 3h before 12:00: past, one step lighter
  assert.equal(f[0].severity, 'info');
});
