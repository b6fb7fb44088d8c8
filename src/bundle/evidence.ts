// The raw evidence a support bundle carries beside the Snapshot: config files, `containerd config
// default`, kubelet files, log tails, a goroutine dump, runc state files, OCI specs, the process
// tree, the dmesg tail. Each read is bounded in size and time and reports how it went; a read
// that fails is recorded, never thrown.
import { execFile } from 'node:child_process';
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { withDeadline } from '../deadline.ts';
import type { Snapshot } from '../snapshot/types/index.ts';
import type { ProcTable } from '../snapshot/types/proc.ts';
import type { ProcessTreeView } from '../snapshot/types/tree.ts';
import { TASK_STATE_SUBDIR } from '../sources/containerd/layout.ts';

/** What the bundle does with one piece of evidence. */
export interface EvidenceItem {
  /** path inside the bundle, e.g. "containerd/config.toml" */
  name: string;
  /** where it came from: a file path, a command line, "snapshot:<field>", a socket URL */
  source: string;
  status: 'ok' | 'error' | 'timeout' | 'skipped';
  message?: string;
  durationMs: number;
  content?: Buffer;
  /** set when only part was kept */
  cut?: { originalBytes: number; keptBytes: number; kept: 'head' | 'tail' };
}

export interface EvidenceLimits {
  /** config-like files: the first this many bytes */
  fileBytes: number;
  /** logs and dmesg: the last this many bytes */
  logBytes: number;
  /** a goroutine dump from the debug socket */
  goroutineBytes: number;
  /** runc state dirs and task bundles read */
  maxContainers: number;
  /** each read's deadline */
  timeoutMs: number;
}

export const DEFAULT_LIMITS: EvidenceLimits = {
  fileBytes: 1 << 20,
  logBytes: 4 << 20,
  goroutineBytes: 64 << 20,
  maxContainers: 1000,
  timeoutMs: 5000,
};

async function timed(name: string, source: string, ms: number, fn: () => Promise<Omit<EvidenceItem, 'name' | 'source' | 'durationMs' | 'status'> & { status?: EvidenceItem['status'] }>): Promise<EvidenceItem> {
  const t0 = Date.now();
  try {
    const r = await withDeadline(fn(), ms, `reading ${source}`);
    return { name, source, status: r.status ?? 'ok', durationMs: Date.now() - t0, ...r };
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { kind?: string };
    const status = e.kind === 'deadline-exceeded' ? 'timeout' : e.code === 'ENOENT' ? 'skipped' : 'error';
    return { name, source, status, message: e.message, durationMs: Date.now() - t0 };
  }
}

/** Reads the head (config files) or the tail (logs) of a file, at most max bytes. */
export async function readBounded(path: string, max: number, keep: 'head' | 'tail'): Promise<{ content: Buffer; cut?: EvidenceItem['cut'] }> {
  const fh = await open(path, 'r');
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw Object.assign(new Error(`${path} is not a regular file`), { code: 'EINVAL' });
    const size = st.size;
    const n = Math.min(size, max);
    const buf = Buffer.alloc(n);
    let got = 0;
    const start = keep === 'tail' ? size - n : 0;
    while (got < n) {
      const { bytesRead } = await fh.read(buf, got, n - got, start + got);
      if (!bytesRead) break;
      got += bytesRead;
    }
    let content = buf.subarray(0, got);
    // a tail starts at a line boundary
    if (keep === 'tail' && start > 0) {
      const nl = content.indexOf(10);
      if (nl !== -1 && nl < content.length - 1) content = content.subarray(nl + 1);
    }
    return { content, cut: size > max ? { originalBytes: size, keptBytes: content.length, kept: keep } : undefined };
  } finally {
    await fh.close();
  }
}

function fileItem(name: string, path: string, max: number, keep: 'head' | 'tail', ms: number): Promise<EvidenceItem> {
  return timed(name, path, ms, () => readBounded(path, max, keep));
}

function runItem(name: string, bin: string, args: string[], max: number, ms: number): Promise<EvidenceItem> {
  const source = [bin, ...args].join(' ');
  return timed(name, source, ms, () => new Promise((resolve, reject) => {
    execFile(bin, args, { timeout: ms, killSignal: 'SIGKILL', maxBuffer: Math.max(max * 4, 1 << 20), encoding: 'buffer' }, (err, stdout, stderr) => {
      if (err && !stdout?.length) return reject(new Error(`${source}: ${(stderr?.toString() || err.message).trim().split('\n').slice(-2).join(' ')}`));
      const out = stdout as Buffer;
      if (out.length <= max) return resolve({ content: out });
      let kept = out.subarray(out.length - max);
      const nl = kept.indexOf(10);
      if (nl !== -1) kept = kept.subarray(nl + 1);
      resolve({ content: kept, cut: { originalBytes: out.length, keptBytes: kept.length, kept: 'tail' } });
    });
  }));
}

function textItem(name: string, source: string, text: string | undefined, why?: string): EvidenceItem {
  if (text === undefined) return { name, source, status: 'skipped', message: why ?? 'not in the Snapshot', durationMs: 0 };
  return { name, source, status: 'ok', durationMs: 0, content: Buffer.from(text) };
}

/** A `ps -ef`-like listing of the processes of the stack (and all others), from the process table. */
export function psText(table: ProcTable): string {
  const rows = [...table.processes].sort((a, b) => a.pid - b.pid);
  const lines = ['  PID  PPID S   RSS(KB) THR  AGE(s) %CPU COMMAND'];
  for (const p of rows) {
    const cmd = p.cmdline.length ? p.cmdline.join(' ') : `[${p.comm}]`;
    lines.push(`${String(p.pid).padStart(5)} ${String(p.ppid).padStart(5)} ${p.state} ${String(p.rssKb).padStart(9)} ${String(p.threads).padStart(3)} ${String(Math.round(p.ageSec)).padStart(7)} ${p.cpuPercent.toFixed(1).padStart(4)} ${cmd.slice(0, 400)}`);
  }
  return lines.join('\n') + '\n';
}

/** The tree as ps --forest would print it, with each process's role and Kubernetes names. */
export function treeText(tree: ProcessTreeView): string {
  const lines = ['  PID  PPID ROLE       STAT  RSS(KB) POD/CONTAINER                      COMMAND'];
  for (const p of tree.processes) {
    const who = [p.pod?.namespace && p.pod?.name ? `${p.pod.namespace}/${p.pod.name}` : p.pod?.sandboxId?.slice(0, 13), p.container?.name].filter(Boolean).join(' ');
    lines.push(`${String(p.pid).padStart(5)} ${String(p.ppid).padStart(5)} ${p.role.padEnd(10)} ${p.stat.padEnd(4)} ${String(p.rssKb).padStart(8)} ${(who || '-').slice(0, 34).padEnd(34)} ${'  '.repeat(p.depth)}${p.command.slice(0, 300)}`);
  }
  for (const f of tree.facts) lines.push(`fact ${f.kind}: ${f.message}`);
  return lines.join('\n') + '\n';
}

export interface EvidenceOptions {
  limits?: Partial<EvidenceLimits>;
  /** take a goroutine dump from containerd's debug socket (read-only; default true) */
  goroutines?: boolean;
  /** extra kubelet files (config, kubeadm flags, kubeconfig) named on the command line */
  kubeletFiles?: Record<string, string>;
}

const safeName = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 128) || '_';

type Job = Promise<EvidenceItem | EvidenceItem[]>;
type Limits = EvidenceLimits & { timeoutMs: number };

/** containerd's config, its default and its effective dump. */
function containerdConfigJobs(s: Snapshot, L: Limits): Job[] {
  const { containerdConfig } = s.stack;
  const argv0 = s.containerd.process.data?.argv?.[0];
  const binary = argv0?.startsWith('/') ? argv0 : 'containerd';
  const jobs: Job[] = containerdConfig
    ? [fileItem('containerd/config.toml', containerdConfig, L.fileBytes, 'head', L.timeoutMs), runItem('containerd/config-dump.toml', binary, ['--config', containerdConfig, 'config', 'dump'], L.fileBytes, L.timeoutMs)]
    : [Promise.resolve(textItem('containerd/config.toml', 'stack.containerdConfig', undefined, 'no containerd config file was found or given'))];
  jobs.push(runItem('containerd/config-default.toml', binary, ['config', 'default'], L.fileBytes, L.timeoutMs));
  // registry hosts files (mirrors, TLS, auth headers: redacted like the config) where config_path names them
  const hostDirs = s.containerd.config.data?.facts.registryConfigDirs ?? [];
  hostDirs.forEach((dir, i) => jobs.push(readHostsFiles(dir, hostDirs.length > 1 ? `containerd/hosts-${i + 1}` : 'containerd/hosts', L)));
  return jobs;
}

/** The logs: the file when there is one, else what the Snapshot kept of journald. */
function logJobs(s: Snapshot, L: Limits): Job[] {
  const { containerdLog, kubeletLog } = s.stack;
  const jobs: Job[] = [];
  if (containerdLog && !containerdLog.startsWith('journald')) jobs.push(fileItem('logs/containerd.log', containerdLog, L.logBytes, 'tail', L.timeoutMs));
  else {
    const log = s.containerd.log;
    jobs.push(Promise.resolve(textItem('logs/containerd.log', `snapshot:containerd.log (${log.data?.source ?? log.status})`, log.data?.tail?.join('\n'), log.message)));
  }
  if (kubeletLog && !kubeletLog.startsWith('journald')) jobs.push(fileItem('logs/kubelet.log', kubeletLog, L.logBytes, 'tail', L.timeoutMs));
  else if (s.kubeletLog.data?.tail) jobs.push(Promise.resolve(textItem('logs/kubelet.log', `snapshot:kubeletLog (${s.kubeletLog.data.source})`, s.kubeletLog.data.tail.join('\n'))));
  return jobs;
}

/** kubelet: its flags and every file it names that exists (each name once). */
function kubeletJobs(s: Snapshot, L: Limits, files: Record<string, string> | undefined): Job[] {
  const kv = s.kubelet.data;
  const kubeletPaths = new Map<string, string>();
  const candidates: [string | undefined, string][] = [
    [files?.config, 'config.yaml'], [files?.kubeadmFlags, 'kubeadm-flags.env'], [files?.kubeconfig, 'kubeconfig'],
    [kv?.configPath, 'config.yaml'], [kv?.flags?.kubeconfig, 'kubeconfig'], [kv?.flags?.['bootstrap-kubeconfig'], 'bootstrap-kubeconfig'],
    ...(kv?.files ?? []).filter((f) => f.present).map((f): [string, string] => [f.path, f.path.split('/').pop() ?? 'file']),
  ];
  for (const [path, base] of candidates) if (path && !kubeletPaths.has(path)) kubeletPaths.set(path, base);
  const used = new Set<string>();
  const jobs: Job[] = [];
  for (const [path, base] of kubeletPaths) {
    let name = `kubelet/${safeName(base)}`;
    for (let i = 2; used.has(name); i++) name = `kubelet/${i}-${safeName(base)}`;
    used.add(name);
    jobs.push(fileItem(name, path, L.fileBytes, 'head', L.timeoutMs));
  }
  if (kv?.argv) jobs.push(Promise.resolve(textItem('kubelet/cmdline.txt', `/proc/${kv.pid}/cmdline`, kv.argv.join('\n') + '\n')));
  return jobs;
}

/** A goroutine dump through the debug socket (read-only; no signal). */
function goroutineJob(s: Snapshot, L: Limits): Job {
  const socket = s.stack.debugAddress!.replace(/^unix:\/\//, '');
  return timed('goroutines/containerd.txt', `unix://${socket} GET /debug/pprof/goroutine?debug=2`, L.timeoutMs, async () => {
    if (s.containerd.process.data?.state === 'T') return { status: 'skipped', message: 'containerd is stopped (T): its debug socket cannot answer' };
    const { fetchDebug, GOROUTINE_DUMP_PATH } = await import('../sources/debug/http.ts');
    return { content: await fetchDebug(socket, GOROUTINE_DUMP_PATH, { timeoutMs: L.timeoutMs, maxBytes: L.goroutineBytes }) };
  });
}

/** The process tree (the joined view when the Snapshot has it, else the raw table) and the kernel's log. */
function processAndKernelJobs(s: Snapshot, L: Limits): Job[] {
  const jobs: Job[] = [];
  if (s.tree.data) {
    jobs.push(Promise.resolve(textItem('tree/tree.json', 'snapshot:tree', JSON.stringify(s.tree.data, null, 2) + '\n')));
    jobs.push(Promise.resolve(textItem('tree/tree.txt', 'snapshot:tree', treeText(s.tree.data))));
  }
  if (s.proc.data) jobs.push(Promise.resolve(textItem('tree/ps.txt', 'snapshot:proc', psText(s.proc.data))));
  jobs.push(runItem('node/dmesg.txt', 'dmesg', [], L.logBytes, L.timeoutMs).then((d) => {
    const kl = s.node.data?.kernelLog;
    if (d.status !== 'ok' && kl?.tail) return { ...textItem('node/dmesg.txt', `snapshot:node.kernelLog (${kl.source})`, kl.tail.join('\n') + '\n'), message: `dmesg: ${d.message}` };
    return d;
  }));
  return jobs;
}

/** Gathers every piece of raw evidence for the bundle, in parallel, each bounded. */
export async function gatherEvidence(s: Snapshot, opts: EvidenceOptions = {}): Promise<EvidenceItem[]> {
  const L = { ...DEFAULT_LIMITS, ...opts.limits };
  const stack = s.stack;
  const jobs: Job[] = [
    ...containerdConfigJobs(s, L),
    ...logJobs(s, L),
    ...kubeletJobs(s, L, opts.kubeletFiles),
    ...(opts.goroutines !== false && stack.debugAddress ? [goroutineJob(s, L)] : []),
    // runc state.json of every container in the runc root, and the OCI spec of each task bundle
    readStateFiles(stack.runcRoot, L, 'runc'),
    readStateFiles(join(stack.stateDir, TASK_STATE_SUBDIR, stack.namespace), L, 'oci'),
    ...processAndKernelJobs(s, L),
  ];
  return (await Promise.all(jobs)).flat();
}

/** <dir>/<host>/hosts.toml of a registry config_path, bounded in count (each host dir, and _default). */
async function readHostsFiles(dir: string, prefix: string, L: EvidenceLimits): Promise<EvidenceItem[]> {
  const t0 = Date.now();
  let hosts: string[];
  try {
    hosts = (await withDeadline(readdir(dir), L.timeoutMs, `listing ${dir}`)).sort();
  } catch (err) {
    return [{ name: `${prefix}/`, source: dir, status: (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'skipped' : 'error', message: (err as Error).message, durationMs: Date.now() - t0 }];
  }
  const shown = hosts.slice(0, MAX_REGISTRY_HOSTS);
  const items = (await Promise.all(shown.map((h) => fileItem(`${prefix}/${safeName(h)}/hosts.toml`, join(dir, h, 'hosts.toml'), L.fileBytes, 'head', L.timeoutMs))))
    .filter((x) => x.status !== 'skipped');
  if (hosts.length > shown.length) items.push({ name: `${prefix}/`, source: dir, status: 'ok', message: `only the first ${shown.length} of ${hosts.length} hosts were read`, durationMs: 0 });
  return items;
}

const MAX_REGISTRY_HOSTS = 100;

/** <root>/<id>/state.json (runc) or <root>/<id>/config.json (task bundles), bounded in count. */
async function readStateFiles(root: string, L: EvidenceLimits, kind: 'runc' | 'oci'): Promise<EvidenceItem[]> {
  const file = kind === 'runc' ? 'state.json' : 'config.json';
  let ids: string[];
  const t0 = Date.now();
  try {
    ids = (await withDeadline(readdir(root), L.timeoutMs, `listing ${root}`)).sort();
  } catch (err) {
    return [{ name: `${kind}/`, source: root, status: (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'skipped' : 'error', message: (err as Error).message, durationMs: Date.now() - t0 }];
  }
  const items: EvidenceItem[] = [];
  const shown = ids.slice(0, L.maxContainers);
  for (const id of shown) {
    const path = join(root, id, file);
    try {
      if (!(await stat(join(root, id))).isDirectory()) continue;
    } catch {
      continue;
    }
    items.push(await fileItem(`${kind}/${safeName(id)}/${file}`, path, L.fileBytes, 'head', L.timeoutMs));
  }
  if (ids.length > shown.length) {
    items.push({ name: `${kind}/`, source: root, status: 'ok', message: `only the first ${shown.length} of ${ids.length} entries were read`, durationMs: 0 });
  }
  return items;
}
