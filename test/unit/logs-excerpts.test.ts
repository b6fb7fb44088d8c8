// Log lines as people pasted them into issue threads (the lines' text and framing are facts
// quoted from each thread named): journald prefixes, kubelet inside k3s, klog and logrus with
// unescaped quotes. Each excerpt raises exactly the rules written beside it, and a silent one
// raises none.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containerdLogTable, kubeletLogTable, scanText, type LogTable } from '../../src/sources/logs/index.ts';

interface Excerpt {
  from: string;
  lines: string[];
  /** the pattern ids it must raise, and only those */
  raises: string[];
}

const KUBELET: Excerpt[] = [
  {
    from: 'https://github.com/k3s-io/k3s/issues/2370',
    lines: ['Oct  8 16:39:44 worker9 k3s[1636]: E1008 16:35:09.530776    1636 remote_runtime.go:295] ContainerStatus "127f2f8567b0680dffea820ff404f50b2566085b3c47d1452c249586ed212a5b" from runtime service failed: rpc error: code = DeadlineExceeded desc = context deadline exceeded'],
    raises: ['KUBELET_LOG_RUNTIME_DEADLINE_EXCEEDED'],
  },
  {
    from: 'https://github.com/k3s-io/k3s/issues/478',
    lines: [
      'Jun 20 19:15:58 cubi002 k3s[9214]: time="2019-06-20T19:15:58.878185278Z" level=debug msg="FIXME: Got an status-code for which error does not match any expected type!!!: -1" module=api status_code=-1',
      'Jun 20 19:15:59 cubi002 k3s[9214]: E0620 19:15:59.630212    9214 remote_runtime.go:186] ListPodSandbox with filter nil from runtime service failed: rpc error: code = DeadlineExceeded desc = context deadline exceeded',
    ],
    raises: ['KUBELET_LOG_RUNTIME_DEADLINE_EXCEEDED'],
  },
  {
    from: 'https://github.com/k3s-io/k3s/issues/497',
    lines: ['May 27 17:03:52 k3s-node02.lab k3s[6528]: E0527 17:03:52.178685    6528 remote_runtime.go:109] RunPodSandbox from runtime service failed: rpc error: code = DeadlineExceeded desc = context deadline exceeded'],
    raises: ['KUBELET_LOG_RUNTIME_DEADLINE_EXCEEDED'],
  },
  {
    from: 'https://github.com/containerd/containerd/issues/7790',
    lines: [
      'E1126 17:31:49.900799    2098 remote_runtime.go:144] "StopPodSandbox from runtime service failed" err="rpc error: code = DeadlineExceeded desc = context deadline exceeded" podSandboxID="30d52e4fb7a0ec8f5e96bb888c5ae9119999830e85c114ca5999394f4fc7c112"',
      'E1126 17:31:49.900851    2098 kuberuntime_gc.go:176] "Failed to stop sandbox before removing" err="rpc error: code = DeadlineExceeded desc = context deadline exceeded" sandboxID="30d52e4fb7a0ec8f5e96bb888c5ae9119999830e85c114ca5999394f4fc7c112"',
    ],
    raises: ['KUBELET_LOG_RUNTIME_DEADLINE_EXCEEDED', 'KUBELET_LOG_KILL_POD_FAILED'],
  },
  {
    from: 'https://github.com/cri-o/cri-o/issues/1228',
    lines: ['E1215 02:47:39.547911    1941 remote_runtime.go:169] ListPodSandbox with filter nil from runtime service failed: rpc error: code = DeadlineExceeded desc = context deadline exceeded'],
    raises: ['KUBELET_LOG_RUNTIME_DEADLINE_EXCEEDED'],
  },
  {
    from: 'https://github.com/kubernetes/kubelet/issues/22',
    lines: [
      'Dec 28 07:24:39 node01 kubelet[6272]: I1228 07:24:39.345198    6272 kuberuntime_manager.go:216] Container runtime cri-o initialized, version: 1.20.0, apiVersion: v1alpha1',
      'Dec 28 07:24:45 node01 kubelet[6272]: I1228 07:24:45.640141    6272 server.go:1176] Started kubelet',
    ],
    raises: [],
  },
  {
    // a kubelet excerpt of a syslog file that also holds docker's lines (coreos-kubernetes#440)
    from: 'https://github.com/coreos/coreos-kubernetes/issues/440',
    lines: [
      'Apr 27 20:19:50 ip-10-0-0-50.ec2.internal dockerd[1044]: time="2016-04-27T20:19:50.549352470Z" level=error msg="error locating sandbox id 048aefc41896114f62c0850fc6fb92e930caa59a2c9cf3d34f8345ae96ae9aab: sandbox 048aefc41896114f62c0850fc6fb92e930caa59a2c9cf3d34f8345ae96ae9aab not found"',
      'Apr 27 20:19:50 ip-10-0-0-50.ec2.internal systemd[1]: Stopped docker container 8a76ee16e463f94836c727a93d47fc327141b5bd6aad724e5cfbb4c9308b7c12.',
    ],
    raises: [],
  },
];

const CONTAINERD: Excerpt[] = [
  {
    from: 'https://github.com/moby/moby/issues/41397',
    lines: [
      'Aug 29 08:38:21 gitlab-101.dl.zxz.su containerd[7071]: time="2020-08-29T08:38:21.573428725+03:00" level=info msg="loading plugin "io.containerd.grpc.v1.snapshots"..." type=io.containerd.grpc.v1',
      'Aug 29 08:38:21 gitlab-101.dl.zxz.su containerd[7071]: time="2020-08-29T08:38:21.573682112+03:00" level=info msg="containerd successfully booted in 0.002336s"',
      'Aug 29 08:38:56 gitlab-101.dl.zxz.su containerd[7071]: runtime: goroutine stack exceeds 1000000000-byte limit',
      'Aug 29 08:38:56 gitlab-101.dl.zxz.su containerd[7071]: fatal error: stack overflow',
    ],
    raises: ['CONTAINERD_LOG_GO_PANIC'],
  },
  {
    from: 'https://github.com/containerd/containerd/issues/1813',
    lines: ['Nov 27 23:43:11 bootstrap-e2e-minion-group-cb9b containerd[1123]: time="2017-11-27T23:43:11Z" level=error msg="converting task to protobuf" error="context deadline exceeded: unknown" id=c22c6341329ea5c2595774f2a46999f71980303d1d70d81582c3a3994f0ff75a module="containerd/tasks"'],
    raises: [],
  },
  {
    from: 'https://github.com/containerd/cri/issues/1014',
    lines: ['Jan 02 17:13:12 node1 containerd[80463]: time="2019-01-02T17:13:12.985130588Z" level=info msg="loading plugin "io.containerd.grpc.v1.diff"..." type=io.containerd.grpc.v1'],
    raises: [],
  },
  {
    from: 'https://github.com/containerd/containerd/issues/4161',
    lines: [
      'Mar 21 05:33:39 mgt13 containerd[1076]: goroutine 18 [syscall]:',
      'Mar 21 05:33:39 mgt13 containerd[1076]: runtime.notetsleepg(0x55a56916f520, 0x2e8f33616, 0x0)',
    ],
    raises: [],
  },
];

function raised(table: LogTable, e: Excerpt): string[] {
  return [...new Set(scanText(e.lines.join('\n'), table, e.from, { refMs: Date.UTC(2026, 11, 3) }).episodes.map((x) => x.pattern))].sort();
}

test('kubelet excerpts from issue threads (journald prefixes, kubelet inside k3s, a syslog shared with docker)', () => {
  for (const e of KUBELET) assert.deepEqual(raised(kubeletLogTable(), e), [...e.raises].sort(), e.from);
});

test('containerd excerpts from issue threads (journald prefixes, unescaped quotes in msg, a crash)', () => {
  for (const e of CONTAINERD) assert.deepEqual(raised(containerdLogTable(), e), [...e.raises].sort(), e.from);
});
