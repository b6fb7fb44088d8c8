// The doctor's output step, shared by `ctrdoc doctor` (live) and `ctrdoc analyze` (a bundle): one
// report, rendered as text, JSON, YAML or the node-problem-detector line, with the exit code that
// goes with it (0 nothing at or above the threshold, 1 findings, 2 could not check for NPD).
import { EXIT_FAILED, EXIT_FINDINGS, EXIT_OK } from '../errors.ts';
import type { Severity } from '../snapshot/types/index.ts';
import { hasFindingsAtOrAbove, type DoctorReport } from './doctor-report.ts';
import { redactJson } from '../bundle/redact.ts';

export type DoctorFormat = 'text' | 'json' | 'yaml' | 'npd' | 'prometheus';
export const DOCTOR_FORMATS: DoctorFormat[] = ['text', 'json', 'yaml', 'npd', 'prometheus'];

/**
 * The report as it may leave the node (a terminal over SSH, `kubectl ctrdoc`, `serve`): log lines
 * and values in the evidence go through the bundle's redaction (tokens, keys, passwords, env).
 */
export function redactedReport(report: DoctorReport): DoctorReport {
  return redactJson(report, 'report', []) as DoctorReport;
}

export async function renderDoctorOutput(reportIn: DoctorReport, format: DoctorFormat, opts: { all?: boolean; color?: boolean; threshold: Severity }): Promise<{ text: string; exitCode: number }> {
  const report = redactedReport(reportIn);
  const problem = hasFindingsAtOrAbove(report, opts.threshold);
  switch (format) {
    case 'json':
    case 'yaml': {
      const { renderStructured } = await import('./structured.ts');
      return { text: await renderStructured(report, format), exitCode: problem ? EXIT_FINDINGS : EXIT_OK };
    }
    case 'prometheus': {
      const { renderPrometheus } = await import('./prometheus.ts');
      return { text: renderPrometheus(report), exitCode: problem ? EXIT_FINDINGS : EXIT_OK };
    }
    case 'npd': {
      const { renderNpdLine } = await import('./doctor-text.ts');
      const exitCode = problem ? EXIT_FINDINGS
        : report.findings.some((f) => f.status === 'error' && f.severity === 'critical') ? EXIT_FAILED : EXIT_OK;
      return { text: renderNpdLine(report), exitCode };
    }
    default: {
      const { renderDoctorText } = await import('./doctor-text.ts');
      return { text: renderDoctorText(report, { all: opts.all, color: opts.color }), exitCode: problem ? EXIT_FINDINGS : EXIT_OK };
    }
  }
}
