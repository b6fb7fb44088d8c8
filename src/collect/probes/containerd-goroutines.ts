// containerd's goroutines. From the debug socket on every run when it is there: reading it is
// cheap (bench/goroutines-dump.ts) and changes nothing, and a known deadlock (containerd#6772) or
// a lock-order inversion is conclusive at any age, long before anything else looks hung. With
// SIGUSR1 only when the command allows signals and something looks hung (CRI timed out, runc
// inits parked, a process of the stack stopped or in D). Never SIGQUIT.
import type { GoroutineAnalysis } from '../../snapshot/types/index.ts';
import type { ProcessRole } from '../../snapshot/types/tree.ts';
import { skip, type Probe } from '../probe.ts';
import type { Got } from '../results.ts';

const DUMP_MS = 5000;

/** Processes of the stack whose T (stopped), t (traced) or D state holds others up. */
const STACK_ROLES: ReadonlySet<ProcessRole> = new Set(['containerd', 'shim', 'pause', 'runc-init', 'runc']);

/**
 * Worth a signal: CRI did not answer, tasks look created and never started, or a process of the
 * stack is stopped, traced or in D (its callers wait in containerd).
 */
export function looksHung(got: Got): boolean {
  const criHung = (['cri.version', 'cri.status', 'cri.pods', 'cri.containers'] as const).some((n) => got.result(n)?.status === 'timeout');
  const tree = got.data('tree');
  const stuck = tree?.facts.some((f) => f.kind === 'stuck-runc-init' || f.kind === 'repeated-runc-init') ?? false;
  const held = tree?.processes.some((p) => STACK_ROLES.has(p.role) && /^[TtD]/.test(p.stat)) ?? false;
  return criHung || stuck || held;
}

export const containerdGoroutines: Probe<'containerd.goroutines', GoroutineAnalysis> = {
  name: 'containerd.goroutines',
  // the debug socket is read at once; the signal path waits for what says "looks hung" (settled)
  needs: ['containerd.process'],
  budget: DUMP_MS,
  async run(ctx, got) {
    const mode = ctx.opts.goroutines ?? 'auto';
    if (mode === 'off') skip('not asked (--no-goroutines)');
    const proc = got.data('containerd.process');
    if (proc?.state === 'T') skip('containerd is stopped (T): it cannot answer the debug socket or a signal until SIGCONT');
    const { analyzeStream, analyzeFile } = await import('../../goroutines/index.ts');
    const debug = ctx.stack.debugAddress;
    if (debug) {
      const [{ openDebugStream, GOROUTINE_DUMP_PATH }, { socketPathOf }] = await Promise.all([
        import('../../sources/debug/http.ts'), import('../../sources/protocol/endpoint.ts'),
      ]);
      return analyzeStream(await openDebugStream(socketPathOf(debug), GOROUTINE_DUMP_PATH, { timeoutMs: ctx.budget(DUMP_MS), maxBytes: 512 << 20 }));
    }
    if (mode !== 'signal') skip('no debug socket ([debug] address) and --signal not given');
    if (!proc) skip('no containerd process to signal');
    await Promise.all((['cri.version', 'cri.status', 'cri.pods', 'cri.containers', 'tree'] as const).map((n) => got.settled(n)));
    if (!looksHung(got)) skip('no debug socket, and nothing looked hung to send SIGUSR1 for');
    const { signalContainerdDump } = await import('../../sources/debug/signal.ts');
    return analyzeFile((await signalContainerdDump(proc.pid, { timeoutMs: ctx.budget(DUMP_MS) })).path);
  },
};
