// `ctrdoc watch`: the stack as it changes, one line per change (src/watch), as text or JSON lines
// (src/report/watch-line.ts). Read-only: it subscribes, lists, reads /proc and runc's state, and
// runs the doctor's own collection and rules for the incidents; it never signals or changes anything.
import type { CliIO, Command } from './command.ts';
import { parseFlags, outputFormat } from './flags.ts';
import { collectFlags, collectLive, collectSettings, collectUsageWithout } from './collect-live.ts';
import { parseDuration } from '../deadline.ts';
import { CtrdocError, EXIT_OK } from '../errors.ts';
import { DEFAULT_STUCK_AFTER_SEC } from '../collect/context.ts';
import { DEFAULT_DIAGNOSIS_POLICY } from '../watch/schedule.ts';

const usage = `Usage: ctrdoc watch [-o text|json] [--pod POD] [--for DURATION] [flags]

Follows the stack and prints one line per change, with its time:
  - containerd's events (task create, start, exit, delete, OOM, exec, containers, images), named
    by pod and container; CRI's container events too where containerd gives every reader each
    event (2.x; never on 1.7, where a second reader takes kubelet's events; 1.6 has none);
  - what events never say, polled every --interval from /proc and runc's state (no call per
    container): a runc init parked on exec.fifo, and its age as it crosses --stuck-after, 5m,
    15m, 1h...; a shim starting or exiting; a stack process stopped (T), traced (t), in D or a
    zombie, and back; containerd not answering within --probe-timeout, and answering again;
    containerd exiting, starting or restarting (a new pid);
  - the doctor's incidents opening and closing, with their one-line cause: the same collection,
    rules and incidents as \`ctrdoc doctor\`, run at start, every --diagnose-every and soon after
    a change the polls saw (less often while containerd does not answer). After the first, an
    incident opens (or changes severity) once two diagnoses in a row find it so: one snapshot
    can catch a pod mid-removal.
It keeps running while containerd is stopped, hung or gone, and follows it again when it comes
back. Stop it with Ctrl-C (SIGINT) or SIGTERM (exit 0), or give --for.

Flags:
  -o, --output FORMAT      text (default) | json (one object per line: time, kind, source,
                           severity, pod, podSandboxId, container, sandbox, containerId, attempt,
                           pid, role, message, topic, exitStatus, ageSec, state, previousState,
                           incident)
  -p, --pod POD            only this pod's lines (sandbox id or its start, name, or namespace/name)
                           and the stack's own; its incidents as \`doctor --pod\` finds them
      --for DURATION       stop after this long (e.g. 10m)
      --interval DURATION  poll /proc and runc's state this often (default 2s)
      --diagnose-every D   run the diagnosis at least this often (default 60s; 0: never, no incidents)
      --no-cri-events      do not read CRI's GetContainerEvents even where it is safe (2.x)

Collection (as doctor, for the diagnosis; --probe-timeout is also the ping's deadline):
${collectUsageWithout('--signal', '--canary')}`;

function durationFlag(name: string, v: string | undefined, fallback: number, min: number): number {
  if (v === undefined) return fallback;
  const ms = parseDuration(v, `--${name}`);
  if (ms !== 0 && ms < min) throw new CtrdocError('invalid-argument', `--${name} must be at least ${min} ms, not "${v}"`);
  return ms;
}

const { signal: _signal, ...watchCollectFlags } = collectFlags;

const watch: Command = {
  summary: 'follow the stack live: events, parked inits, shims, process states, containerd answering, incidents',
  usage,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values } = parseFlags(args, {
      ...watchCollectFlags,
      output: { type: 'string', short: 'o' },
      pod: { type: 'string', short: 'p' },
      for: { type: 'string' },
      interval: { type: 'string' },
      'diagnose-every': { type: 'string' },
      'no-cri-events': { type: 'boolean' },
    }, false);
    const format = outputFormat(values.output ?? 'text', ['text', 'json']);
    const intervalMs = durationFlag('interval', values.interval, 2000, 200);
    if (intervalMs === 0) throw new CtrdocError('invalid-argument', '--interval must be more than 0');
    const diagnoseEveryMs = durationFlag('diagnose-every', values['diagnose-every'], DEFAULT_DIAGNOSIS_POLICY.everyMs, 1000);
    const forMs = values.for !== undefined ? parseDuration(values.for, '--for') : undefined;
    // the diagnosis collects as doctor does, again and again: a bad collection flag is said now
    const settings = collectSettings(values);
    const callTimeoutMs = settings.perCallMs;
    const stuckAfterSec = settings.stuckAfterSec ?? DEFAULT_STUCK_AFTER_SEC;
    if (values.pod !== undefined && !values.pod.trim()) throw new CtrdocError('invalid-argument', '--pod: empty', 'give a pod sandbox id (or its start), a name, or namespace/name: ctrdoc cri pods');

    const [{ resolveStack, daemonChoiceNote }, { scanProcesses }, { Watcher }, { renderWatchLine }] = await Promise.all([
      import('../collect/stack.ts'), import('../sources/proc/scan.ts'), import('../watch/watcher.ts'), import('../report/watch-line.ts'),
    ]);
    const stack = await resolveStack(values, { timeoutMs: callTimeoutMs, processes: scanProcesses({ cmdlines: 'stack' }).processes });
    const choice = daemonChoiceNote(stack);
    if (choice) io.stderr.write(`note: ${choice}\n`);

    const { ProbeKeeper, keepKeyOf } = await import('../watch/keep.ts');
    const keeper = new ProbeKeeper();
    // the doctor's own collection, rules and incidents; what cannot have changed is kept (keep.ts)
    const diagnose = diagnoseEveryMs === 0 ? undefined : async ({ containerdPid }: { containerdPid?: number }) => {
      const [{ allRules, evaluate }, { buildReport, focusOnPod }] = await Promise.all([import('../rules/index.ts'), import('../report/doctor-report.ts')]);
      const reuse = keeper.reuseFor(keepKeyOf(containerdPid, stack.containerdConfig));
      const snapshot = await collectLive(values, io, false, { notes: false, reuse });
      keeper.keep(snapshot);
      const full = buildReport(snapshot, evaluate(allRules, snapshot));
      if (values.pod === undefined) return full.incidents;
      try {
        return focusOnPod(full, snapshot, values.pod).incidents;
      } catch {
        // the pod is gone (or not there yet): the stack's own incidents are still every pod's
        return full.incidents.filter((i) => !i.pods.length);
      }
    };

    const color = format === 'text' && !!(io.stdout as NodeJS.WriteStream).isTTY;
    const w = new Watcher({
      stack,
      intervalMs,
      callTimeoutMs,
      stuckAfterSec,
      diagnose,
      policy: { everyMs: diagnoseEveryMs, minGapMs: Math.min(DEFAULT_DIAGNOSIS_POLICY.minGapMs, diagnoseEveryMs) },
      criEvents: !values['no-cri-events'],
      pod: values.pod,
      emit: (l) => io.stdout.write(renderWatchLine(l, format, { color })),
      note: (text) => io.stderr.write(`watch: ${text}\n`),
    });
    io.stderr.write(`watch: following containerd${stack.containerdPid ? ` ${stack.containerdPid}` : ''} at ${stack.address} (namespace ${stack.namespace}, runc root ${stack.runcRoot}); ` +
      `polling every ${values.interval ?? '2s'}${diagnose ? `, diagnosis every ${values['diagnose-every'] ?? '60s'} and on change` : ', no diagnosis'}${forMs !== undefined ? `, for ${values.for}` : ''}\n`);
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        clearTimeout(timer);
        w.stop();
        resolve();
      };
      const timer = forMs !== undefined ? setTimeout(stop, forMs) : undefined;
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      w.start();
    });
    return EXIT_OK;
  },
};

export default watch;
