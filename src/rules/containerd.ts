// containerd's own layer: the process, whether it answers, its version against known bug
// windows, its config against its defaults, its plugins and its debug surface.
import type { Hit, Rule } from './rule.ts';
import { maybe, need } from './rule.ts';
import { compareVersions, configRules, explainedDrift, parseVersion, versionWindows } from './tables.ts';
import { runningConfigFacts, unappliedKeys } from './running-config.ts';
import { configKeyName, factsDiffOfRawDiff } from '../sources/containerd/layout.ts';
import type { Snapshot } from '../snapshot/types/index.ts';

const stateNames: Record<string, string> = {
  T: 'stopped (T: SIGSTOP or a debugger)',
  t: 'stopped by a tracer (t)',
  D: 'in uninterruptible sleep (D)',
  Z: 'a zombie (Z)',
};

function logTail(s: Snapshot, n = 5): string[] {
  const tail = maybe(s.containerd.log)?.tail ?? [];
  return tail.slice(-n).map((l) => `log: ${l.slice(0, 300)}`);
}

const processRule: Rule = {
  id: 'CONTAINERD_PROCESS',
  layer: 'containerd',
  severity: 'critical',
  title: 'containerd is not running, or is stopped',
  explanation: 'Every kubelet call goes through containerd. A containerd in state T (stopped by SIGSTOP or a debugger that never detached) accepts connections on its socket but never answers: every client hangs until its deadline, and the node cannot start or stop anything. In D it waits on the kernel (often I/O).',
  nextStep: 'State T: send SIGCONT (kill -CONT PID) or detach the debugger; D: look at its kernel stack (cat /proc/PID/stack) and the node findings; not running: systemctl status containerd; journalctl -u containerd -n 50',
  references: [],
  check(s) {
    const p = s.containerd.process;
    if (p.status === 'skipped' || p.status === 'error') {
      if (/no containerd/.test(p.message ?? '')) {
        return { hits: [{ summary: `no containerd process serves ${s.stack.address}`, evidence: [p.message ?? ''], nextStep: 'systemctl status containerd; journalctl -u containerd -n 50' }] };
      }
    }
    const proc = need(p, 'containerd process');
    const bad = stateNames[proc.state];
    if (!bad) return { hits: [] };
    return {
      hits: [{
        summary: `containerd (pid ${proc.pid}) is ${bad}`,
        subject: { pid: proc.pid },
        evidence: [`/proc/${proc.pid}/stat state: ${proc.state}`, `uptime: ${proc.uptimeSec}s`, ...(proc.wchan ? [`wchan: ${proc.wchan}`] : []), ...logTail(s)],
        nextStep: this.nextStep.replaceAll('PID', String(proc.pid)),
      }],
    };
  },
};

const criAnswersRule: Rule = {
  id: 'CRI_UNRESPONSIVE',
  layer: 'cri',
  severity: 'critical',
  title: 'containerd does not answer CRI within the deadline',
  explanation: 'kubelet speaks CRI to containerd for everything; when Version/Status/List calls time out, kubelet reports "context deadline exceeded", PLEG goes unhealthy and the node turns NotReady. A hung CRI server is a containerd problem (stopped, deadlocked, starved), not a pod problem.',
  nextStep: 'Check the containerd findings (process state, goroutine dump): ctrdoc goroutines --pid CONTAINERD_PID --signal; then journalctl -u containerd -n 100',
  references: ['https://github.com/kubernetes/kubernetes/issues/94829'],
  check(s) {
    const probes = [['Version', s.cri.version], ['Status', s.cri.status], ['ListPodSandbox', s.cri.pods], ['ListContainers', s.cri.containers]] as const;
    const failed = probes.filter(([, p]) => p.status === 'timeout' || (p.status === 'error' && /deadline|no answer/i.test(p.message ?? '')));
    if (!failed.length) {
      const allErr = probes.every(([, p]) => p.status === 'error');
      if (allErr) return { error: `could not check: CRI failed: ${s.cri.version.message}` };
      return { hits: [] };
    }
    const proc = maybe(s.containerd.process);
    return {
      hits: [{
        summary: `CRI ${failed.map(([n]) => n).join(', ')} got no answer from ${s.stack.runtimeEndpoint}`,
        subject: proc ? { pid: proc.pid } : undefined,
        evidence: [
          ...failed.map(([n, p]) => `${n}: ${p.message ?? p.status} (${p.durationMs} ms)`),
          ...(proc ? [`containerd pid ${proc.pid} state ${proc.state}`] : []),
          ...logTail(s),
        ],
        nextStep: this.nextStep.replace('CONTAINERD_PID', String(proc?.pid ?? 'PID')),
      }],
    };
  },
};

const criUnimplementedRule: Rule = {
  id: 'CRI_UNIMPLEMENTED',
  layer: 'cri',
  severity: 'critical',
  title: 'The endpoint answers gRPC but not CRI (runtime.v1)',
  explanation: 'containerd is up but its CRI plugin is not serving: disabled in the config (disabled_plugins = ["cri"]), or it failed to initialise. kubelet gets `unknown service runtime.v1.RuntimeService` for every call.',
  nextStep: 'ctr plugins ls | grep cri; check disabled_plugins in the config; journalctl -u containerd | grep -i cri',
  references: ['https://github.com/containerd/containerd/issues/4581'],
  check(s) {
    const p = s.cri.version;
    if (p.status === 'error' && /unimplemented|unknown service/i.test(p.message ?? '')) {
      return { hits: [{ summary: `CRI Version on ${s.stack.runtimeEndpoint}: ${p.message}`, evidence: [p.message ?? ''] }] };
    }
    if (p.status !== 'ok') return { skipped: 'CRI did not answer at all (see CRI_UNRESPONSIVE)' };
    return { hits: [] };
  },
};

const conditionsRule: Rule = {
  id: 'CRI_CONDITIONS',
  layer: 'cri',
  severity: 'critical',
  title: 'The runtime reports a condition not ready',
  explanation: 'CRI Status carries RuntimeReady and NetworkReady; kubelet marks the node NotReady when either is false. NetworkReady=false means no CNI config is loaded: pods with their own network cannot start (host-network pods still can).',
  nextStep: 'ctrdoc cri info; for NetworkReady: ls /etc/cni/net.d and check the CNI plugin\'s own pods',
  references: [],
  check(s) {
    const st = need(s.cri.status, 'CRI Status');
    return {
      hits: st.conditions.filter((c) => !c.status).map((c): Hit => ({
        summary: `${c.type}=false: ${c.reason}${c.message ? `: ${c.message}` : ''}`,
        severity: c.type === 'RuntimeReady' ? 'critical' : 'warning',
        evidence: [`${c.type} status=false reason=${c.reason || '-'} message=${c.message || '-'}`],
      })),
    };
  },
};

function inWindow(version: string, from: string, to: string): boolean {
  const v = parseVersion(version);
  const a = parseVersion(from);
  const b = parseVersion(to);
  return !!(v && a && b && compareVersions(v, a) >= 0 && compareVersions(v, b) <= 0);
}

const versionRules: Rule[] = versionWindows.map((w) => ({
  id: w.id,
  layer: 'containerd',
  severity: w.severity,
  title: w.title,
  explanation: w.explanation,
  nextStep: w.nextStep,
  references: w.references,
  check(s: Snapshot) {
    const v = maybe(s.containerd.version)?.version ?? maybe(s.cri.version)?.runtimeVersion;
    if (!v) return { error: 'could not check: containerd did not say its version' };
    if (!inWindow(v, w.from, w.to)) return { hits: [] };
    const evidence = [`containerd version ${v} (affected: ${w.from} - ${w.to})`];
    if (w.requires) {
      const cfg = need(s.containerd.config, 'containerd config');
      const value = (cfg.facts as Record<string, unknown>)[w.requires];
      if (!value) return { hits: [] };
      evidence.push(`config ${w.requires} = ${JSON.stringify(value)}`);
    }
    return { hits: [{ summary: `containerd ${v} is in the window ${w.from}-${w.to}`, evidence }] };
  },
}));

function matches(when: string, value: unknown): boolean {
  if (when === 'nonempty') return typeof value === 'string' ? value.length > 0 : !!value;
  const [op, list = ''] = when.split(':');
  const items = list.split(',');
  if (op === 'oneOf') return typeof value === 'string' && items.includes(value);
  if (op === 'contains') return Array.isArray(value) && value.some((v) => items.includes(String(v)));
  throw new Error(`unknown condition "${when}" in rules/containerd-config.json`);
}

const configValueRules: Rule[] = configRules.map((r) => ({
  ...r,
  check(s: Snapshot) {
    const cfg = need(s.containerd.config, 'containerd config');
    if (!cfg.dumpOk) return { skipped: 'the config does not load (see CONFIG_LOAD_ERROR)' };
    const value = (cfg.facts as Record<string, unknown>)[r.fact];
    if (!matches(r.when, value)) return { hits: [] };
    return { hits: [{ summary: `${r.fact} = ${JSON.stringify(value)} in ${cfg.path ?? 'the config'}`, evidence: [`config dump: ${r.fact} = ${JSON.stringify(value)}`] }] };
  },
}));

const configLoadRule: Rule = {
  id: 'CONFIG_LOAD_ERROR',
  layer: 'containerd',
  severity: 'critical',
  title: 'containerd\'s config file does not load',
  explanation: 'containerd refuses to start with a config it cannot parse. The running daemon still uses the config it started with; the next restart (a reboot, an upgrade, a crash) leaves the node without a runtime.',
  nextStep: 'containerd --config PATH config dump shows the error; fix the file before anything restarts containerd.',
  references: [],
  check(s) {
    const cfg = need(s.containerd.config, 'containerd config');
    if (cfg.dumpOk) return { hits: [] };
    return { hits: [{ summary: `${cfg.path ?? 'the config'}: ${cfg.loadError}`, subject: { path: cfg.path }, evidence: [`containerd config dump: ${cfg.loadError}`], nextStep: this.nextStep.replace('PATH', cfg.path ?? '/etc/containerd/config.toml') }] };
  },
};

const driftRule: Rule = {
  id: 'CONFIG_DRIFT',
  layer: 'containerd',
  severity: 'info',
  title: 'containerd\'s config differs from its defaults in keys that matter',
  explanation: 'The seed\'s advice: compare the config containerd runs with against the default config of the same binary, and question anything unexpected. These are the differences in keys known to change behaviour.',
  nextStep: 'containerd config dump > /tmp/dump.toml; containerd config default > /tmp/default.toml; diff them',
  references: [],
  check(s) {
    const cfg = need(s.containerd.config, 'containerd config');
    if (!cfg.dumpOk) return { skipped: 'the config does not load (see CONFIG_LOAD_ERROR)' };
    // the one shape's keys (layout.ts), the same on a v2 and a v3 config; a Snapshot from an
    // older ctrdoc has only the raw diff, read into the shape here
    const explained = new Map(explainedDrift.map((d) => [d.key, d.why]));
    const name = (key: string) => configKeyName(key, cfg.version);
    const changed = (cfg.factsDiff ?? factsDiffOfRawDiff(cfg.diff, cfg.version)).filter((d) => explained.has(d.key));
    if (!changed.length) return { hits: [] };
    const others = Math.max(0, cfg.diff.length - changed.length);
    const hits: Hit[] = [{
      summary: `${changed.length} key(s) that matter differ from \`containerd config default\`: ${changed.map((d) => name(d.key)).join(', ')}`,
      evidence: [
        ...changed.map((d) => `${name(d.key)}: ${d.default ?? '(unset)'} -> ${d.actual ?? '(unset)'} (${explained.get(d.key)})`),
        ...(others ? [`and ${others} other difference(s) (-o json lists them all under the config probe)`] : []),
      ],
    }];
    return { hits };
  },
};

/** When containerd started (ms since the epoch), from its uptime at collection; undefined when not known. */
export function containerdStartedAt(s: Snapshot): number | undefined {
  const p = maybe(s.containerd.process);
  const at = Date.parse(s.collectedAt);
  return p && Number.isFinite(at) ? at - p.uptimeSec * 1000 : undefined;
}

const unappliedRule: Rule = {
  id: 'CONFIG_NOT_APPLIED',
  layer: 'containerd',
  severity: 'warning',
  title: 'containerd runs with another config than its config file says',
  explanation: 'containerd reads config.toml once, at start. An edit without a restart (the usual one: SystemdCgroup = true to match kubelet\'s systemd cgroup driver, or a new sandbox_image) changes nothing until containerd restarts, and the file then misleads whoever reads it. Shown from the running CRI plugin\'s own config (verbose CRI Status) against `containerd config dump` of the file.',
  nextStep: 'Restart containerd to apply the file (systemctl restart containerd; running containers keep running, their shims are separate processes), or put the file back if the edit was not meant; then ctrdoc doctor again',
  references: ['https://github.com/kubernetes/website/pull/27073'],
  check(s) {
    const cfg = need(s.containerd.config, 'containerd config');
    if (!cfg.dumpOk) return { skipped: 'the config does not load (see CONFIG_LOAD_ERROR)' };
    const running = runningConfigFacts(maybe(s.cri.status)?.info);
    const started = containerdStartedAt(s);
    const modified = cfg.modifiedAt ? Date.parse(cfg.modifiedAt) : undefined;
    // uptime is in whole seconds: an edit within 2 s of the start may be the one it loaded
    const editedSince = started !== undefined && modified !== undefined && modified > started + 2000;
    const when = editedSince ? [`${cfg.path} modified ${cfg.modifiedAt}, after containerd started (${new Date(started!).toISOString()})`] : [];
    const keys = running ? unappliedKeys(cfg.facts, running) : [];
    if (keys.length) {
      return {
        hits: [{
          summary: `the running CRI plugin has ${keys.map((k) => k.key).join(', ')} different from ${cfg.path ?? 'the config file'}: the file was changed and containerd not restarted`,
          subject: { path: cfg.path },
          evidence: [...keys.map((k) => `${k.key}: ${k.file} in the file, ${k.running} in the running containerd`), ...when],
        }],
      };
    }
    if (editedSince) {
      return {
        hits: [{
          severity: 'info',
          summary: `${cfg.path} was modified after containerd started; the keys the CRI plugin shows match, other changes (e.g. [metrics], [debug], other plugins) wait for a restart`,
          subject: { path: cfg.path },
          evidence: when,
        }],
      };
    }
    if (!running) return { skipped: 'the CRI Status has no config to compare with (not containerd\'s CRI plugin, or not verbose)' };
    return { hits: [] };
  },
};

const sandboxImageRule: Rule = {
  id: 'SANDBOX_IMAGE_MISSING',
  layer: 'containerd',
  severity: 'warning',
  title: 'The sandbox (pause) image is not on the node',
  explanation: 'Every new pod starts with the sandbox image named in the CRI config (sandbox_image). If it is not present and cannot be pulled, every RunPodSandbox fails and pods stay ContainerCreating.',
  nextStep: 'ctrdoc cri images; pull it (crictl pull IMAGE) or fix sandbox_image in the config',
  references: [],
  check(s) {
    const images = need(s.cri.images, 'CRI images');
    // the image containerd uses now; the file's may wait for a restart (CONFIG_NOT_APPLIED)
    const running = runningConfigFacts(maybe(s.cri.status)?.info)?.sandboxImage;
    const want = running ?? need(s.containerd.config, 'containerd config').facts.sandboxImage;
    if (!want) return { skipped: 'no sandbox_image in the config' };
    const have = images.some((t) => t === want || t === `docker.io/${want}` || t === `docker.io/library/${want}`);
    if (have) return { hits: [] };
    const from = running ? 'the running CRI plugin' : 'the config file';
    return { hits: [{ summary: `sandbox_image ${want} is not among the ${images.length} images`, evidence: [`sandbox_image = ${want} (${from})`, `images: ${images.slice(0, 10).join(', ') || '(none)'}`], nextStep: this.nextStep.replace('IMAGE', want) }] };
  },
};

/** Plugins that report an init error on most nodes without anything being wrong. */
const benignPluginErrors = [/devmapper not configured/, /skip plugin/, /aufs is not supported/, /must be a (btrfs|zfs) filesystem/, /tracing endpoint not configured/];

const pluginsRule: Rule = {
  id: 'CONTAINERD_PLUGIN_ERROR',
  layer: 'containerd',
  severity: 'warning',
  title: 'containerd plugins that failed to initialise',
  explanation: 'containerd reports each plugin\'s init error through its introspection API (`ctr plugins ls`: STATUS error). A failed plugin that others require takes them down with it; a failed CRI plugin leaves kubelet with Unimplemented.',
  nextStep: 'ctr -a ADDRESS plugins ls -d; journalctl -u containerd | grep -i "failed to load plugin"',
  references: [],
  check(s) {
    const plugins = need(s.containerd.plugins, 'containerd introspection');
    return {
      hits: plugins.filter((p) => p.status === 'error' && !benignPluginErrors.some((re) => re.test(p.initError?.message ?? ''))).map((p): Hit => ({
        summary: `${p.type}.${p.id}: ${p.initError?.message}`,
        severity: p.id === 'cri' ? 'critical' : 'warning',
        evidence: [`plugin ${p.type}.${p.id} status error: ${p.initError?.message}`],
        nextStep: this.nextStep.replace('ADDRESS', s.stack.address),
      })),
    };
  },
};

const debugSocketRule: Rule = {
  id: 'CONTAINERD_DEBUG_SOCKET_OFF',
  layer: 'containerd',
  severity: 'info',
  title: 'containerd\'s debug socket is off',
  explanation: 'With [debug] address set, containerd serves pprof on a unix socket: goroutine dumps (the best evidence of a hang) without signals or restarts. It is off by default. Without it, ctrdoc can still take a dump with SIGUSR1 (--signal).',
  nextStep: 'Add to the config: [debug] address = "/run/containerd/debug.sock" (takes effect at the next restart); meanwhile: ctrdoc goroutines --pid PID --signal',
  references: [],
  check(s) {
    const cfg = maybe(s.containerd.config);
    if (s.stack.debugAddress || cfg?.facts.debugAddress) return { hits: [] };
    if (!cfg) return { skipped: 'the config was not read' };
    const pid = maybe(s.containerd.process)?.pid;
    if (!pid) return { skipped: 'no containerd runs here (see CONTAINERD_PROCESS)' };
    return { hits: [{ summary: 'no [debug] address: goroutine dumps need SIGUSR1', evidence: ['[debug] address = ""'], nextStep: this.nextStep.replace('PID', String(pid ?? 'PID')) }] };
  },
};

const fdRule: Rule = {
  id: 'CONTAINERD_FDS',
  layer: 'containerd',
  severity: 'warning',
  title: 'containerd is near its open-file limit',
  explanation: 'containerd holds fds for every shim connection, fifo and log; at the limit it fails with "too many open files" and cannot start shims.',
  nextStep: 'ls /proc/PID/fd | wc -l; raise LimitNOFILE in containerd\'s unit',
  references: ['https://github.com/containerd/cri/issues/448'],
  check(s) {
    const p = need(s.containerd.process, 'containerd process');
    if (p.fds === undefined || !p.fdLimit) return { skipped: 'fd count or limit not readable' };
    if (p.fds < p.fdLimit * 0.8) return { hits: [] };
    return { hits: [{ summary: `containerd holds ${p.fds} of ${p.fdLimit} fds`, subject: { pid: p.pid }, evidence: [`fds ${p.fds}, limit ${p.fdLimit}`], nextStep: this.nextStep.replace('PID', String(p.pid)) }] };
  },
};

/** Starts within this window that count as a restart loop. */
export const RESTART_WINDOW_MS = 60 * 60_000;
export const RESTARTS_WARN = 3;

const restartsRule: Rule = {
  id: 'CONTAINERD_RESTARTS',
  layer: 'containerd',
  severity: 'warning',
  title: 'containerd restarted several times within an hour',
  explanation: 'Every start of containerd logs "starting containerd". Shims and containers survive a restart, so pods look fine, but every restart drops kubelet\'s calls in flight, re-syncs CRI and, if it keeps happening, hides the evidence of why (goroutine dumps and in-memory state are lost). Find what restarts it.',
  nextStep: 'journalctl -u containerd --no-pager | grep -B5 "starting containerd"; dmesg --ctime | grep -i "killed process"; systemctl show containerd -p NRestarts',
  references: ['https://github.com/containerd/containerd/issues/5708'],
  check(s) {
    const scan = need(s.containerd.log, 'the containerd log');
    const now = Date.parse(s.collectedAt);
    const starts = scan.episodes.filter((e) => e.pattern === 'CONTAINERD_LOG_STARTED' && (!e.last || now - Date.parse(e.last) <= RESTART_WINDOW_MS));
    const count = starts.reduce((n, e) => n + e.count, 0);
    if (count < RESTARTS_WARN) return { hits: [] };
    const proc = maybe(s.containerd.process);
    return {
      hits: [{
        summary: `${count} starts of containerd in the log within the last hour${proc ? `; the running one has been up ${Math.round(proc.uptimeSec)}s` : ''}`,
        subject: proc ? { pid: proc.pid } : undefined,
        evidence: [
          ...starts.map((e) => `${e.count} start(s) from ${e.first || '?'} to ${e.last || '?'}${e.captures.version?.length ? ` (version ${e.captures.version.join(', ')})` : ''}`),
          `source: ${scan.source}`,
        ],
      }],
    };
  },
};

export const containerdRules: Rule[] = [
  processRule, criAnswersRule, criUnimplementedRule, conditionsRule, configLoadRule, ...configValueRules, driftRule, unappliedRule,
  ...versionRules, sandboxImageRule, pluginsRule, debugSocketRule, fdRule, restartsRule,
];

