// containerd's own layer: the process, whether it answers, its version against known bug
// windows, its config against its defaults, its plugins and its debug surface.
// The text of every rule here is in rules/containerd.json, rules/containerd-config.json and
// rules/containerd-versions.json; this file holds the predicates.
import type { Hit, Outcome, Rule, RuleCode } from './rule.ts';
import { defineRules, maybe, need, numberParam, patternsParam } from './rule.ts';
import { configTable, containerdTable, explainedDrift, versionTable } from './tables.ts';
import { conditionHolds, conditionText, inRange, parseVersion, rangeText } from './conditions.ts';
import type { ConfigEntry, VersionEntry } from './table.ts';
import { configEditedSinceStart, containerdStartedAt, runningConfigFacts, runningSandboxImage, sameImage, unappliedKeys } from './running-config.ts';
import { configKeyName, factsDiffOfRawDiff } from '../sources/containerd/layout.ts';
import type { Snapshot } from '../snapshot/types/index.ts';
import { processStates, seenInDTwice } from './process-state.ts';

/** The last lines of containerd's log, as evidence of what it said before it stopped answering. */
export function containerdLogTail(s: Snapshot, n = 5): string[] {
  const tail = maybe(s.containerd.log)?.tail ?? [];
  return tail.slice(-n).map((l) => `log: ${l.slice(0, 300)}`);
}

const processRule: RuleCode = {
  id: 'CONTAINERD_PROCESS',
  check(s) {
    const p = s.containerd.process;
    // discovery found no containerd serving the address: that is the finding, not a skipped probe
    if (p.status !== 'ok' && s.stack.containerdPid === undefined) {
      return { hits: [{ summary: `no containerd process serves ${s.stack.address}`, evidence: [p.message ?? `the containerd process probe: ${p.status}`], variant: 'notRunning' }] };
    }
    const proc = need(p, 'containerd process');
    const state = processStates[proc.state];
    // a D seen once is containerd at work (an fsync); seen by both reads it waits in the kernel
    if (!state || (proc.state === 'D' && !seenInDTwice(s, proc.pid))) return { hits: [] };
    return {
      hits: [{
        summary: `containerd (pid ${proc.pid}) is ${state.name}`,
        subject: { pid: proc.pid },
        evidence: [`/proc/${proc.pid}/stat state: ${proc.state}`, `uptime: ${proc.uptimeSec}s`, ...(proc.wchan ? [`wchan: ${proc.wchan}`] : []), ...containerdLogTail(s)],
        vars: { pid: proc.pid },
        variant: state.variant,
      }],
    };
  },
};

/** One rule per version window of rules/containerd-versions.json. */
function versionRule(w: VersionEntry): RuleCode {
  return {
    id: w.id,
    check(s: Snapshot) {
      const v = maybe(s.containerd.version)?.version ?? maybe(s.cri.version)?.runtimeVersion;
      if (!v) return { error: 'could not check: containerd did not say its version' };
      const parsed = parseVersion(v);
      const range = parsed && w.affected.find((r) => inRange(parsed, r));
      if (!range) return { hits: [] };
      const evidence = [`containerd version ${v} (affected: ${w.affected.map(rangeText).join(', ')}${range.fixed ? `; fixed in ${range.fixed}` : ''})`];
      if (w.requires) {
        const cfg = need(s.containerd.config, 'containerd config');
        const value = (cfg.facts as Record<string, unknown>)[w.requires.fact];
        if (!conditionHolds(w.requires.when, value)) return { hits: [] };
        evidence.push(`config ${w.requires.fact} = ${JSON.stringify(value)}`);
      }
      return { hits: [{ summary: `containerd ${v} is in the window ${rangeText(range)}`, evidence }] };
    },
  };
}

/** One rule per condition of rules/containerd-config.json. */
function configValueRule(r: ConfigEntry): RuleCode {
  return {
    id: r.id,
    check(s: Snapshot) {
      const cfg = need(s.containerd.config, 'containerd config');
      if (!cfg.dumpOk) return { skipped: 'the config does not load (see CONFIG_LOAD_ERROR)' };
      const value = (cfg.facts as Record<string, unknown>)[r.fact];
      if (!conditionHolds(r.when, value)) return { hits: [] };
      return { hits: [{ summary: `${r.fact} = ${JSON.stringify(value)} in ${cfg.path ?? 'the config'}`, evidence: [`config dump: ${r.fact} = ${JSON.stringify(value)} (${conditionText(r.when)})`] }] };
    },
  };
}

const configLoadRule: RuleCode = {
  id: 'CONFIG_LOAD_ERROR',
  check(s) {
    const cfg = need(s.containerd.config, 'containerd config');
    if (cfg.dumpOk) return { hits: [] };
    return { hits: [{ summary: `${cfg.path ?? 'the config'}: ${cfg.loadError}`, subject: { path: cfg.path }, evidence: [`containerd config dump: ${cfg.loadError}`], vars: { containerdConfig: cfg.path } }] };
  },
};

const driftRule: RuleCode = {
  id: 'CONFIG_DRIFT',
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

const unappliedRule: RuleCode = {
  id: 'CONFIG_NOT_APPLIED',
  check(s) {
    const cfg = need(s.containerd.config, 'containerd config');
    if (!cfg.dumpOk) return { skipped: 'the config does not load (see CONFIG_LOAD_ERROR)' };
    const running = runningConfigFacts(maybe(s.cri.status)?.info);
    const editedSince = configEditedSinceStart(s) === true;
    const when = editedSince ? [`${cfg.path} modified ${cfg.modifiedAt}, after containerd started (${new Date(containerdStartedAt(s)!).toISOString()})`] : [];
    const keys = running ? unappliedKeys(cfg.facts, running, runningSandboxImage(s)) : [];
    if (keys.length) {
      return {
        hits: [{
          summary: `the running CRI plugin has ${keys.map((k) => k.key).join(', ')} different from ${cfg.path ?? 'the config file'}: the file was changed and containerd not restarted`,
          subject: { path: cfg.path },
          evidence: [...keys.map((k) => `${k.key}: ${k.file} in the file, ${k.running} in the running containerd${k.note ? ` (${k.note})` : ''}`), ...when],
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

const sandboxImageRule: RuleCode = {
  id: 'SANDBOX_IMAGE_MISSING',
  check(s) {
    const images = need(s.cri.images, 'CRI images');
    // the image containerd uses now; the file's may wait for a restart (CONFIG_NOT_APPLIED)
    const running = runningSandboxImage(s);
    const present = (want: string) => images.some((t) => sameImage(t, want));
    const hit = (want: string, from: string): Outcome => ({
      hits: [{ summary: `sandbox image ${want} is not among the ${images.length} images`, evidence: [`sandbox image ${want} (${from})`, `images: ${images.slice(0, 10).join(', ') || '(none)'}`], vars: { image: want } }],
    });
    if (running?.image !== undefined) return present(running.image) ? { hits: [] } : hit(running.image, running.from);
    // 2.x, the file edited since containerd started: an image CRI pins is there, and is the
    // running one as likely as the file's; with none pinned, the file's is all there is to judge
    if (running?.pinned.length) return { hits: [] };
    const want = need(s.containerd.config, 'containerd config').facts.sandboxImage;
    if (!want) return { skipped: 'no sandbox image in the config' };
    return present(want) ? { hits: [] } : hit(want, running ? 'the config file; the running CRI plugin pins no image' : 'the config file');
  },
};

const pluginsRule: RuleCode = {
  id: 'CONTAINERD_PLUGIN_ERROR',
  // init errors most nodes report without anything being wrong (devmapper not configured, ...)
  params: { benignInitErrors: 'patterns' },
  check(s, rule) {
    const plugins = need(s.containerd.plugins, 'containerd introspection');
    const benign = patternsParam(rule, 'benignInitErrors');
    return {
      hits: plugins.filter((p) => p.status === 'error' && !benign.some((re) => re.test(p.initError?.message ?? ''))).map((p): Hit => ({
        summary: `${p.type}.${p.id}: ${p.initError?.message}`,
        severity: p.id === 'cri' ? 'critical' : 'warning',
        evidence: [`plugin ${p.type}.${p.id} status error: ${p.initError?.message}`],
      })),
    };
  },
};

const debugSocketRule: RuleCode = {
  id: 'CONTAINERD_DEBUG_SOCKET_OFF',
  check(s) {
    const cfg = maybe(s.containerd.config);
    if (s.stack.debugAddress || cfg?.facts.debugAddress) return { hits: [] };
    if (!cfg) return { skipped: 'the config was not read' };
    if (!maybe(s.containerd.process)?.pid) return { skipped: 'no containerd runs here (see CONTAINERD_PROCESS)' };
    return { hits: [{ summary: 'no [debug] address: goroutine dumps need SIGUSR1', evidence: ['[debug] address = ""'] }] };
  },
};

const fdRule: RuleCode = {
  id: 'CONTAINERD_FDS',
  params: { warnAtFraction: 'number' },
  check(s, rule) {
    const p = need(s.containerd.process, 'containerd process');
    if (p.fds === undefined || !p.fdLimit) return { skipped: 'fd count or limit not readable' };
    if (p.fds < p.fdLimit * numberParam(rule, 'warnAtFraction')) return { hits: [] };
    return { hits: [{ summary: `containerd holds ${p.fds} of ${p.fdLimit} fds`, subject: { pid: p.pid }, evidence: [`fds ${p.fds}, limit ${p.fdLimit}`], vars: { pid: p.pid } }] };
  },
};

const restartsRule: RuleCode = {
  id: 'CONTAINERD_RESTARTS',
  // atLeast starts of containerd within windowMinutes are a restart loop
  params: { windowMinutes: 'number', atLeast: 'number' },
  check(s, rule) {
    const scan = need(s.containerd.log, 'the containerd log');
    const now = Date.parse(s.collectedAt);
    const windowMs = numberParam(rule, 'windowMinutes') * 60_000;
    const starts = scan.episodes.filter((e) => e.pattern === 'CONTAINERD_LOG_STARTED' && (!e.last || now - Date.parse(e.last) <= windowMs));
    const count = starts.reduce((n, e) => n + e.count, 0);
    if (count < numberParam(rule, 'atLeast')) return { hits: [] };
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
  ...defineRules(containerdTable, [processRule, configLoadRule, driftRule, unappliedRule, sandboxImageRule, pluginsRule, debugSocketRule, fdRule, restartsRule]),
  ...defineRules(configTable, configTable.map(configValueRule)),
  ...defineRules(versionTable, versionTable.map(versionRule)),
];

