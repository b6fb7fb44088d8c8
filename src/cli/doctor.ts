// `ctrdoc doctor`: the seed's whole method in one command. Collects a Snapshot of every layer
// under a deadline, runs the rules, prints the findings. Read-only, except --canary (which
// starts and removes a scratch pod) and --signal (SIGUSR1 to containerd for a goroutine dump).
import { writeFileSync } from 'node:fs';
import type { CliIO, Command } from './command.ts';
import { parseFlags, stackFlags, stackFlagsUsage } from './flags.ts';
import { parseDuration } from '../deadline.ts';
import { CtrdocError } from '../errors.ts';
import type { Severity } from '../snapshot/types/index.ts';

const usage = `Usage: ctrdoc doctor [flags]

Walks the stack layer by layer (kubelet, CRI, containerd, shims, runc, the node), joins what it
sees, and reports what is wrong with its evidence and next step. Read-only unless --canary or
--signal is given. Exit code: 0 nothing at or above --severity, 1 findings, 2 ctrdoc failed.

Flags:
  -o, --output FORMAT      (or --format) text (default) | json | yaml | npd (node-problem-detector plugin:
                           one line <= 80 chars; exit 0 ok, 1 problem, 2 unknown)
  -A, --all                also list the checks that passed or were skipped
      --severity LEVEL     exit 1 at this level or worse: critical | warning (default) | info
      --timeout DURATION   overall deadline for the whole collection (default 10s)
      --probe-timeout D    deadline for each call to the runtime (default 2s)
      --canary             CHANGES THE NODE briefly: start and remove a scratch container through
                           CRI to prove the node can start containers
      --signal             allow SIGUSR1 to containerd for a goroutine dump when it looks hung
                           (never SIGQUIT); without it only the debug socket is used
      --no-goroutines      never take a goroutine dump
      --stuck-after D      a container Created, or a runc init parked, this long is stuck
                           (default 60s)
      --snapshot FILE      also write the collected Snapshot (JSON) to FILE
      --kubelet-config F   kubelet config file (default: from kubelet's --config)
      --kubeadm-flags F    kubeadm flags file (default /var/lib/kubelet/kubeadm-flags.env)

${stackFlagsUsage.replace(/\n {2}-t, --timeout DURATION\s+deadline for each call \(default 2s\)/, '')}`;

const severities: Severity[] = ['critical', 'warning', 'info'];

const doctor: Command = {
  summary: 'find what is wrong in the stack, with evidence and next steps',
  usage,
  async run(args: string[], io: CliIO): Promise<number> {
    const { timeout: _perCall, ...stackOnly } = stackFlags;
    const { values } = parseFlags(args, {
      ...stackOnly,
      output: { type: 'string', short: 'o' },
      format: { type: 'string' },
      all: { type: 'boolean', short: 'A' },
      severity: { type: 'string' },
      timeout: { type: 'string' },
      'probe-timeout': { type: 'string' },
      canary: { type: 'boolean' },
      signal: { type: 'boolean' },
      'no-goroutines': { type: 'boolean' },
      'stuck-after': { type: 'string' },
      snapshot: { type: 'string' },
      'kubelet-config': { type: 'string' },
      'kubeadm-flags': { type: 'string' },
    }, false);
    // --format npd is node-problem-detector's spelling in plugin configs; -o is kubectl's
    const format = values.output ?? values.format ?? 'text';
    if (!['text', 'json', 'yaml', 'npd'].includes(format)) {
      throw new CtrdocError('invalid-argument', `unsupported output format "${format}"`, 'use text, json, yaml or npd');
    }
    const threshold = (values.severity ?? 'warning') as Severity;
    if (!severities.includes(threshold)) throw new CtrdocError('invalid-argument', `--severity: "${values.severity}" is not critical, warning or info`);
    const deadlineMs = values.timeout ? parseDuration(values.timeout) : 10_000;
    const perCall = values['probe-timeout'] ? parseDuration(values['probe-timeout']) : 2000;

    const [{ resolveStack }, { collect }, { allRules, evaluate }, { buildReport }] = await Promise.all([
      import('../sources/containerd/discover.ts'),
      import('../snapshot/collect.ts'),
      import('../rules/index.ts'),
      import('../report/doctor-report.ts'),
    ]);
    // One pass over /proc serves both discovery (which containerd?) and the process tree.
    const { scanProcesses } = await import('../sources/proc/scan.ts');
    let procTable;
    try {
      procTable = scanProcesses();
    } catch {
      procTable = undefined; // collect() scans again and records the error as a probe result
    }
    const stack = resolveStack(values, Math.min(perCall, deadlineMs), process.env, procTable?.processes);
    const progress = io.isTTY && format === 'text';
    let done = 0;
    const snapshot = await collect({
      stack,
      deadlineMs,
      canary: values.canary,
      procTable,
      stuckAfterSec: values['stuck-after'] ? parseDuration(values['stuck-after']) / 1000 : undefined,
      goroutines: values['no-goroutines'] ? 'off' : values.signal ? 'signal' : 'auto',
      kubeletFiles: {
        ...(values['kubelet-config'] ? { config: values['kubelet-config'] } : {}),
        ...(values['kubeadm-flags'] ? { kubeadmFlags: values['kubeadm-flags'] } : {}),
      },
      onProgress: progress ? (t) => io.stderr.write(`\r\x1b[Kcollecting: ${++done} probes done (${t.probe} ${t.status})`) : undefined,
    });
    if (progress) io.stderr.write('\r\x1b[K');
    if (values.snapshot) writeFileSync(values.snapshot, JSON.stringify(snapshot, null, 2) + '\n');
    const report = buildReport(snapshot, evaluate(allRules, snapshot));
    const { renderDoctorOutput } = await import('../report/doctor-output.ts');
    const out = await renderDoctorOutput(report, format as 'text' | 'json' | 'yaml' | 'npd', {
      all: values.all, color: !!(io.stdout as NodeJS.WriteStream).isTTY, threshold,
    });
    io.stdout.write(out.text);
    return out.exitCode;
  },
};

export default doctor;
