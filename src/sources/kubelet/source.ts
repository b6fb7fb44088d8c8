// The kubelet source: its process, its flags (command line, kubeadm-flags.env,
// /etc/default/kubelet, systemd drop-ins), its KubeletConfiguration, its version (never by
// running it: on a test machine it may be a stand-in) and whether its runtime endpoint answers
// CRI. Every path is an option so tests and the lab point at their own files.
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { CtrdocError } from '../../errors.ts';
import { withDeadline } from '../../deadline.ts';
import type { KubeletView } from '../../snapshot/types/index.ts';
import { openCri } from '../cri/client.ts';
import { checkSocket, socketPathOf } from '../protocol/endpoint.ts';
import { kubeletLogTable } from '../logs/tables.ts';
import { scanLog } from '../logs/read.ts';
import { DEFAULT_EXEC_START, expandExecStart, parseDropIn, parseEnvFile, parseFlagArgs, type DropIn } from './flags.ts';
import { findKubeletProcesses, kubeletsOf, type KubeletProcess } from './process.ts';
import { chooseKubelet } from './choose.ts';
import { resolveEffective } from './resolve.ts';

export const KUBELET_PATHS = {
  kubeadmFlags: '/var/lib/kubelet/kubeadm-flags.env',
  defaults: '/etc/default/kubelet',
  dropInDirs: ['/etc/systemd/system/kubelet.service.d', '/usr/lib/systemd/system/kubelet.service.d', '/lib/systemd/system/kubelet.service.d'],
};

export interface KubeletSourceOptions {
  /** whole-source deadline; default 3 s (the endpoint check gets what is left, at most 2 s) */
  deadlineMs?: number;
  procRoot?: string;
  /** look at this pid instead of searching /proc */
  pid?: number;
  /**
   * the socket(s) of the containerd inspected (its address, its CRI endpoint): among several
   * kubelets, the one whose runtime endpoint names it is read (./choose.ts)
   */
  containerdSockets?: (string | undefined)[];
  /** processes a /proc scan already read (pid, comm, argv): spares a second pass over /proc */
  processes?: readonly { pid: number; comm?: string; cmdline: string[] }[];
  kubeadmFlagsPath?: string;
  defaultsPath?: string;
  dropInDirs?: string[];
  /** the KubeletConfiguration to read instead of --config's */
  configPath?: string;
  /** the version when the caller knows it ("v1.28.3"); else it is read from the log */
  kubeletVersion?: string;
  /** where to look for the "Kubelet version" line */
  logFile?: string;
  journalUnit?: string;
  /** ask the endpoint for CRI Version (default true) */
  checkEndpoint?: boolean;
}

type Files = KubeletView['files'];

async function readText(path: string, files: Files, deadlineMs: number): Promise<string | undefined> {
  try {
    const text = await withDeadline(readFile(path, 'utf8'), deadlineMs, `read ${path}`);
    files.push({ path, present: true });
    return text;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') files.push({ path, present: false });
    else files.push({ path, present: false, error: CtrdocError.from(err).message });
    return undefined;
  }
}

/** The args the files make, the way systemd's ExecStart would expand them, with each flag's file. */
async function fileFlags(o: KubeletSourceOptions, files: Files, notes: string[], ms: number): Promise<{ flags: Record<string, string>; sources: Record<string, string> }> {
  const dropIn: DropIn = { environment: {}, environmentFiles: [] };
  const varSource: Record<string, string> = {};
  for (const dir of o.dropInDirs ?? KUBELET_PATHS.dropInDirs) {
    let names: string[];
    try {
      names = (await readdir(dir)).filter((n) => n.endsWith('.conf')).sort();
    } catch {
      continue;
    }
    for (const n of names) {
      const path = join(dir, n);
      const text = await readText(path, files, ms);
      if (text === undefined) continue;
      const before = { ...dropIn.environment };
      parseDropIn(text, dropIn);
      for (const [k, v] of Object.entries(dropIn.environment)) if (before[k] !== v) varSource[k] = path;
    }
  }
  const env: Record<string, string> = { ...dropIn.environment };
  const envFiles = [o.kubeadmFlagsPath ?? KUBELET_PATHS.kubeadmFlags, o.defaultsPath ?? KUBELET_PATHS.defaults];
  for (const f of dropIn.environmentFiles) {
    // the drop-in names the real kubeadm/defaults files; the options may have redirected those
    if (![KUBELET_PATHS.kubeadmFlags, KUBELET_PATHS.defaults, ...envFiles].includes(f.path)) envFiles.push(f.path);
  }
  for (const path of envFiles) {
    const text = await readText(path, files, ms);
    if (text === undefined) continue;
    for (const [k, v] of Object.entries(parseEnvFile(text))) {
      env[k] = v;
      varSource[k] = path;
    }
  }
  const words = expandExecStart(dropIn.execStart ?? DEFAULT_EXEC_START, env);
  if (dropIn.execStart && !/kubelet/.test(dropIn.execStart)) notes.push(`the drop-ins' ExecStart does not run kubelet: ${dropIn.execStart}`);
  const flags: Record<string, string> = {};
  const sources: Record<string, string> = {};
  const argWords = words.slice(1).map((w) => w.word);
  const origin = words.slice(1).map((w) => (w.fromVar ? varSource[w.fromVar] ?? 'ExecStart' : 'ExecStart'));
  for (const f of parseFlagArgs(argWords)) {
    flags[f.name] = f.value;
    sources[f.name] = origin[f.index];
  }
  return { flags, sources };
}

async function versionFromLog(o: KubeletSourceOptions, ms: number): Promise<{ version: string; source: string } | undefined> {
  if (!o.logFile && !o.journalUnit) return undefined;
  const full = kubeletLogTable();
  const table = { name: full.name, patterns: full.patterns.filter((p) => p.id === 'KUBELET_LOG_STARTED') };
  const scan = await scanLog({ file: o.logFile, journalUnit: o.journalUnit }, { table, deadlineMs: ms }).catch(() => undefined);
  const last = scan?.episodes.at(-1);
  const v = last?.captures.version?.at(-1);
  return v ? { version: v, source: `log:${scan!.source}` } : undefined;
}

/** The running kubelet's flags over the files'; a file that says otherwise is noted (changed since it started). */
function mergeFlags(view: KubeletView, proc: KubeletProcess | undefined, fromFiles: { flags: Record<string, string>; sources: Record<string, string> }): void {
  if (!proc) {
    view.flags = fromFiles.flags;
    view.flagSources = fromFiles.sources;
    if (Object.keys(fromFiles.flags).length) view.notes.push('no kubelet process: flags are from the files, as systemd would start it');
    return;
  }
  for (const f of parseFlagArgs(proc.argv.slice(1))) {
    view.flags[f.name] = f.value;
    view.flagSources[f.name] = 'argv';
  }
  for (const [k, v] of Object.entries(fromFiles.flags)) {
    if (view.flags[k] === undefined) view.notes.push(`${fromFiles.sources[k]} sets --${k}=${v} but the running kubelet does not have it (changed since it started? a restart would pick it up)`);
    else if (view.flags[k] !== v) view.notes.push(`${fromFiles.sources[k]} sets --${k}=${v} but the running kubelet has ${view.flags[k]} (a restart would change it)`);
  }
}

/** The KubeletConfiguration fields ctrdoc reads, from the file --config (or the option) names. */
async function readConfig(view: KubeletView, configPath: string, ms: number): Promise<void> {
  view.configPath = configPath;
  const text = await readText(configPath, view.files, ms);
  if (text === undefined) return;
  try {
    const doc = parseYaml(text, { maxAliasCount: 100 }) as Record<string, unknown> | null;
    if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new Error('not a YAML mapping');
    if (doc.kind !== undefined && doc.kind !== 'KubeletConfiguration') view.notes.push(`${configPath} has kind ${String(doc.kind)}, not KubeletConfiguration`);
    const str = (k: string): string | undefined => (typeof doc[k] === 'string' ? (doc[k] as string) : undefined);
    const config: NonNullable<KubeletView['config']> = {
      cgroupDriver: str('cgroupDriver'),
      containerRuntimeEndpoint: str('containerRuntimeEndpoint'),
      imageServiceEndpoint: str('imageServiceEndpoint'),
      runtimeRequestTimeout: str('runtimeRequestTimeout'),
    };
    for (const k of Object.keys(config)) if (config[k] === undefined) delete config[k];
    view.config = config;
  } catch (err) {
    const first = (err as Error).message.split('\n')[0];
    const f = view.files.find((x) => x.path === configPath);
    if (f) f.error = `not a KubeletConfiguration: ${first}`;
    view.notes.push(`${configPath} could not be parsed as YAML: ${first}`);
  }
}

/** The version: the caller's hint, else the log's newest "Kubelet version" line (kubelet is never run to ask). */
async function readVersion(view: KubeletView, o: KubeletSourceOptions, ms: number): Promise<void> {
  if (o.kubeletVersion) {
    view.version = o.kubeletVersion;
    view.versionSource = 'hint';
    return;
  }
  const v = await versionFromLog(o, ms);
  if (v) {
    view.version = v.version;
    view.versionSource = v.source;
  } else view.notes.push('kubelet version unknown (no "Kubelet version" line in the log read, no hint); kubelet is never run to ask');
}

/** Reads kubelet from outside. Throws only when nothing at all could be read. */
export async function collectKubelet(o: KubeletSourceOptions = {}): Promise<KubeletView> {
  const deadlineMs = o.deadlineMs ?? 3000;
  const started = Date.now();
  const left = (): number => Math.max(50, deadlineMs - (Date.now() - started));
  const view: KubeletView = { flags: {}, flagSources: {}, files: [], notes: [] };

  const procs = o.processes ? kubeletsOf(o.processes) : findKubeletProcesses(o.procRoot);
  const choice = await chooseKubelet(procs, { pid: o.pid, containerdSockets: o.containerdSockets });
  view.notes.push(...choice.notes);
  if (choice.notChosen) {
    view.notChosen = choice.notChosen;
    return view;
  }
  const proc = choice.proc;
  if (proc) {
    view.pid = proc.pid;
    view.argv = proc.argv;
    if (proc.matchedBy === 'script') view.notes.push(`pid ${proc.pid} runs a script named kubelet through ${proc.comm === 'kubelet' ? 'an interpreter' : proc.comm} (a stand-in or a wrapper)`);
  }
  mergeFlags(view, proc, await fileFlags(o, view.files, view.notes, left()));
  const configPath = o.configPath ?? view.flags.config;
  if (configPath) await readConfig(view, configPath, left());
  await readVersion(view, o, Math.min(left(), 1500));
  // nothing of kubelet here at all
  if (!proc && !Object.keys(view.flags).length && !view.config) return view;

  const eff = resolveEffective(view.flags, view.config, view.version);
  view.runtimeEndpoint = eff.runtimeEndpoint;
  view.runtimeEndpointSource = eff.runtimeEndpointSource;
  view.cgroupDriver = eff.cgroupDriver;
  view.cgroupDriverSource = eff.cgroupDriverSource;
  view.notes.push(...eff.notes);
  if (o.checkEndpoint !== false) view.endpointCheck = await checkCriEndpoint(eff.runtimeEndpoint, Math.min(2000, left()));
  return view;
}

/** Does the endpoint answer CRI Version within the deadline? */
export async function checkCriEndpoint(endpoint: string, timeoutMs: number): Promise<NonNullable<KubeletView['endpointCheck']>> {
  try {
    checkSocket(socketPathOf(endpoint), 'kubelet\'s runtime endpoint');
  } catch (err) {
    return { ok: false, error: CtrdocError.from(err).message };
  }
  const cri = openCri(endpoint, { timeoutMs });
  try {
    const v = await withDeadline(cri.version(), timeoutMs + 200, `CRI Version on ${endpoint}`);
    return { ok: true, runtimeName: v.runtimeName, runtimeVersion: v.runtimeVersion };
  } catch (err) {
    return { ok: false, error: CtrdocError.from(err).message };
  } finally {
    cri.close();
  }
}
