// kubelet's view through CRI: whether containerd answers CRI and serves it at all, the runtime's
// conditions, containers that were created and never started, containers that keep dying
// (kubelet restarting them with a rising attempt number), and the canary. The text of each
// rule is in rules/cri.json.
import type { Hit, Rule, RuleCode } from './rule.ts';
import { defineRules, maybe, need, numberParam } from './rule.ts';
import type { Container, ProbeResult, ProcessInfo, Snapshot } from '../snapshot/types/index.ts';
import { criTable } from './tables.ts';
import { containerdLogTail } from './containerd.ts';
import { containerLayers, layerEvidence, processLine, type ContainerLayers, type LayerName } from './container-evidence.ts';
import { isStopped } from './process-state.ts';
import { shortId } from '../ids.ts';

const nanosToMs = (n: string) => Number(BigInt(n || '0') / 1_000_000n);

function podName(s: Snapshot, id: string): string | undefined {
  const p = s.cri.pods.data?.find((x) => x.id === id);
  return p ? `${p.metadata.namespace}/${p.metadata.name}` : undefined;
}

/** A probe that ran into its deadline (the kind, never the message's words). */
const timedOut = (p: ProbeResult<unknown>): boolean => p.status === 'timeout' || p.errorKind === 'deadline-exceeded';

const criAnswersRule: RuleCode = {
  id: 'CRI_UNRESPONSIVE',
  check(s) {
    const probes = [['Version', s.cri.version], ['Status', s.cri.status], ['ListPodSandbox', s.cri.pods], ['ListContainers', s.cri.containers]] as const;
    const failed = probes.filter(([, p]) => timedOut(p));
    if (!failed.length) {
      const allErr = probes.every(([, p]) => p.status === 'error');
      if (allErr) return { error: `could not check: CRI failed: ${s.cri.version.message}` };
      return { hits: [] };
    }
    const proc = maybe(s.containerd.process);
    // asked again on a fresh connection with a longer deadline: an answer then is a slow moment
    // of a busy containerd (churn, load), not a hung one; kubelet itself waits 2 min
    const again = s.cri.secondAsk?.status === 'ok' ? s.cri.secondAsk.data : undefined;
    const secondAsk = s.cri.secondAsk && s.cri.secondAsk.status !== 'skipped'
      ? [again ? `asked Version again (fresh connection, ${again.deadlineMs} ms deadline): answered in ${again.ms} ms` : `asked Version again: ${s.cri.secondAsk.message ?? s.cri.secondAsk.status}`]
      : [];
    return {
      hits: [{
        summary: again
          ? `CRI ${failed.map(([n]) => n).join(', ')} got no answer within the deadline from ${s.stack.runtimeEndpoint}, then Version answered in ${again.ms} ms: slow, not hung`
          : `CRI ${failed.map(([n]) => n).join(', ')} got no answer from ${s.stack.runtimeEndpoint}`,
        ...(again ? { severity: 'info' as const } : {}),
        subject: proc ? { pid: proc.pid } : undefined,
        evidence: [
          ...failed.map(([n, p]) => `${n}: ${p.message ?? p.status} (${p.durationMs} ms)`),
          ...secondAsk,
          ...(proc ? [`containerd pid ${proc.pid} state ${proc.state}`] : []),
          ...containerdLogTail(s),
        ],
      }],
    };
  },
};

const criUnimplementedRule: RuleCode = {
  id: 'CRI_UNIMPLEMENTED',
  check(s) {
    const p = s.cri.version;
    if (p.status === 'error' && p.errorKind === 'unimplemented') {
      return { hits: [{ summary: `CRI Version on ${s.stack.runtimeEndpoint}: ${p.message}`, evidence: [p.message ?? ''] }] };
    }
    if (p.status !== 'ok') return { skipped: 'CRI did not answer at all (see CRI_UNRESPONSIVE)' };
    return { hits: [] };
  },
};

const conditionsRule: RuleCode = {
  id: 'CRI_CONDITIONS',
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

/** Containers Created for longer than the threshold, by pod container (kubelet's attempts together), oldest attempt first. */
function neverStartedByPodContainer(s: Snapshot, containers: Container[]): Container[][] {
  const now = Date.parse(s.collectedAt);
  const stuck = new Map<string, Container[]>();
  for (const c of containers) {
    if (c.state !== 'CONTAINER_CREATED') continue;
    if ((now - nanosToMs(c.createdAt)) / 1000 < s.thresholds.stuckAfterSec) continue;
    const k = `${c.podSandboxId}/${c.metadata.name}`;
    stuck.set(k, [...(stuck.get(k) ?? []), c]);
  }
  return [...stuck.values()].map((list) => list.sort((a, b) => a.metadata.attempt - b.metadata.attempt));
}

function attemptLine(s: Snapshot, c: Container): string {
  const detail = s.cri.containerDetails.data?.find((d) => d.status.id === c.id);
  return `attempt ${c.metadata.attempt} ${c.id.slice(0, 13)}: CONTAINER_CREATED since ${new Date(nanosToMs(c.createdAt)).toISOString()}${detail ? `, verbose pid ${detail.info?.pid ?? 0}` : ''}`;
}

/** A process the container's start waits for that is stopped (T or t): its runc init, or a runc start. */
function stoppedOnTheWay(l: ContainerLayers): { what: string; p: ProcessInfo; layer: LayerName } | undefined {
  if (l.init && isStopped(l.init.state)) return { what: 'runc init', p: l.init, layer: 'init' };
  const start = l.runcStarts.find((p) => isStopped(p.state));
  return start ? { what: 'runc start', p: start, layer: 'runcStart' } : undefined;
}

/** One hit per stuck pod container; a stopped runc init (or runc start) is named as the reason it does not start. */
function neverStartedHit(s: Snapshot, list: Container[]): Hit {
  const oldest = list[0];
  const newest = list[list.length - 1];
  const age = Math.round((Date.parse(s.collectedAt) - nanosToMs(oldest.createdAt)) / 1000);
  const pod = podName(s, oldest.podSandboxId);
  const who = `${pod ?? oldest.podSandboxId.slice(0, 13)} container ${oldest.metadata.name}`;
  const layers = containerLayers(s, { containerId: newest.id, podSandboxId: newest.podSandboxId });
  const stopped = stoppedOnTheWay(layers);
  let summary = list.length === 1
    ? `${who} (attempt ${oldest.metadata.attempt}) is Created for ${age}s`
    : `${who}: ${list.length} attempts (${oldest.metadata.attempt}-${newest.metadata.attempt}) Created and never started, the oldest for ${age}s`;
  if (stopped) summary += `: its ${stopped.what} ${stopped.p.pid} is stopped (${stopped.p.state}), so it cannot start`;
  return {
    summary,
    subject: { pod, podSandboxId: oldest.podSandboxId, container: oldest.metadata.name, containerId: newest.id },
    evidence: [
      ...(stopped ? [`the newest attempt's ${stopped.what}: ${processLine(stopped.p)}`] : []),
      ...list.map((c) => attemptLine(s, c)),
      ...layerEvidence(layers, stopped ? [stopped.layer] : []).map((l) => `attempt ${newest.metadata.attempt} ${l}`),
    ],
    vars: { podName: pod?.split('/')[1], podId: shortId(oldest.podSandboxId), shortId: shortId(newest.id), pid: stopped?.p.pid },
    variant: stopped ? 'stopped' : undefined,
  };
}

const createdStuckRule: RuleCode = {
  id: 'CRI_CONTAINER_NEVER_STARTED',
  check(s) {
    const containers = need(s.cri.containers, 'CRI ListContainers');
    return { hits: neverStartedByPodContainer(s, containers).map((list) => neverStartedHit(s, list)) };
  },
};

/** A pod container whose latest attempt is at least `attempts` and that has exited ones, unless it exits 0. */
function crashloopHit(s: Snapshot, list: Container[], attempts: number): Hit | undefined {
  const latest = list.reduce((a, b) => (b.metadata.attempt > a.metadata.attempt ? b : a));
  if (latest.metadata.attempt + 1 < attempts) return undefined;
  const exited = list.filter((c) => c.state === 'CONTAINER_EXITED');
  if (!exited.length) return undefined;
  const details = s.cri.containerDetails.data ?? [];
  // the latest attempt's status if it has exited by now, else the newest exited attempt's that
  // could be read (an older one may be garbage-collected between the listing and its status; the
  // list is in no attempt order). A running or created attempt has no exit yet: CRI says 0 for it
  const byAttempt = [...exited].sort((a, b) => b.metadata.attempt - a.metadata.attempt);
  const detail = [latest, ...byAttempt].map((c) => details.find((d) => d.status.id === c.id && d.status.state === 'CONTAINER_EXITED')).find((d) => d !== undefined);
  if (detail && detail.status.id === latest.id && detail.status.exitCode === 0) return undefined;
  // restartPolicy Always restarts a container that exited 0 too: that is not a crash
  const exitCodes = exited.map((c) => details.find((d) => d.status.id === c.id)?.status.exitCode).filter((x): x is number => x !== undefined);
  if (exitCodes.length && exitCodes.every((x) => x === 0)) return undefined;
  // listed, but no status could be read for any of its exits: removed since the listing (its pod is being deleted)
  if (s.cri.containerDetails.status === 'ok' && !exitCodes.length && !detail) return undefined;
  const pod = podName(s, latest.podSandboxId);
  return {
    summary: `${pod ?? latest.podSandboxId.slice(0, 13)} container ${latest.metadata.name}: attempt ${latest.metadata.attempt}, ${exited.length} exited`,
    subject: { pod, podSandboxId: latest.podSandboxId, container: latest.metadata.name, containerId: latest.id },
    evidence: [
      `attempts seen: ${list.map((c) => `${c.metadata.attempt}:${c.state.replace('CONTAINER_', '').toLowerCase()}`).join(' ')}`,
      ...(detail ? [`last exit code ${detail.status.exitCode}${detail.status.reason ? ` (${detail.status.reason})` : ''}${detail.status.id === latest.id ? '' : ` (attempt ${detail.status.metadata.attempt})`}`, `log: ${detail.status.logPath}`] : []),
    ],
    vars: { shortId: shortId(latest.id), logPath: detail?.status.logPath },
  };
}

const crashloopRule: RuleCode = {
  id: 'CRI_CRASHLOOP',
  // the attempt number from which a dying container counts as crash-looping
  params: { attempts: 'number' },
  check(s, rule) {
    const containers = need(s.cri.containers, 'CRI ListContainers');
    const byName = new Map<string, Container[]>();
    for (const c of containers) {
      const k = `${c.podSandboxId}/${c.metadata.name}`;
      byName.set(k, [...(byName.get(k) ?? []), c]);
    }
    const attempts = numberParam(rule, 'attempts');
    return { hits: [...byName.values()].map((list) => crashloopHit(s, list, attempts)).filter((h): h is Hit => !!h) };
  },
};

const canaryRule: RuleCode = {
  id: 'CANARY_FAILED',
  check(s) {
    if (!s.canary) return { skipped: 'the canary was not run (doctor --canary)' };
    const c = need(s.canary, 'the canary');
    if (c.ok) return { hits: [] };
    return {
      hits: [{
        summary: `canary failed at ${c.failedStep}: ${c.error}${c.cleanedUp ? '' : ' (and could not clean up all it made)'}`,
        evidence: c.steps.map((x) => `${x.step}: ${x.ok ? 'ok' : `FAILED ${x.error}`} (${x.ms} ms)`),
      }],
    };
  },
};

export const criRules: Rule[] = defineRules(criTable, [criAnswersRule, criUnimplementedRule, conditionsRule, createdStuckRule, crashloopRule, canaryRule]);
