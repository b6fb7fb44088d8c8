// containerd's goroutines, only when something looks hung (CRI timed out, runc inits parked):
// from the debug socket, or with SIGUSR1 when the command allows signals. Never SIGQUIT.
import type { GoroutineAnalysis } from '../../snapshot/types/index.ts';
import { skip, type Probe } from '../probe.ts';
import type { Got } from '../results.ts';

const DUMP_MS = 5000;

/** Worth a goroutine dump: CRI did not answer, or tasks look created and never started. */
export function looksHung(got: Got): boolean {
  const criHung = (['cri.version', 'cri.status', 'cri.pods', 'cri.containers'] as const).some((n) => got.result(n)?.status === 'timeout');
  const stuck = got.data('tree')?.facts.some((f) => f.kind === 'stuck-runc-init' || f.kind === 'repeated-runc-init') ?? false;
  return criHung || stuck;
}

export const containerdGoroutines: Probe<'containerd.goroutines', GoroutineAnalysis> = {
  name: 'containerd.goroutines',
  needs: ['cri.version', 'cri.status', 'cri.pods', 'cri.containers', 'tree', 'containerd.process'],
  budget: DUMP_MS,
  async run(ctx, got) {
    const mode = ctx.opts.goroutines ?? 'auto';
    if (mode === 'off') skip('not asked (--no-goroutines)');
    if (!looksHung(got)) skip('nothing looks hung');
    const proc = got.data('containerd.process');
    if (proc?.state === 'T') skip('containerd is stopped (T): it cannot answer the debug socket or a signal until SIGCONT');
    const { analyzeStream, analyzeFile } = await import('../../goroutines/index.ts');
    const timeoutMs = ctx.budget(DUMP_MS);
    const debug = ctx.stack.debugAddress;
    if (debug) {
      const [{ openDebugStream, GOROUTINE_DUMP_PATH }, { socketPathOf }] = await Promise.all([
        import('../../sources/debug/http.ts'), import('../../sources/protocol/endpoint.ts'),
      ]);
      return analyzeStream(await openDebugStream(socketPathOf(debug), GOROUTINE_DUMP_PATH, { timeoutMs, maxBytes: 512 << 20 }));
    }
    if (mode === 'signal' && proc) {
      const { signalContainerdDump } = await import('../../sources/debug/signal.ts');
      return analyzeFile((await signalContainerdDump(proc.pid, { timeoutMs })).path);
    }
    skip('no debug socket ([debug] address) and --signal not given');
  },
};
