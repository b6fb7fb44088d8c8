// The stack's own processes in a state that stops them: a shim, pause, runc or `runc init`
// stopped (T: SIGSTOP, or t: a debugger or strace) or waiting in the kernel (D, seen by both
// reads of /proc). Each finding names the process, what it is to the stack and the container
// it holds up, with every layer's evidence; a stopped `runc init` is named as the reason its
// container is stuck. containerd itself is CONTAINERD_PROCESS's. Text in rules/processes.json.
import type { FindingSubject, ProcessInfo, ProcessRole, Snapshot, TreeProcess } from '../snapshot/types/index.ts';
import { defineRules, maybe, need, type Hit, type Rule, type RuleCode } from './rule.ts';
import { processesTable } from './tables.ts';
import { dStateConfirmed, isStopped, processStates } from './process-state.ts';
import { containerLayers, containerRefOf, layerEvidence, processLine, runcTarget, type ContainerLayers } from './container-evidence.ts';
import { shortId } from '../ids.ts';

/** The tree's roles for the stack's own processes (the node's D rule leaves these to the stack's rules). */
export const STACK_ROLES: ProcessRole[] = ['containerd', 'shim', 'pause', 'runc', 'runc-init'];

interface Halted {
  t: TreeProcess;
  /** the process scan's entry (state, wchan, kernel stack), when the scan has it */
  p?: ProcessInfo;
  state: string;
}

/** The value of runc's --root in its argv ("--root X" or "--root=X"). */
function runcRootOf(argv: string[]): string | undefined {
  const i = argv.findIndex((a) => a === '--root' || a.startsWith('--root='));
  return i < 0 ? undefined : argv[i].startsWith('--root=') ? argv[i].slice(7) : argv[i + 1];
}

/**
 * Whether a process is this stack's and not another runtime's on the same node (Docker's
 * containerd, another lab): a shim of our containerd or what runs under it, a container our runc
 * root, CRI or containerd knows, or a runc call on our runc root.
 */
function ofThisStack(s: Snapshot, t: TreeProcess, procs: Map<number, ProcessInfo>): boolean {
  const ourShims = (maybe(s.tree)?.shims ?? []).filter((x) => !x.address || x.address === s.stack.address);
  if (t.role === 'shim') return ourShims.some((x) => x.pid === t.pid);
  if (ourShims.some((x) => x.pid === t.ppid)) return true;
  const id = t.container?.id;
  if (id && (maybe(s.runc)?.containers.some((r) => r.id === id) || maybe(s.cri.containers)?.some((c) => c.id === id) || maybe(s.cri.pods)?.some((p) => p.id === id) || maybe(s.containerd.tasks)?.some((x) => x.id === id))) return true;
  return runcRootOf(procs.get(t.pid)?.cmdline ?? []) === s.stack.runcRoot;
}

/** Tree processes of these roles, of this stack, that are stopped, or in D by both reads. */
function haltedOf(s: Snapshot, roles: ProcessRole[]): Halted[] {
  const tree = need(s.tree, 'the process tree');
  const procs = new Map((maybe(s.proc)?.processes ?? []).map((p) => [p.pid, p]));
  const out: Halted[] = [];
  for (const t of tree.processes) {
    if (!roles.includes(t.role) || !ofThisStack(s, t, procs)) continue;
    const p = procs.get(t.pid);
    const state = p?.state ?? t.stat.charAt(0);
    if (isStopped(state) || (state === 'D' && dStateConfirmed(s, t.pid) === true)) out.push({ t: withContainer(s, t), p, state });
  }
  return out;
}

const podText = (t: TreeProcess): string | undefined => (t.pod?.namespace && t.pod.name ? `${t.pod.namespace}/${t.pod.name}` : t.pod ? `sandbox ${shortId(t.pod.sandboxId)}` : undefined);

/** runc's own processes carry no container in the tree: a runc subcommand's is its argument. */
function withContainer(s: Snapshot, t: TreeProcess): TreeProcess {
  if (t.container || t.role !== 'runc') return t;
  const id = runcTarget(t, new Map((maybe(s.proc)?.processes ?? []).map((p) => [p.pid, p])));
  return id ? { ...t, ...containerRefOf(s, id) } : t;
}

function subjectOf(t: TreeProcess): FindingSubject {
  const pod = podText(t);
  return {
    pid: t.pid,
    ...(t.pod ? { pod: t.pod.namespace && t.pod.name ? pod : undefined, podSandboxId: t.pod.sandboxId } : {}),
    ...(t.container ? { container: t.container.type === 'sandbox' ? '(sandbox)' : t.container.name, containerId: t.container.id } : {}),
    ...(t.role === 'shim' ? { shimPid: t.pid } : {}),
  };
}

/** "pod ns/name container app" or "container <id>" */
function ownerText(t: TreeProcess): string {
  const pod = podText(t);
  // a pod's sandbox (pause) container is the pod itself
  const ctr = t.container && t.container.type !== 'sandbox' ? (t.container.name ?? shortId(t.container.id)) : undefined;
  return [pod && `pod ${pod}`, ctr && `container ${ctr}`].filter(Boolean).join(' ') || 'no known container';
}

const stateName = (h: Halted): string => processStates[h.state]?.name ?? h.state;

/** The text variant for a halted process: by state first (traced, D), then by what it is. */
function variantOf(h: Halted, stoppedVariant: string | undefined): string | undefined {
  if (h.state === 't') return 'traced';
  if (h.state === 'D') return 'uninterruptible';
  return stoppedVariant;
}

function layersOf(s: Snapshot, h: Halted): ContainerLayers | undefined {
  const id = h.t.container?.id;
  return id ? containerLayers(s, { containerId: id, podSandboxId: h.t.pod?.sandboxId, initPid: h.t.role === 'runc-init' ? h.t.pid : undefined }) : undefined;
}

function runcHit(s: Snapshot, h: Halted): Hit {
  const layers = layersOf(s, h);
  const init = h.t.role === 'runc-init';
  const what = init ? `runc init ${h.t.pid}` : `runc ${h.t.runcAction ?? ''} ${h.t.pid}`.replace('  ', ' ');
  let summary = `${what} of ${ownerText(h.t)} is ${stateName(h)}`;
  if (init && h.state !== 'D') {
    summary += ': the container cannot start';
    const waiting = layers?.runcStarts.find((p) => !isStopped(p.state));
    if (waiting) summary += `; runc start ${waiting.pid} waits for it on exec.fifo`;
  } else if (!init) {
    summary += ': the shim\'s call waits for it';
  }
  return {
    summary,
    subject: subjectOf(h.t),
    severity: h.state === 'D' ? 'warning' : undefined,
    evidence: [`${init ? 'runc init' : `runc ${h.t.runcAction ?? ''}`.trim()}: ${h.p ? processLine(h.p) : `pid ${h.t.pid} stat ${h.t.stat}`}`, ...(layers ? layerEvidence(layers, [init ? 'init' : 'runcStart']) : [])],
    vars: { pid: h.t.pid },
    variant: variantOf(h, init ? undefined : 'runcStopped'),
  };
}

function shimHit(s: Snapshot, h: Halted): Hit {
  const shim = maybe(s.tree)?.shims.find((x) => x.pid === h.t.pid);
  const pause = h.t.role === 'pause';
  const what = pause ? `pause ${h.t.pid}` : `shim ${h.t.pid}`;
  const consequence = pause ? '' : h.state === 'D' ? '' : ': calls for its pod\'s containers hang';
  return {
    summary: `${what} of ${ownerText(h.t)} is ${stateName(h)}${consequence}`,
    subject: subjectOf(h.t),
    severity: pause || h.state === 'D' ? 'warning' : undefined,
    evidence: [
      `${pause ? 'pause' : 'shim'}: ${h.p ? processLine(h.p) : `pid ${h.t.pid} stat ${h.t.stat}`}`,
      ...(shim?.probe ? [shim.probe.ok ? `ttrpc Connect answered in ${shim.probe.latencyMs ?? '?'} ms` : `ttrpc Connect: ${shim.probe.error ?? 'no answer'}`] : []),
      ...(shim ? [`serves ${shim.containers.length} container(s): ${shim.containers.map(shortId).join(', ') || 'none'}`] : []),
    ],
    vars: { pid: h.t.pid },
    variant: variantOf(h, pause ? 'pauseStopped' : undefined),
  };
}

const runcProcessRule: RuleCode = {
  id: 'RUNC_PROCESS_STATE',
  check(s) {
    return { hits: haltedOf(s, ['runc-init', 'runc']).map((h) => runcHit(s, h)) };
  },
};

const shimProcessRule: RuleCode = {
  id: 'SHIM_PROCESS_STATE',
  check(s) {
    return { hits: haltedOf(s, ['shim', 'pause']).map((h) => shimHit(s, h)) };
  },
};

export const processRules: Rule[] = defineRules(processesTable, [runcProcessRule, shimProcessRule]);
