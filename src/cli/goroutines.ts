// `ctrdoc goroutines`: read a Go goroutine dump of containerd or a shim (a file, stdin, the debug
// socket, or a SIGUSR1 dump when asked with --signal), bucket it like panicparse and explain it.
import { createReadStream, writeFileSync } from 'node:fs';
import type { CliIO, Command } from './command.ts';
import { parseFlags, timeoutMs } from './flags.ts';
import { CtrdocError, EXIT_FINDINGS, EXIT_OK } from '../errors.ts';
import { analyzeDump, analyzeFile, analyzeStream, type AnalyzeOptions } from '../goroutines/index.ts';
import type { GoroutineAnalysis, GoroutineBucket, GoroutineSimilarity } from '../snapshot/types/goroutines.ts';
import { GOROUTINE_DUMP_PATH, openDebugStream } from '../sources/debug/http.ts';
import { existingStacksFile, shimAddress, signalContainerdDump, signalShimDump } from '../sources/debug/signal.ts';
import { renderGoroutinesHtml } from '../report/goroutines-html.ts';
import { renderText } from '../report/goroutines-text.ts';

const usage = `Usage: ctrdoc goroutines [FILE|-] [flags]

Reads a Go goroutine dump (pprof debug=2 or debug=1, SIGUSR1 stacks file, SIGQUIT/panic output,
or a containerd/journald log with "=== BEGIN goroutine stack dump ===" in it), groups identical
stacks into buckets like panicparse, and explains them: longest waits, lock waiters and their
likely holders, piles, and known containerd signatures. Dumps as pasted are read too: behind
journald or syslog prefixes, one log line per dump line, indented with spaces or not at all,
CRLF, double-spaced, one goroutine per line, cut short, or newest line first (journalctl -r).

Where the dump comes from (first that applies):
  FILE | -                      a file, or stdin
      --shim SHIM --signal      SIGUSR1 to that shim, then harvest its dump from containerd's log;
                                SHIM is a pid, a shim -id (sandbox id) or its prefix, a container
                                id, or a pod name (namespace/name; asks CRI at -r/--runtime-endpoint)
      --containerd-log FILE     containerd's log for --shim (default: containerd's stderr file,
                                else journalctl -u containerd -o cat)
      --pid PID [--signal]      containerd's $TMPDIR/containerd.PID.stacks.log; with --signal,
                                send SIGUSR1 first (without it, read the last dump if any)
      --address SOCK            containerd's debug socket ([debug] address; default: from
                                containerd's config). Alias: --debug-address
  Signals are sent only with --signal, and only SIGUSR1: SIGQUIT would kill the process.

Output:
  -o, --output FORMAT           text (default), json, html
      --similarity S            exact | pointer (default, as panicparse) | value (as -aggressive)
  -f, --filter REGEX            only buckets whose state or a function matches
      --exclude REGEX           hide buckets whose state or a function matches
      --stacks                  text: print every bucket's frames
      --limit N                 text: show at most N buckets per dump (default 40, 0 = all)
      --save FILE               also write the raw dump bytes read (socket, signal) to FILE
  -t, --timeout DURATION        deadline for the socket or the signal (default 30s)

Exit code: 0, or 1 when a critical finding was made, 2 when the dump could not be read.`;

const flags = {
  address: { type: 'string' },
  'debug-address': { type: 'string' },
  pid: { type: 'string' },
  shim: { type: 'string' },
  signal: { type: 'boolean' },
  'containerd-log': { type: 'string' },
  'runtime-endpoint': { type: 'string', short: 'r' },
  output: { type: 'string', short: 'o' },
  similarity: { type: 'string' },
  filter: { type: 'string', short: 'f' },
  exclude: { type: 'string' },
  stacks: { type: 'boolean' },
  limit: { type: 'string' },
  save: { type: 'string' },
  timeout: { type: 'string', short: 't' },
} as const;

/**
 * `--shim` as a pid, or the shim of a sandbox id, a container id or a pod name: the shims from
 * /proc, the task bundles and (for a name) CRI's pod list, from the registry's probes.
 */
async function resolveShimPid(target: string, ms: number, runtimeEndpoint?: string): Promise<number> {
  if (/^\d+$/.test(target)) return positiveInt(target, '--shim');
  const [{ scanProcesses, isShimProcess }, { parseShimArgs }, { resolveStack }, { collectProbes }, { whichShim }] = await Promise.all([
    import('../sources/proc/scan.ts'), import('../sources/proc/argv.ts'), import('../collect/stack.ts'),
    import('../collect/run.ts'), import('../sources/shim/which.ts'),
  ]);
  const procTable = scanProcesses({ select: () => new Map(), cmdlines: 'stack' });
  const shims = procTable.processes.filter((p) => isShimProcess(p))
    .map((p) => ({ pid: p.pid, args: parseShimArgs(p.cmdline) }))
    .filter((x) => x.args.id && !x.args.action)
    .map((x) => ({ pid: x.pid, id: x.args.id! }));
  const stack = await resolveStack({ 'runtime-endpoint': runtimeEndpoint }, { timeoutMs: ms, processes: procTable.processes });
  // a name needs CRI's pods; ids do not (and still work when CRI hangs)
  const byName = !/^[0-9a-f]+$/.test(target);
  const got = await collectProbes(byName ? ['bundles', 'cri.pods'] : ['bundles'], { stack, procTable, deadlineMs: ms * 2 });
  const bundles = (got.data('bundles')?.bundles ?? []).map((b) => ({ id: b.id, sandboxId: b.sandboxId }));
  const pods = got.data('cri.pods')?.map((p) => ({ id: p.id, name: p.metadata.name, namespace: p.metadata.namespace }));
  const choice = whichShim(target, { shims, bundles, pods });
  if ('error' in choice) {
    throw new CtrdocError('not-found', `--shim ${target}: ${choice.error}`, choice.candidates ? `one of: ${choice.candidates.join('; ')}` : 'give the shim\'s pid (ctrdoc shims lists them)');
  }
  return choice.pid;
}

function positiveInt(v: string, what: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new CtrdocError('invalid-argument', `${what}: not a pid: "${v}"`);
  return n;
}

function regex(v: string | undefined, what: string): RegExp | undefined {
  if (v === undefined) return undefined;
  try {
    return new RegExp(v);
  } catch (err) {
    throw new CtrdocError('invalid-argument', `${what}: ${(err as Error).message}`);
  }
}

/** Tees raw chunks to a file when --save is given. */
async function* saving(src: AsyncIterable<Buffer>, parts: Buffer[] | undefined): AsyncIterable<Buffer> {
  for await (const c of src) {
    parts?.push(c);
    yield c;
  }
}

async function readDump(v: Record<string, string | boolean | undefined>, positionals: string[], io: CliIO, opts: AnalyzeOptions): Promise<{ analysis: GoroutineAnalysis; from: string; raw?: Buffer[] }> {
  const ms = timeoutMs(v.timeout as string | undefined, 30_000);
  const raw: Buffer[] | undefined = v.save ? [] : undefined;
  if (positionals.length > 1) throw new CtrdocError('invalid-argument', 'one FILE at most', 'see --help');
  const file = positionals[0];
  if (file !== undefined) {
    if (file === '-') return { analysis: await analyzeStream(process.stdin as AsyncIterable<Buffer>, opts), from: 'stdin' };
    try {
      // a file is read from its end when it runs newest first, in bounded memory
      return { analysis: await analyzeFile(file, opts), from: file };
    } catch (err) {
      throw CtrdocError.from(err, `reading ${file}`);
    }
  }
  if (v.shim !== undefined) {
    const pid = await resolveShimPid(v.shim as string, ms, v['runtime-endpoint'] as string | undefined);
    if (!v.signal) throw new CtrdocError('invalid-argument', 'a shim dumps its goroutines only on SIGUSR1', 'add --signal to send it (the shim keeps running)');
    let log = v['containerd-log'] as string | undefined;
    if (!log) {
      const { resolveStack } = await import('../collect/stack.ts');
      log = (await resolveStack({ address: shimAddress(pid) }, { timeoutMs: ms })).containerdLog;
    }
    const got = await signalShimDump(pid, { timeoutMs: ms, containerdLog: log });
    raw?.push(got.text);
    const analysis = analyzeDump(got.text, opts);
    // keep only this shim's dump(s)
    const mine = analysis.dumps.filter((d) => d.origin.pid === pid);
    analysis.dumps = (mine.length ? mine : analysis.dumps).map((d, i) => ({ ...d, index: i }));
    return { analysis, from: `shim ${pid} via ${got.from}`, raw };
  }
  if (v.pid !== undefined) {
    const pid = positiveInt(v.pid as string, '--pid');
    let f = existingStacksFile(pid);
    if (v.signal) f = await signalContainerdDump(pid, { timeoutMs: ms });
    else if (!f) throw new CtrdocError('not-found', `containerd ${pid} has written no stacks file yet`, 'add --signal to send SIGUSR1 (containerd keeps running)');
    else io.stderr.write(`note: reading the dump containerd wrote ${Math.round((Date.now() - f.mtimeMs) / 1000)}s ago (${f.path}); --signal takes a fresh one\n`);
    const analysis = await analyzeStream(saving(createReadStream(f.path, { highWaterMark: 256 * 1024 }), raw), opts);
    return { analysis, from: f.path, raw };
  }
  let socket = (v.address ?? v['debug-address']) as string | undefined;
  if (!socket) {
    const { resolveStack } = await import('../collect/stack.ts');
    const loc = await resolveStack({}, { timeoutMs: ms });
    socket = loc.debugAddress;
    if (!socket) {
      throw new CtrdocError('failed-precondition', 'no dump to read: no FILE, and containerd has no [debug] address',
        'pass a FILE, --address SOCK, or --pid PID --signal (SIGUSR1 dump)');
    }
  }
  const body = await openDebugStream(socket, GOROUTINE_DUMP_PATH, { timeoutMs: ms });
  return { analysis: await analyzeStream(saving(body, raw), opts), from: `${socket} ${GOROUTINE_DUMP_PATH}`, raw };
}

function bucketMatches(b: GoroutineBucket, re: RegExp): boolean {
  return re.test(b.state) || b.frames.some((f) => re.test(f.func)) || (b.createdBy ? re.test(b.createdBy.func) : false);
}

function filterAnalysis(a: GoroutineAnalysis, keep?: RegExp, drop?: RegExp): GoroutineAnalysis {
  if (!keep && !drop) return a;
  return {
    ...a,
    dumps: a.dumps.map((d) => ({
      ...d,
      buckets: d.buckets.filter((b) => (!keep || bucketMatches(b, keep)) && (!drop || !bucketMatches(b, drop))),
    })),
  };
}

const goroutines: Command = {
  summary: 'read and explain a goroutine dump of containerd or a shim (file, debug socket, SIGUSR1)',
  usage,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values: v, positionals } = parseFlags(args, flags);
    const format = (v.output ?? 'text') === 'table' ? 'text' : (v.output ?? 'text');
    if (!['text', 'json', 'html'].includes(format)) {
      throw new CtrdocError('invalid-argument', `unsupported output format "${v.output}"`, 'use one of: text, json, html');
    }
    const similarity = (v.similarity ?? 'pointer') as GoroutineSimilarity;
    if (!['exact', 'pointer', 'value'].includes(similarity)) {
      throw new CtrdocError('invalid-argument', `unknown similarity "${v.similarity}"`, 'use exact, pointer or value');
    }
    const keep = regex(v.filter, '--filter');
    const drop = regex(v.exclude, '--exclude');
    const limit = v.limit === undefined ? 40 : Number(v.limit);
    if (!Number.isInteger(limit) || limit < 0) throw new CtrdocError('invalid-argument', `--limit: not a count: "${v.limit}"`);

    const { analysis, from, raw } = await readDump(v, positionals, io, { similarity });
    if (v.save && raw) writeFileSync(v.save, Buffer.concat(raw));
    const shown = filterAnalysis(analysis, keep, drop);
    if (format === 'json') io.stdout.write(JSON.stringify(shown, null, 2) + '\n');
    else if (format === 'html') io.stdout.write(renderGoroutinesHtml(shown, `ctrdoc goroutines: ${from}`));
    else io.stdout.write(renderText(shown, { stacks: v.stacks, limit, from }));
    for (const d of analysis.dumps) if (d.cut) io.stderr.write(`warning: dump ${d.index + 1} is cut at byte ${d.cut.offset}: ${d.cut.reason}\n`);
    const critical = analysis.dumps.some((d) => d.findings.some((f) => f.severity === 'critical'));
    return critical ? EXIT_FINDINGS : EXIT_OK;
  },
};

export default goroutines;
