// `ctrdoc doctor`: the seed's whole method in one command. Collects a Snapshot of every layer
// under a deadline, runs the rules, prints the findings. Read-only, except --canary (which
// starts and removes a scratch pod) and --signal (SIGUSR1 to containerd for a goroutine dump).
import { writeFileSync } from 'node:fs';
import type { CliIO, Command } from './command.ts';
import { parseFlags } from './flags.ts';
import { collectFlags, collectLive, collectUsage } from './collect-live.ts';
import { DOCTOR_FORMATS, type DoctorFormat } from '../report/doctor-output.ts';
import { CtrdocError } from '../errors.ts';
import type { Severity } from '../snapshot/types/index.ts';

const usage = `Usage: ctrdoc doctor [flags]

Walks the stack layer by layer (kubelet, CRI, containerd, shims, runc, the node), joins what it
sees, and reports what is wrong with its evidence and next step. Read-only unless --canary or
--signal is given. Exit code: 0 nothing at or above --severity, 1 findings, 2 ctrdoc failed.

Flags:
  -o, --output FORMAT      (or --format) text (default) | json | yaml | npd (node-problem-detector plugin:
                           one line <= 80 chars; exit 0 ok, 1 problem, 2 unknown) | prometheus (text
                           exposition, e.g. for node_exporter's textfile collector)
  -A, --all                also list the checks that passed or were skipped
      --severity LEVEL     exit 1 at this level or worse: critical | warning (default) | info
  -p, --pod POD            one pod's findings (sandbox id or its start, name, or namespace/name)
                           and the stack's own; findings about other pods are left out
      --canary             CHANGES THE NODE briefly: start and remove a scratch container through
                           CRI to prove the node can start containers
      --snapshot FILE      also write the collected Snapshot (JSON) to FILE

Collection (shared with bundle and report):
${collectUsage}`;

const severities: Severity[] = ['critical', 'warning', 'info'];

const doctor: Command = {
  summary: 'find what is wrong in the stack, with evidence and next steps',
  usage,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values } = parseFlags(args, {
      ...collectFlags,
      output: { type: 'string', short: 'o' },
      format: { type: 'string' },
      all: { type: 'boolean', short: 'A' },
      severity: { type: 'string' },
      pod: { type: 'string', short: 'p' },
      canary: { type: 'boolean' },
      snapshot: { type: 'string' },
    }, false);
    // --format npd is node-problem-detector's spelling in plugin configs; -o is kubectl's
    const format = values.output ?? values.format ?? 'text';
    if (!(DOCTOR_FORMATS as string[]).includes(format)) {
      throw new CtrdocError('invalid-argument', `unsupported output format "${format}"`, `use ${DOCTOR_FORMATS.join(', ')}`);
    }
    const threshold = (values.severity ?? 'warning') as Severity;
    if (!severities.includes(threshold)) throw new CtrdocError('invalid-argument', `--severity: "${values.severity}" is not critical, warning or info`);
    const [{ allRules, evaluate }, { buildReport, focusOnPod }] = await Promise.all([
      import('../rules/index.ts'),
      import('../report/doctor-report.ts'),
    ]);
    const snapshot = await collectLive(values, io, io.isTTY && format === 'text', { canary: values.canary });
    if (values.snapshot) writeFileSync(values.snapshot, JSON.stringify(snapshot, null, 2) + '\n');
    const full = buildReport(snapshot, evaluate(allRules, snapshot));
    const report = values.pod ? focusOnPod(full, snapshot, values.pod) : full;
    const { renderDoctorOutput } = await import('../report/doctor-output.ts');
    const out = await renderDoctorOutput(report, format as DoctorFormat, {
      all: values.all, color: !!(io.stdout as NodeJS.WriteStream).isTTY, threshold,
    });
    io.stdout.write(out.text);
    return out.exitCode;
  },
};

export default doctor;
