// `ctrdoc analyze FILE.tar.gz`: the doctor's rules on a bundle's Snapshot, away from the node,
// rendered exactly as `ctrdoc doctor` renders them. The archive is read into memory under caps;
// nothing is unpacked to disk.
import type { CliIO, Command } from './command.ts';
import { parseFlags } from './flags.ts';
import { DOCTOR_FORMATS, type DoctorFormat } from '../report/doctor-output.ts';
import { CtrdocError } from '../errors.ts';
import type { Severity } from '../snapshot/types/index.ts';

const usage = `Usage: ctrdoc analyze FILE.tar.gz [flags]

Runs the doctor's rules on the Snapshot inside a support bundle written by \`ctrdoc bundle\`, and
prints the findings exactly as \`ctrdoc doctor\` would have on the node. The bundle is read into
memory and checked: absolute or ".." paths, links, devices, oversized entries and gzip bombs
are refused with a message naming the entry; nothing is written to disk.
Exit code: 0 nothing at or above --severity, 1 findings, 2 the bundle could not be read.

Flags:
  -o, --output FORMAT      text (default) | json | yaml | npd (alias --format, as doctor)
  -A, --all                also list the checks that passed or were skipped
      --severity LEVEL     exit 1 at this level or worse: critical | warning (default) | info
  -p, --pod POD            one pod's findings and the stack's own (as doctor)
      --manifest           print the bundle's manifest (what was collected, cut and redacted)
                           instead of the findings`;

const severities: Severity[] = ['critical', 'warning', 'info'];

const analyze: Command = {
  summary: 'run the doctor\'s rules on a support bundle (offline), same outputs as doctor',
  usage,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseFlags(args, {
      output: { type: 'string', short: 'o' },
      format: { type: 'string' },
      all: { type: 'boolean', short: 'A' },
      severity: { type: 'string' },
      pod: { type: 'string', short: 'p' },
      manifest: { type: 'boolean' },
    });
    if (positionals.length !== 1) throw new CtrdocError('invalid-argument', positionals.length ? 'give exactly one bundle' : 'no bundle given', 'ctrdoc analyze FILE.tar.gz');
    const format = values.output ?? values.format ?? 'text';
    if (!(DOCTOR_FORMATS as string[]).includes(format)) {
      throw new CtrdocError('invalid-argument', `unsupported output format "${format}"`, `use ${DOCTOR_FORMATS.join(', ')}`);
    }
    const threshold = (values.severity ?? 'warning') as Severity;
    if (!severities.includes(threshold)) throw new CtrdocError('invalid-argument', `--severity: "${values.severity}" is not critical, warning or info`);

    const [{ readBundle }, { allRules, evaluate }, { buildReport, focusOnPod }, { renderDoctorOutput }] = await Promise.all([
      import('../bundle/read.ts'),
      import('../rules/index.ts'),
      import('../report/doctor-report.ts'),
      import('../report/doctor-output.ts'),
    ]);
    const b = await readBundle(positionals[0]);
    if (values.manifest) {
      const { renderStructured } = await import('../report/structured.ts');
      io.stdout.write(await renderStructured(b.manifest, format === 'yaml' ? 'yaml' : 'json'));
      return 0;
    }
    if (format === 'text') {
      io.stderr.write(`bundle ${b.topDir}: made ${b.manifest.createdAt}${b.manifest.redacted ? '' : ' (NOT redacted)'}, ${b.files.size} files\n`);
    }
    const full = buildReport(b.snapshot, evaluate(allRules, b.snapshot));
    const report = values.pod ? focusOnPod(full, b.snapshot, values.pod) : full;
    const out = await renderDoctorOutput(report, format as DoctorFormat, { all: values.all, color: !!(io.stdout as NodeJS.WriteStream).isTTY, threshold });
    io.stdout.write(out.text);
    return out.exitCode;
  },
};

export default analyze;
