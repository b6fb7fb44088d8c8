// A kubelet STAND-IN. kubelet itself cannot run here (no API server, no node registration), so
// this fault starts a long-running process named `kubelet` whose command line carries real
// kubelet flags, next to a real KubeletConfiguration, a kubeadm-flags.env and a kubelet log in
// klog format with real kubelet lines. It never talks to CRI: it is evidence, not a kubelet.
// Variants: ok (matches the lab; its log says only that it started), wrong-endpoint (a socket that is not containerd's),
// removed-flag (`--container-runtime=remote` on a 1.27+ kubelet), cgroup-driver (systemd while
// containerd's runc runtime has SystemdCgroup=false).
import { mkdirSync, writeFileSync, chmodSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CtrdocError } from '../../errors.ts';
import { askSupervisor } from '../supervisor.ts';
import { criEndpoint, type LabPaths } from '../paths.ts';
import { PAUSE_IMAGE } from '../images.ts';
import type { FaultContext, FaultRecord } from './context.ts';

export const KUBELET_VARIANTS = ['ok', 'wrong-endpoint', 'removed-flag', 'cgroup-driver'] as const;
export type KubeletVariant = (typeof KUBELET_VARIANTS)[number];
export const STANDIN_VERSION = 'v1.28.4';

export function kubeletPaths(p: LabPaths) {
  const d = p.kubelet;
  return { dir: d, bin: join(d, 'bin', 'kubelet'), config: join(d, 'config.yaml'), flagsEnv: join(d, 'kubeadm-flags.env'), log: join(d, 'kubelet.log') };
}

const STANDIN_SCRIPT = `#!/bin/sh
# ctrdoc lab: a kubelet STAND-IN. Real kubelet cannot run on this machine; this process only
# carries kubelet's command line (for ctrdoc to read) and sleeps. It never talks to CRI.
if [ "$1" = "--version" ]; then echo "Kubernetes ${STANDIN_VERSION}"; exit 0; fi
# the sleep goes with it: a shell's trap does not end its children
trap 'kill $! 2>/dev/null; exit 0' TERM INT
while :; do sleep 3600 & wait $!; done
`;

/** klog header: Lmmdd hh:mm:ss.uuuuuu threadid file:line] msg */
function klog(level: 'I' | 'W' | 'E', at: Date, file: string, msg: string, tid = 2817): string {
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${level}${pad(at.getUTCMonth() + 1)}${pad(at.getUTCDate())} ${pad(at.getUTCHours())}:${pad(at.getUTCMinutes())}:${pad(at.getUTCSeconds())}.${pad(at.getUTCMilliseconds() * 1000 + 123, 6)} ${String(tid).padStart(7)} ${file}] ${msg}`;
}

/** Real kubelet log lines (texts from kubelet 1.2x): its start, then (but for `ok`) about a pod whose sandbox and start hang. */
export function kubeletLogLines(now: Date, o: { endpoint: string; pod: string; namespace: string; uid: string; sandboxId: string; containerId: string; variant: KubeletVariant }): string[] {
  const t = (minAgo: number) => new Date(now.getTime() - minAgo * 60_000);
  const sandboxName = `${o.pod}_${o.namespace}_${o.uid}_0`;
  const dl = 'rpc error: code = DeadlineExceeded desc = context deadline exceeded';
  const lines = [
    klog('I', t(30), 'server.go:467', `"Kubelet version" kubeletVersion="${STANDIN_VERSION}"`),
    klog('I', t(30), 'server.go:895', `"Client rotation is on, will bootstrap in background"`),
  ];
  // a healthy stand-in's log is a healthy kubelet's: it started, and nothing went wrong since
  if (o.variant === 'ok') return lines;
  if (o.variant === 'removed-flag') {
    lines.push(klog('E', t(29), 'run.go:74', `"command failed" err="failed to parse kubelet flag: unknown flag: --container-runtime"`));
  }
  if (o.variant === 'wrong-endpoint') {
    lines.push(klog('W', t(29), 'logging.go:59', `[core] [Channel #1 SubChannel #2] grpc: addrConn.createTransport failed to connect to {Addr: "${o.endpoint.replace(/^unix:\/\//, '')}", ServerName: "%2F${o.endpoint.replace(/^unix:\/\/\//, '').replace(/\//g, '%2F')}", }. Err: connection error: desc = "transport: Error while dialing: dial unix ${o.endpoint.replace(/^unix:\/\//, '')}: connect: no such file or directory"`));
    lines.push(klog('E', t(29), 'run.go:74', `"command failed" err="failed to run Kubelet: validate service connection: validate CRI v1 runtime API for endpoint \\"${o.endpoint}\\": rpc error: code = Unavailable desc = connection error: desc = \\"transport: Error while dialing: dial unix ${o.endpoint.replace(/^unix:\/\//, '')}: connect: no such file or directory\\""`));
  }
  if (o.variant === 'cgroup-driver') {
    lines.push(klog('I', t(29), 'server.go:725', `"--cgroups-per-qos enabled, but --cgroup-root was not specified.  defaulting to /"`));
    lines.push(klog('I', t(29), 'container_manager_linux.go:270', `"Creating Container Manager object based on Node Config" nodeConfig={"CgroupDriver":"systemd","CgroupRoot":"/","CgroupsPerQOS":true}`));
  }
  lines.push(
    klog('E', t(20), 'remote_runtime.go:193', `"RunPodSandbox from runtime service failed" err="${dl}"`),
    klog('E', t(20), 'kuberuntime_sandbox.go:72', `"Failed to create sandbox for pod" err="${dl}" pod="${o.namespace}/${o.pod}"`),
    klog('E', t(20), 'kuberuntime_manager.go:1166', `"CreatePodSandbox for pod failed" err="${dl}" pod="${o.namespace}/${o.pod}"`),
    klog('E', t(20), 'pod_workers.go:1300', `"Error syncing pod, skipping" err="failed to \\"CreatePodSandbox\\" for \\"${o.pod}_${o.namespace}(${o.uid})\\" with CreatePodSandboxError: \\"Failed to create sandbox for pod \\\\\\"${o.pod}_${o.namespace}(${o.uid})\\\\\\": ${dl}\\"" pod="${o.namespace}/${o.pod}" podUID="${o.uid}"`),
    klog('E', t(19), 'remote_runtime.go:193', `"RunPodSandbox from runtime service failed" err="rpc error: code = Unknown desc = failed to reserve sandbox name \\"${sandboxName}\\": name \\"${sandboxName}\\" is reserved for \\"${o.sandboxId}\\""`),
    klog('E', t(19), 'kuberuntime_sandbox.go:72', `"Failed to create sandbox for pod" err="rpc error: code = Unknown desc = failed to reserve sandbox name \\"${sandboxName}\\": name \\"${sandboxName}\\" is reserved for \\"${o.sandboxId}\\"" pod="${o.namespace}/${o.pod}"`),
    klog('E', t(12), 'remote_runtime.go:343', `"StartContainer from runtime service failed" err="${dl}" containerID="${o.containerId}"`),
    klog('E', t(12), 'kuberuntime_manager.go:1256', `"Unhandled Error" err="container &Container{Name:app,Image:${'ctrdoc.local/lab/app:1'},} start failed in pod ${o.pod}_${o.namespace}(${o.uid}): RunContainerError: ${dl}"`),
    klog('I', t(6), 'kubelet.go:2347', `"Skipping pod synchronization" err="PLEG is not healthy: pleg was last seen active 3m5.30015447s ago; threshold is 3m0s"`),
    klog('I', t(5), 'kubelet.go:2347', `"Skipping pod synchronization" err="PLEG is not healthy: pleg was last seen active 4m5.81236657s ago; threshold is 3m0s"`),
    klog('E', t(2), 'remote_runtime.go:343', `"StartContainer from runtime service failed" err="${dl}" containerID="${o.containerId}"`),
  );
  return lines;
}

export async function applyKubelet(ctx: FaultContext, o: { variant?: string }): Promise<FaultRecord['details']> {
  const variant = (o.variant ?? 'ok') as KubeletVariant;
  if (!KUBELET_VARIANTS.includes(variant)) throw new CtrdocError('invalid-argument', `kubelet variant "${o.variant}"`, `use one of ${KUBELET_VARIANTS.join(', ')}`);
  const k = kubeletPaths(ctx.p);
  mkdirSync(join(k.dir, 'bin'), { recursive: true });
  writeFileSync(k.bin, STANDIN_SCRIPT);
  chmodSync(k.bin, 0o755);
  const endpoint = variant === 'wrong-endpoint' ? `unix://${join(k.dir, 'crio.sock')}` : criEndpoint(ctx.p);
  const cgroupDriver = variant === 'cgroup-driver' ? 'systemd' : 'cgroupfs';
  writeFileSync(k.config, [
    '# ctrdoc lab kubelet stand-in: a real KubeletConfiguration (kubelet itself cannot run here)',
    'apiVersion: kubelet.config.k8s.io/v1beta1',
    'kind: KubeletConfiguration',
    `cgroupDriver: ${cgroupDriver}`,
    `containerRuntimeEndpoint: ${endpoint}`,
    'runtimeRequestTimeout: 2m0s',
    'clusterDNS:', '- 10.96.0.10', 'clusterDomain: cluster.local',
    'authentication:', '  anonymous:', '    enabled: false', '  webhook:', '    enabled: true',
    'healthzBindAddress: 127.0.0.1', 'healthzPort: 10248',
    `staticPodPath: ${join(k.dir, 'manifests')}`,
    'evictionHard:', '  memory.available: 100Mi', '  nodefs.available: 10%',
    '',
  ].join('\n'));
  const flags = [
    `--container-runtime-endpoint=${endpoint}`,
    `--pod-infra-container-image=${PAUSE_IMAGE}`,
    ...(variant === 'removed-flag' ? ['--container-runtime=remote'] : []),
  ];
  writeFileSync(k.flagsEnv, `KUBELET_KUBEADM_ARGS="${flags.join(' ')}"\n`);
  const argv = [k.bin, '--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf', '--kubeconfig=/etc/kubernetes/kubelet.conf', `--config=${k.config}`, ...flags];
  // the log: real lines about a real lab pod where one exists
  const pods = await ctx.cri().listPodSandbox().catch(() => []);
  const pod = pods[0];
  const ctrs = pod ? await ctx.cri().listContainers({ podSandboxId: pod.id }).catch(() => []) : [];
  writeFileSync(k.log, kubeletLogLines(new Date(), {
    endpoint, variant,
    pod: pod?.metadata.name ?? 'web-6d9f7c5b8-x2k4p', namespace: pod?.metadata.namespace ?? 'ctrdoc-lab', uid: pod?.metadata.uid ?? '00000000-0000-4000-8000-000000000000',
    sandboxId: pod?.id ?? 'f'.repeat(64), containerId: ctrs[0]?.id ?? 'e'.repeat(64),
  }).join('\n') + '\n');
  const { pid } = await askSupervisor(ctx.p, { op: 'spawn', name: 'kubelet', argv, log: join(k.dir, 'stand-in.out') });
  return { variant, pid, standIn: true, argv, ...k, endpoint, cgroupDriver, note: 'a stand-in: kubelet cannot run here; the process carries kubelet flags and sleeps' };
}

export async function clearKubelet(ctx: FaultContext): Promise<void> {
  await askSupervisor(ctx.p, { op: 'stop-helper', name: 'kubelet' }).catch((e) => ctx.log(e.message));
  rmSync(ctx.p.kubelet, { recursive: true, force: true });
}
