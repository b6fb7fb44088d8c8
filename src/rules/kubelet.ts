// The kubelet layer: where kubelet sends its CRI calls, whether that socket answers and is the
// containerd we inspect, flags a kubelet version refuses, the cgroup driver against containerd's
// SystemdCgroup, the request timeout, and the kubelet log table. No kubelet here is "skipped",
// never a failure: ctrdoc also runs on nodes without one.
import type { KubeletView, Snapshot } from '../snapshot/types/index.ts';
import { kubeletLogTable } from '../sources/logs/tables.ts';
import { versionAtLeast } from '../sources/kubelet/flags.ts';
import { socketPathOf } from '../sources/protocol/endpoint.ts';
import { maybe, need, ProbeMissing, type Rule } from './rule.ts';
import { rulesFromLogTable } from './logs.ts';
import { runningConfigFacts } from './running-config.ts';

/** kubelet's view, or skipped when this node has no kubelet at all. */
function kubeletOf(s: Snapshot): KubeletView {
  const k = need(s.kubelet, 'kubelet');
  if (k.pid === undefined && !Object.keys(k.flags).length && !k.config) throw new ProbeMissing('skipped', 'no kubelet process on this node');
  return k;
}

/** The version from the kubelet source, else the newest "Kubelet version" line of its log. */
export function kubeletVersionOf(s: Snapshot): { version?: string; source: string } {
  const k = maybe(s.kubelet);
  if (k?.version) return { version: k.version, source: k.versionSource ?? 'kubelet source' };
  const ep = maybe(s.kubeletLog)?.episodes.filter((e) => e.pattern === 'KUBELET_LOG_STARTED').at(-1);
  const v = ep?.captures.version?.at(-1);
  return v ? { version: v, source: 'kubelet log' } : { source: 'unknown' };
}

function where(k: KubeletView, flag: string): string {
  return k.flagSources[flag] === 'argv' ? `the running kubelet's command line (pid ${k.pid})` : k.flagSources[flag] ?? 'the files';
}

function socketOf(endpoint: string | undefined): string | undefined {
  if (!endpoint) return undefined;
  try {
    // /var/run is a symlink to /run on every current distribution
    return socketPathOf(endpoint).replace(/^\/var\/run\//, '/run/');
  } catch {
    return undefined;
  }
}

const endpointRule: Rule = {
  id: 'KUBELET_RUNTIME_ENDPOINT',
  layer: 'kubelet',
  severity: 'critical',
  title: 'kubelet\'s runtime endpoint does not reach the containerd on this node',
  explanation: 'kubelet sends every CRI call to its runtime endpoint (--container-runtime-endpoint, or containerRuntimeEndpoint in the config file from 1.27). If that socket does not answer CRI, or is another runtime\'s socket, kubelet cannot run pods here whatever state containerd is in.',
  nextStep: 'grep -R container-runtime-endpoint /var/lib/kubelet/kubeadm-flags.env /etc/default/kubelet /etc/systemd/system/kubelet.service.d/ ; grep containerRuntimeEndpoint /var/lib/kubelet/config.yaml ; crictl --runtime-endpoint <endpoint> version',
  references: ['https://github.com/kubernetes/kubernetes/issues/118787', 'https://github.com/kubernetes/kubernetes/pull/112136'],
  check(s) {
    const k = kubeletOf(s);
    if (!k.runtimeEndpoint || !k.endpointCheck) return { skipped: 'kubelet\'s runtime endpoint was not checked' };
    const evidence = [
      `runtime endpoint: ${k.runtimeEndpoint} (from ${k.runtimeEndpointSource === 'flag' ? `--container-runtime-endpoint in ${where(k, 'container-runtime-endpoint')}` : k.runtimeEndpointSource === 'config' ? `containerRuntimeEndpoint in ${k.configPath}` : 'kubelet\'s default'})`,
      `containerd inspected: ${s.stack.runtimeEndpoint}`,
    ];
    const subject = { pid: k.pid, path: socketOf(k.runtimeEndpoint) };
    if (!k.endpointCheck.ok) {
      return { hits: [{ summary: `kubelet's runtime endpoint ${k.runtimeEndpoint} does not answer CRI: ${k.endpointCheck.error ?? 'no answer'}`, subject, evidence: [...evidence, `CRI Version: ${k.endpointCheck.error}`] }] };
    }
    const mine = socketOf(s.stack.runtimeEndpoint) ?? socketOf(s.stack.address);
    const theirs = socketOf(k.runtimeEndpoint);
    if (mine && theirs && mine !== theirs) {
      return {
        hits: [{
          summary: `kubelet talks to ${k.runtimeEndpoint} (${k.endpointCheck.runtimeName ?? '?'} ${k.endpointCheck.runtimeVersion ?? ''}), not to the containerd at ${s.stack.runtimeEndpoint}`.trim(),
          subject,
          evidence: [...evidence, `CRI Version on kubelet's endpoint: ${k.endpointCheck.runtimeName} ${k.endpointCheck.runtimeVersion}`],
        }],
      };
    }
    return { hits: [] };
  },
};

const containerRuntimeFlagRule: Rule = {
  id: 'KUBELET_CONTAINER_RUNTIME_FLAG',
  layer: 'kubelet',
  severity: 'critical',
  title: 'kubelet has --container-runtime, removed in 1.27',
  explanation: '--container-runtime was deprecated in 1.24 (only "remote" was left) and removed in 1.27: a 1.27+ kubelet exits at start with "failed to parse kubelet flag: unknown flag: --container-runtime". It usually survives in an old kubeadm-flags.env through an upgrade.',
  nextStep: 'remove --container-runtime from the file named in the evidence, then systemctl restart kubelet',
  references: ['https://github.com/kubernetes/minikube/issues/16112', 'https://github.com/kubernetes/kubernetes/pull/114017', 'https://github.com/kubernetes/minikube/pull/16124'],
  check(s) {
    const k = kubeletOf(s);
    const value = k.flags['container-runtime'];
    if (value === undefined) return { hits: [] };
    const { version, source } = kubeletVersionOf(s);
    const ge127 = versionAtLeast(version, 1, 27);
    const evidence = [`--container-runtime=${value} in ${where(k, 'container-runtime')}`, `kubelet version: ${version ?? 'unknown'} (${source})`];
    const subject = { pid: k.pid, path: k.flagSources['container-runtime'] !== 'argv' ? k.flagSources['container-runtime'] : undefined };
    if (ge127 === true) return { hits: [{ summary: `kubelet ${version} does not know --container-runtime and refuses to start`, severity: 'critical', subject, evidence }] };
    if (value !== 'remote') return { hits: [{ summary: `--container-runtime=${value}: only "remote" reaches containerd (dockershim is gone)`, severity: 'critical', subject, evidence }] };
    if (ge127 === false) return { hits: [{ summary: `--container-runtime=remote is deprecated and must go before kubelet is upgraded to 1.27`, severity: 'info', subject, evidence }] };
    return { hits: [{ summary: '--container-runtime=remote is set and the kubelet version is unknown: a 1.27+ kubelet will not start with it', severity: 'warning', subject, evidence }] };
  },
};

const cgroupDriverRule: Rule = {
  id: 'KUBELET_CGROUP_DRIVER_MISMATCH',
  layer: 'kubelet',
  severity: 'critical',
  title: 'kubelet\'s cgroupDriver does not match containerd\'s SystemdCgroup',
  explanation: 'kubelet and the runtime must manage cgroups the same way: cgroupDriver "systemd" with SystemdCgroup = true in containerd\'s runc options, "cgroupfs" with false. A mismatch gives pods that are periodically restarted (SandboxChanged) or containers that fail with "expected cgroupsPath to be of format slice:prefix:name".',
  nextStep: 'make them agree: set cgroupDriver in the KubeletConfiguration (systemd is the recommended one on systemd hosts) and SystemdCgroup in the options of the runc runtime of containerd (containerd.runtimes.runc.options under the CRI plugin table: its runtime half on 2.x), then restart containerd and kubelet',
  references: ['https://github.com/containerd/containerd/issues/7276', 'https://github.com/kubernetes/kubernetes/issues/110177', 'https://github.com/containerd/containerd/issues/4857'],
  check(s) {
    const k = kubeletOf(s);
    // what containerd runs with beats what its file says (an edit waits for a restart)
    const running = runningConfigFacts(maybe(s.cri.status)?.info)?.systemdCgroup;
    const fileValue = running === undefined ? need(s.containerd.config, 'containerd config').facts.systemdCgroup : undefined;
    const driver = k.cgroupDriver ?? 'cgroupfs';
    const systemd = running ?? fileValue ?? false;
    if ((driver === 'systemd') === systemd) return { hits: [] };
    return {
      hits: [{
        summary: `kubelet uses cgroupDriver ${driver} but containerd's runc runtime has SystemdCgroup = ${systemd}`,
        subject: { pid: k.pid, path: k.configPath },
        evidence: [
          `kubelet cgroupDriver: ${driver} (from ${k.cgroupDriverSource === 'flag' ? `--cgroup-driver in ${where(k, 'cgroup-driver')}` : k.cgroupDriverSource === 'config' ? k.configPath : 'the default, cgroupfs'})`,
          running !== undefined
            ? `containerd SystemdCgroup: ${running} (the running CRI plugin's config)`
            : `containerd SystemdCgroup: ${fileValue === undefined ? 'not set (default false)' : fileValue} (the config file)`,
        ],
      }],
    };
  },
};

/** Go duration ("2m0s", "90s", "1h") → ms, undefined when not one. */
export function goDurationMs(text: string): number | undefined {
  if (!/^(?:\d+(?:\.\d+)?(?:h|m|s|ms|us|µs|ns))+$/.test(text)) return undefined;
  const unit: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, 'µs': 0.001, ns: 0.000001 };
  let ms = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/g)) ms += Number(m[1]) * unit[m[2]];
  return ms;
}

const requestTimeoutRule: Rule = {
  id: 'KUBELET_RUNTIME_REQUEST_TIMEOUT',
  layer: 'kubelet',
  severity: 'info',
  title: 'kubelet\'s runtimeRequestTimeout is not the default 2m',
  explanation: 'Every CRI call kubelet makes ends at runtimeRequestTimeout (sandbox calls at twice that; ExecSync at the probe timeout + 2m). Shorter, and slow-but-healthy creates (image unpack, CNI) end in DeadlineExceeded and kubelet\'s retries collide with "failed to reserve sandbox name"; much longer, and a hung runtime shows up late.',
  nextStep: 'set runtimeRequestTimeout: 2m0s in the KubeletConfiguration unless there is a reason',
  references: ['https://github.com/containerd/containerd/issues/9568', 'https://github.com/containerd/containerd/issues/4604'],
  check(s) {
    const k = kubeletOf(s);
    const text = k.flags['runtime-request-timeout'] ?? k.config?.runtimeRequestTimeout;
    if (!text) return { hits: [] };
    const ms = goDurationMs(text);
    const evidence = [`runtimeRequestTimeout: ${text} (${k.flags['runtime-request-timeout'] ? `--runtime-request-timeout in ${where(k, 'runtime-request-timeout')}` : k.configPath})`];
    if (ms === undefined) return { hits: [{ summary: `runtimeRequestTimeout "${text}" is not a duration kubelet accepts`, severity: 'warning', evidence }] };
    if (ms < 120_000) return { hits: [{ summary: `runtimeRequestTimeout is ${text}, shorter than the 2m default: slow creates will end in DeadlineExceeded and name-reservation retries`, severity: 'warning', evidence }] };
    if (ms > 15 * 60_000) return { hits: [{ summary: `runtimeRequestTimeout is ${text}: a hung runtime takes that long to show in kubelet's log`, evidence }] };
    return { hits: [] };
  },
};

const configFileRule: Rule = {
  id: 'KUBELET_CONFIG_UNREADABLE',
  layer: 'kubelet',
  severity: 'warning',
  title: 'kubelet\'s --config file is missing or not a KubeletConfiguration',
  explanation: 'kubelet reads its KubeletConfiguration at start; a missing or broken file stops the next start (a running kubelet keeps what it read).',
  nextStep: 'ls -l <the file> ; check it is YAML with kind: KubeletConfiguration (kubeadm writes /var/lib/kubelet/config.yaml)',
  references: [],
  check(s) {
    const k = kubeletOf(s);
    if (!k.configPath) return { hits: [] };
    const f = k.files.find((x) => x.path === k.configPath);
    if (!f || (f.present && !f.error)) return { hits: [] };
    const why = f.error ?? 'it does not exist';
    return { hits: [{ summary: `kubelet's config file ${k.configPath}: ${why}`, subject: { path: k.configPath, pid: k.pid }, evidence: [`--config=${k.configPath}`, `file: ${why}`] }] };
  },
};

export const kubeletLogRules: Rule[] = rulesFromLogTable(kubeletLogTable(), (s) => s.kubeletLog, 'the kubelet log');

export const kubeletRules: Rule[] = [endpointRule, containerRuntimeFlagRule, cgroupDriverRule, requestTimeoutRule, configFileRule, ...kubeletLogRules];

