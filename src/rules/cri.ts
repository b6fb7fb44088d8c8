// kubelet's view through CRI: containers that were created and never started, and containers
// that keep dying (kubelet restarting them with a rising attempt number).
import type { Hit, Rule } from './rule.ts';
import { need } from './rule.ts';
import type { Container, Snapshot } from '../snapshot/types/index.ts';

const nanosToMs = (n: string) => Number(BigInt(n || '0') / 1_000_000n);

/** Attempts at which a dying container counts as crash-looping. */
export const CRASHLOOP_ATTEMPTS = 3;

function podName(s: Snapshot, id: string): string | undefined {
  const p = s.cri.pods.data?.find((x) => x.id === id);
  return p ? `${p.metadata.namespace}/${p.metadata.name}` : undefined;
}

const createdStuckRule: Rule = {
  id: 'CRI_CONTAINER_NEVER_STARTED',
  layer: 'cri',
  severity: 'critical',
  title: 'Containers created but never started',
  explanation: 'CRI CreateContainer only records the container; StartContainer creates the runc task (runc create: `runc init` waits on exec.fifo) and then starts it. A container that stays Created, with pid 0, for minutes means StartContainer did not complete: the task was never created, or created and never started (the seed\'s incident). CRI listings are served from memory, so pods look Ready meanwhile.',
  nextStep: 'ctrdoc tree --pod POD (look for parked runc:[2:INIT]); ctrdoc cri inspect ID; dump containerd goroutines for a waiting Start',
  references: ['https://github.com/containerd/containerd/issues/6772', 'https://github.com/containerd/containerd/issues/11233'],
  check(s) {
    const containers = need(s.cri.containers, 'CRI ListContainers');
    const now = Date.parse(s.collectedAt);
    // kubelet's retries are new attempts of one pod container: one finding per pod container
    const stuck = new Map<string, Container[]>();
    for (const c of containers) {
      if (c.state !== 'CONTAINER_CREATED') continue;
      if ((now - nanosToMs(c.createdAt)) / 1000 < s.thresholds.stuckAfterSec) continue;
      const k = `${c.podSandboxId}/${c.metadata.name}`;
      stuck.set(k, [...(stuck.get(k) ?? []), c]);
    }
    const hits: Hit[] = [];
    for (const list of stuck.values()) {
      list.sort((a, b) => a.metadata.attempt - b.metadata.attempt);
      const oldest = list[0];
      const newest = list[list.length - 1];
      const age = Math.round((now - nanosToMs(oldest.createdAt)) / 1000);
      const pod = podName(s, oldest.podSandboxId);
      const who = `${pod ?? oldest.podSandboxId.slice(0, 13)} container ${oldest.metadata.name}`;
      hits.push({
        summary: list.length === 1
          ? `${who} (attempt ${oldest.metadata.attempt}) is Created for ${age}s`
          : `${who}: ${list.length} attempts (${oldest.metadata.attempt}-${newest.metadata.attempt}) Created and never started, the oldest for ${age}s`,
        subject: { pod, podSandboxId: oldest.podSandboxId, container: oldest.metadata.name, containerId: newest.id },
        evidence: list.map((c) => {
          const detail = s.cri.containerDetails.data?.find((d) => d.status.id === c.id);
          return `attempt ${c.metadata.attempt} ${c.id.slice(0, 13)}: CONTAINER_CREATED since ${new Date(nanosToMs(c.createdAt)).toISOString()}${detail ? `, verbose pid ${detail.info?.pid ?? 0}` : ''}`;
        }),
        nextStep: this.nextStep.replace('POD', pod?.split('/')[1] ?? oldest.podSandboxId.slice(0, 13)).replace(' ID', ` ${newest.id.slice(0, 13)}`),
      });
    }
    return { hits };
  },
};

const crashloopRule: Rule = {
  id: 'CRI_CRASHLOOP',
  layer: 'cri',
  severity: 'warning',
  title: 'A container keeps exiting and being restarted',
  explanation: 'kubelet restarts an exited container with attempt + 1 (with back-off: CrashLoopBackOff). The runtime is doing its job; the container\'s own exit code and log say why it dies.',
  nextStep: 'crictl logs ID (or the log file LOG); ctrdoc cri inspect ID for exitCode, reason, message',
  references: [],
  check(s) {
    const containers = need(s.cri.containers, 'CRI ListContainers');
    const byName = new Map<string, Container[]>();
    for (const c of containers) {
      const k = `${c.podSandboxId}/${c.metadata.name}`;
      byName.set(k, [...(byName.get(k) ?? []), c]);
    }
    const hits: Hit[] = [];
    for (const list of byName.values()) {
      const latest = list.reduce((a, b) => (b.metadata.attempt > a.metadata.attempt ? b : a));
      if (latest.metadata.attempt + 1 < CRASHLOOP_ATTEMPTS) continue;
      const exited = list.filter((c) => c.state === 'CONTAINER_EXITED');
      if (!exited.length) continue;
      const detail = s.cri.containerDetails.data?.find((d) => d.status.id === latest.id)
        ?? s.cri.containerDetails.data?.find((d) => d.status.id === exited[exited.length - 1].id);
      if (detail && detail.status.state === 'CONTAINER_EXITED' && detail.status.exitCode === 0) continue;
      const pod = podName(s, latest.podSandboxId);
      hits.push({
        summary: `${pod ?? latest.podSandboxId.slice(0, 13)} container ${latest.metadata.name}: attempt ${latest.metadata.attempt}, ${exited.length} exited`,
        subject: { pod, podSandboxId: latest.podSandboxId, container: latest.metadata.name, containerId: latest.id },
        evidence: [
          `attempts seen: ${list.map((c) => `${c.metadata.attempt}:${c.state.replace('CONTAINER_', '').toLowerCase()}`).join(' ')}`,
          ...(detail ? [`last exit code ${detail.status.exitCode}${detail.status.reason ? ` (${detail.status.reason})` : ''}`, `log: ${detail.status.logPath}`] : []),
        ],
        nextStep: this.nextStep.replaceAll(' ID', ` ${latest.id.slice(0, 13)}`).replace('LOG', detail?.status.logPath ?? 'under the pod log directory'),
      });
    }
    return { hits };
  },
};


const canaryRule: Rule = {
  id: 'CANARY_FAILED',
  layer: 'cri',
  severity: 'critical',
  title: 'This node cannot start a container',
  explanation: 'The canary created a scratch pod and container through CRI, as kubelet would, and one step failed or did not finish within its deadline. Listings served from memory can all look healthy while this fails (the seed\'s incident).',
  nextStep: 'Look at the step that failed: run-sandbox/create/start hanging points at containerd or the shim (goroutine dump); an error names its cause.',
  references: ['https://github.com/containerd/containerd/issues/6772'],
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

export const criRules: Rule[] = [createdStuckRule, crashloopRule, canaryRule];
