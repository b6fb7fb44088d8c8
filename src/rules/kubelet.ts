// The kubelet layer: where kubelet sends its CRI calls, whether that socket answers and is the
// containerd we inspect, flags a kubelet version refuses, the cgroup driver against containerd's
// SystemdCgroup, the request timeout, and the kubelet log table. No kubelet here is "skipped",
// never a failure: ctrdoc also runs on nodes without one.
import type { KubeletView, Snapshot } from '../snapshot/types/index.ts';
import { versionAtLeast } from '../sources/kubelet/flags.ts';
import { socketPathOf } from '../sources/protocol/endpoint.ts';
import { defineRules, maybe, need, numberParam, ProbeMissing, type Rule, type RuleCode } from './rule.ts';
import { rulesFromLogTable } from './logs.ts';
import { kubeletLogRuleTable, kubeletTable } from './tables.ts';
import { runningConfigFacts } from './running-config.ts';

/** kubelet's view, or skipped when this node has no kubelet at all. */
function kubeletOf(s: Snapshot): KubeletView {
  const k = need(s.kubelet, 'kubelet');
  if (k.notChosen) throw new ProbeMissing('skipped', k.notChosen.why);
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

const endpointRule: RuleCode = {
  id: 'KUBELET_RUNTIME_ENDPOINT',
  check(s) {
    const k = kubeletOf(s);
    if (!k.runtimeEndpoint || !k.endpointCheck) return { skipped: 'kubelet\'s runtime endpoint was not checked' };
    const evidence = [
      `runtime endpoint: ${k.runtimeEndpoint} (from ${k.runtimeEndpointSource === 'flag' ? `--container-runtime-endpoint in ${where(k, 'container-runtime-endpoint')}` : k.runtimeEndpointSource === 'config' ? `containerRuntimeEndpoint in ${k.configPath}` : 'kubelet\'s default'})`,
      `containerd inspected: ${s.stack.runtimeEndpoint}`,
    ];
    const subject = { pid: k.pid, path: socketOf(k.runtimeEndpoint) };
    const vars = { endpoint: k.runtimeEndpoint };
    if (!k.endpointCheck.ok) {
      return { hits: [{ summary: `kubelet's runtime endpoint ${k.runtimeEndpoint} does not answer CRI: ${k.endpointCheck.error ?? 'no answer'}`, subject, evidence: [...evidence, `CRI Version: ${k.endpointCheck.error}`], vars }] };
    }
    const mine = socketOf(s.stack.runtimeEndpoint) ?? socketOf(s.stack.address);
    const theirs = socketOf(k.runtimeEndpoint);
    if (mine && theirs && mine !== theirs) {
      return {
        hits: [{
          summary: `kubelet talks to ${k.runtimeEndpoint} (${k.endpointCheck.runtimeName ?? '?'} ${k.endpointCheck.runtimeVersion ?? ''}), not to the containerd at ${s.stack.runtimeEndpoint}`.trim(),
          subject,
          evidence: [...evidence, `CRI Version on kubelet's endpoint: ${k.endpointCheck.runtimeName} ${k.endpointCheck.runtimeVersion}`],
          vars,
        }],
      };
    }
    return { hits: [] };
  },
};

const containerRuntimeFlagRule: RuleCode = {
  id: 'KUBELET_CONTAINER_RUNTIME_FLAG',
  // the kubelet 1.x minor that no longer knows the flag
  params: { removedInMinor: 'number' },
  check(s, rule) {
    const k = kubeletOf(s);
    const value = k.flags['container-runtime'];
    if (value === undefined) return { hits: [] };
    const { version, source } = kubeletVersionOf(s);
    const removedIn = `1.${numberParam(rule, 'removedInMinor')}`;
    const ge127 = versionAtLeast(version, 1, numberParam(rule, 'removedInMinor'));
    const evidence = [`--container-runtime=${value} in ${where(k, 'container-runtime')}`, `kubelet version: ${version ?? 'unknown'} (${source})`];
    const subject = { pid: k.pid, path: k.flagSources['container-runtime'] !== 'argv' ? k.flagSources['container-runtime'] : undefined };
    if (ge127 === true) return { hits: [{ summary: `kubelet ${version} does not know --container-runtime and refuses to start`, severity: 'critical', subject, evidence }] };
    if (value !== 'remote') return { hits: [{ summary: `--container-runtime=${value}: only "remote" reaches containerd (dockershim is gone)`, severity: 'critical', subject, evidence }] };
    if (ge127 === false) return { hits: [{ summary: `--container-runtime=remote is deprecated and must go before kubelet is upgraded to ${removedIn}`, severity: 'info', subject, evidence }] };
    return { hits: [{ summary: `--container-runtime=remote is set and the kubelet version is unknown: a ${removedIn}+ kubelet will not start with it`, severity: 'warning', subject, evidence }] };
  },
};

const cgroupDriverRule: RuleCode = {
  id: 'KUBELET_CGROUP_DRIVER_MISMATCH',
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

const requestTimeoutRule: RuleCode = {
  id: 'KUBELET_RUNTIME_REQUEST_TIMEOUT',
  // shorter than kubelet's 2m default is a warning, longer than longestMinutes worth saying
  params: { shortestSeconds: 'number', longestMinutes: 'number' },
  check(s, rule) {
    const k = kubeletOf(s);
    const text = k.flags['runtime-request-timeout'] ?? k.config?.runtimeRequestTimeout;
    if (!text) return { hits: [] };
    const ms = goDurationMs(text);
    const evidence = [`runtimeRequestTimeout: ${text} (${k.flags['runtime-request-timeout'] ? `--runtime-request-timeout in ${where(k, 'runtime-request-timeout')}` : k.configPath})`];
    if (ms === undefined) return { hits: [{ summary: `runtimeRequestTimeout "${text}" is not a duration kubelet accepts`, severity: 'warning', evidence }] };
    if (ms < numberParam(rule, 'shortestSeconds') * 1000) return { hits: [{ summary: `runtimeRequestTimeout is ${text}, shorter than the 2m default: slow creates will end in DeadlineExceeded and name-reservation retries`, severity: 'warning', evidence }] };
    if (ms > numberParam(rule, 'longestMinutes') * 60_000) return { hits: [{ summary: `runtimeRequestTimeout is ${text}: a hung runtime takes that long to show in kubelet's log`, evidence }] };
    return { hits: [] };
  },
};

const configFileRule: RuleCode = {
  id: 'KUBELET_CONFIG_UNREADABLE',
  check(s) {
    const k = kubeletOf(s);
    if (!k.configPath) return { hits: [] };
    const f = k.files.find((x) => x.path === k.configPath);
    if (!f || (f.present && !f.error)) return { hits: [] };
    const why = f.error ?? 'it does not exist';
    return { hits: [{ summary: `kubelet's config file ${k.configPath}: ${why}`, subject: { path: k.configPath, pid: k.pid }, evidence: [`--config=${k.configPath}`, `file: ${why}`], vars: { path: k.configPath } }] };
  },
};

export const kubeletLogRules: Rule[] = rulesFromLogTable(kubeletLogRuleTable.patterns, (s) => s.kubeletLog, 'the kubelet log');

export const kubeletRules: Rule[] = [
  ...defineRules(kubeletTable, [endpointRule, containerRuntimeFlagRule, cgroupDriverRule, requestTimeoutRule, configFileRule]),
  ...kubeletLogRules,
];

