// `ctrdoc core PID`: a gzipped core dump with gdb's gcore, done carefully. Without --yes it only
// says what the process is and what would happen, and changes nothing.
import type { CliIO, Command } from './command.ts';
import { parseFlags } from './flags.ts';
import { parseDuration } from '../deadline.ts';
import { CtrdocError, EXIT_OK } from '../errors.ts';
import { accessSync, constants, mkdirSync, readFileSync, statSync } from 'node:fs';
import { parseShimArgs } from '../sources/proc/argv.ts';
import { toEndpoint } from '../sources/protocol/endpoint.ts';
import type { Got } from '../collect/results.ts';

const usage = `Usage: ctrdoc core PID [--yes] [-o DIR] [flags]

Writes a core dump of one process with gdb's gcore, gzipped, and a JSON beside it with the
binary's build ids and whether it carries debug symbols. It CHANGES THE NODE: the process is
stopped (ptrace) for as long as the dump takes, which for a large containerd can be seconds and
every CRI call waits meanwhile. Without --yes it only says what the process is and what would
happen. For Go processes (containerd, shims, runc) goroutine stacks usually say more without
stopping anything: ctrdoc goroutines. Never on PID 1, ctrdoc itself or its parents.

Flags:
      --yes                really take the dump
  -o, --output DIR         where to write core.<comm>.<time>.<pid>.gz and .json (default .)
      --timeout DURATION   give up on gcore after this (default 2m); the process is then
                           sent SIGCONT so it does not stay stopped
  -r, --runtime-endpoint   CRI endpoint, to name the pod or container of a shim or runc init
                           (default: CONTAINER_RUNTIME_ENDPOINT, /etc/crictl.yaml, the running
                           containerd's socket, then /run/containerd/containerd.sock)`;

/**
 * -o DIR as it stands: a directory we may write to, or one --yes will create; anything else is
 * an error that says what is wrong with it (before gdb is ever run).
 */
export function outputDir(dir: string, create: boolean): { missing: boolean } {
  let st;
  try {
    st = statSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') throw new CtrdocError('invalid-argument', `-o ${dir}: a part of the path is a file, not a directory`, 'choose another directory with -o');
    if (code !== 'ENOENT') throw CtrdocError.from(err, `-o ${dir}`);
    if (!create) return { missing: true };
    try {
      mkdirSync(dir, { recursive: true });
    } catch (e) {
      throw new CtrdocError('invalid-argument', `-o ${dir}: cannot create it: ${(e as Error).message}`, 'choose another directory with -o');
    }
    return { missing: false };
  }
  if (!st.isDirectory()) throw new CtrdocError('invalid-argument', `-o ${dir}: not a directory`, 'give a directory: the core and its .json are written into it');
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch {
    throw new CtrdocError('permission-denied', `-o ${dir}: not writable by this user`, 'choose another directory with -o, or run as root');
  }
  return { missing: false };
}

/** The -address of the shim that is this process or its nearest ancestor: the containerd that owns it. */
function ownerAddress(pid: number): string | undefined {
  let cur = pid;
  for (let i = 0; i < 16 && cur > 1; i++) {
    try {
      const argv = readFileSync(`/proc/${cur}/cmdline`, 'utf8').split('\0').filter(Boolean);
      if (/(^|\/)containerd-shim/.test(argv[0] ?? '')) return parseShimArgs(argv).address;
      const stat = readFileSync(`/proc/${cur}/stat`, 'utf8');
      cur = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * CRI's pod and container lists (two calls, not one per id), from the registry, asked of the
 * containerd that owns the process (its shim's -address) unless -r names one.
 */
async function criNames(values: { 'runtime-endpoint'?: string }, pid: number): Promise<Got> {
  const [{ resolveStack }, { collectProbes }] = await Promise.all([import('../collect/stack.ts'), import('../collect/run.ts')]);
  const owner = values['runtime-endpoint'] ? undefined : ownerAddress(pid);
  const stack = await resolveStack({ ...values, ...(owner ? { 'runtime-endpoint': toEndpoint(owner) } : {}) }, { timeoutMs: 1500, need: 'endpoint' });
  return collectProbes(['cri.pods', 'cri.containers'], { stack, deadlineMs: 2000 });
}

function nameOf(got: Got, id: string, kind: 'sandbox' | 'container'): string | undefined {
  const pods = got.data('cri.pods') ?? [];
  if (kind === 'sandbox') {
    const m = pods.find((p) => p.id === id)?.metadata;
    return m?.name ? `${m.namespace}/${m.name}` : undefined;
  }
  const c = got.data('cri.containers')?.find((x) => x.id === id);
  if (!c?.metadata?.name) return undefined;
  const l = c.labels ?? {};
  const pod = l['io.kubernetes.pod.name'] ? ` of pod ${l['io.kubernetes.pod.namespace']}/${l['io.kubernetes.pod.name']}` : '';
  return `${c.metadata.name} (${id.slice(0, 13)})${pod}`;
}

const core: Command = {
  summary: 'a gzipped core dump of one process with gdb, with its build-id (stops it while writing; asks first)',
  usage,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseFlags(args, {
      yes: { type: 'boolean' },
      output: { type: 'string', short: 'o' },
      timeout: { type: 'string' },
      'runtime-endpoint': { type: 'string', short: 'r' },
    });
    if (positionals.length !== 1 || !/^\d+$/.test(positionals[0])) throw new CtrdocError('invalid-argument', 'give one PID', 'ctrdoc core PID [--yes]');
    const pid = Number(positionals[0]);
    const timeoutMs = values.timeout ? parseDuration(values.timeout, '--timeout') : 120_000;
    const outDir = values.output ?? '.';
    const { describeTarget, refusal, goAdvice, planCore, takeCore } = await import('../bundle/core.ts');

    const dir = outputDir(outDir, !!values.yes);
    // Name pods and containers from CRI's lists when it answers quickly (a hung runtime is fine):
    // the stack's one resolution finds the endpoint (flag, env, crictl.yaml, the running containerd)
    let names: Got | undefined;
    const namer = async (id: string, kind: 'sandbox' | 'container') => {
      names ??= await criNames(values, pid);
      return nameOf(names, id, kind);
    };
    const t = await describeTarget(pid, namer);
    const no = refusal(t);
    if (no) throw new CtrdocError('failed-precondition', `will not dump pid ${pid}: ${no}`);
    const plan = planCore(t, outDir);
    if (dir.missing) io.stderr.write(`${outDir} does not exist: --yes creates it\n`);
    const mib = (b: number) => `${(b / 1048576).toFixed(0)} MiB`;
    const lines = [
      `pid ${pid}: ${t.what}`,
      `  binary ${t.exe}${t.elf ? `, build-id ${t.elf.buildId ?? '(none)'}${t.elf.debugInfo ? ', with debug info' : ', no debug info (stripped of DWARF)'}` : ''}`,
      `  state ${t.state}, RSS ${mib(t.rssKb * 1024)}, mapped ${mib(t.vmKb * 1024)}`,
      `A core dump STOPS this process (gdb attaches with ptrace) until the whole memory is written: expect about a second per few hundred MiB of RSS${t.kind === 'containerd' ? '; every CRI call (kubelet included) waits meanwhile' : t.kind === 'shim' ? '; the pod\'s containers keep running, but CRI calls about them wait' : ''}.`,
      `It writes ${plan.prefix}.${pid}.gz (and .json); before compression the raw core takes about ${mib(plan.estimateBytes)} on disk (RSS; its apparent size is the mapped ${mib(plan.mappedBytes)}, mostly holes)${plan.freeBytes !== undefined ? `; ${mib(plan.freeBytes)} free there` : ''}.`,
    ];
    const advice = goAdvice(t);
    if (advice) lines.push(`Consider first: ${advice}.`);
    io.stderr.write(lines.join('\n') + '\n');
    if (plan.freeBytes !== undefined && plan.freeBytes < plan.estimateBytes * 1.1) {
      throw new CtrdocError('failed-precondition', `not enough space in ${outDir}: ${mib(plan.freeBytes)} free, the core may take ${mib(plan.estimateBytes)}`, 'choose another directory with -o');
    }
    if (!values.yes) {
      io.stderr.write('Nothing done. Run again with --yes to take the dump.\n');
      return EXIT_OK;
    }
    const r = await takeCore(plan, { timeoutMs });
    io.stdout.write(`${r.gz}\n${r.json}\n`);
    io.stderr.write(`core: ${mib(r.coreBytes)} raw (${mib(r.coreDiskBytes)} on disk), ${mib(r.gzBytes)} gzipped; gcore ${(r.gcoreMs / 1000).toFixed(2)}s (the process was stopped this long), gzip ${(r.gzipMs / 1000).toFixed(2)}s; ` +
      `process now in state ${r.stateAfter}${r.resumed ? ' (sent SIGCONT)' : ''}\n`);
    return EXIT_OK;
  },
};

export default core;
