// The doctor's report step, shared by `ctrdoc doctor` (a live Snapshot) and `ctrdoc analyze` (a
// bundle's): the same flags, the same rules, the same --pod focus and the same outputs.
import type { CliIO } from './command.ts';
import { DOCTOR_FORMATS, type DoctorFormat } from '../report/doctor-output.ts';
import { CtrdocError } from '../errors.ts';
import type { Severity, Snapshot } from '../snapshot/types/index.ts';

export const reportFlags = {
  output: { type: 'string', short: 'o' },
  format: { type: 'string' },
  all: { type: 'boolean', short: 'A' },
  severity: { type: 'string' },
  pod: { type: 'string', short: 'p' },
} as const;

export const reportUsage = `  -o, --output FORMAT      (or --format) text (default: the DIAGNOSIS, then the detail by layer) |
                           json | yaml (incidents[] and every finding) | npd (node-problem-detector
                           plugin: one line <= 80 chars naming the top incident's cause; exit 0 ok,
                           1 problem, 2 unknown) | prometheus (text exposition, one ctrdoc_incident
                           series per incident; e.g. for node_exporter's textfile collector)
  -A, --all                also list the checks that passed or were skipped
      --severity LEVEL     exit 1 at this level or worse: critical | warning (default) | info
  -p, --pod POD            one pod's findings (sandbox id or its start, name, or namespace/name)
                           and the stack's own; findings about other pods are left out`;

export interface ReportOptions {
  format: DoctorFormat;
  threshold: Severity;
  all?: boolean;
  pod?: string;
}

const severities: Severity[] = ['critical', 'warning', 'info'];

/** Checks the report flags before any work is done. */
export function reportOptions(values: { output?: string; format?: string; all?: boolean; severity?: string; pod?: string }): ReportOptions {
  // --format npd is node-problem-detector's spelling in plugin configs; -o is kubectl's
  const format = values.output ?? values.format ?? 'text';
  if (!(DOCTOR_FORMATS as string[]).includes(format)) {
    throw new CtrdocError('invalid-argument', `unsupported output format "${format}"`, `use ${DOCTOR_FORMATS.join(', ')}`);
  }
  const threshold = (values.severity ?? 'warning') as Severity;
  if (!severities.includes(threshold)) throw new CtrdocError('invalid-argument', `--severity: "${values.severity}" is not critical, warning or info`);
  return { format: format as DoctorFormat, threshold, all: values.all, pod: values.pod };
}

/** Runs the rules on the Snapshot, focuses on --pod, writes the report; returns the exit code. */
export async function writeDoctorReport(snapshot: Snapshot, o: ReportOptions, io: CliIO): Promise<number> {
  const [{ allRules, evaluate }, { buildReport, focusOnPod }, { renderDoctorOutput }] = await Promise.all([
    import('../rules/index.ts'),
    import('../report/doctor-report.ts'),
    import('../report/doctor-output.ts'),
  ]);
  const full = buildReport(snapshot, evaluate(allRules, snapshot));
  const report = o.pod !== undefined ? focusOnPod(full, snapshot, o.pod) : full;
  const out = await renderDoctorOutput(report, o.format, { all: o.all, color: !!(io.stdout as NodeJS.WriteStream).isTTY, threshold: o.threshold });
  io.stdout.write(out.text);
  return out.exitCode;
}
