// `ctrdoc analyze FILE.tar.gz`: the doctor's rules on a bundle's Snapshot, away from the node,
// rendered exactly as `ctrdoc doctor` renders them. The archive is read into memory under caps;
// nothing is unpacked to disk.
import type { CliIO, Command } from './command.ts';
import { parseFlags } from './flags.ts';
import { CtrdocError } from '../errors.ts';
import { reportFlags, reportOptions, reportUsage, writeDoctorReport } from './doctor-report-step.ts';

const usage = `Usage: ctrdoc analyze FILE.tar.gz [flags]

Runs the doctor's rules on the Snapshot inside a support bundle written by \`ctrdoc bundle\`, and
prints the findings exactly as \`ctrdoc doctor\` would have on the node. Every goroutine dump
the bundle carries (goroutines/*.txt) is analysed too, also when the live run took none. The bundle is read into
memory and checked: absolute or ".." paths, links, devices, oversized entries and gzip bombs
are refused with a message naming the entry; nothing is written to disk.
Exit code: 0 nothing at or above --severity, 1 findings, 2 the bundle could not be read.

Flags:
${reportUsage}
      --manifest           print the bundle's manifest (what was collected, cut and redacted)
                           instead of the findings`;

const analyze: Command = {
  summary: 'run the doctor\'s rules on a support bundle (offline), same outputs as doctor',
  usage,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseFlags(args, {
      ...reportFlags,
      manifest: { type: 'boolean' },
    });
    if (positionals.length !== 1) throw new CtrdocError('invalid-argument', positionals.length ? 'give exactly one bundle' : 'no bundle given', 'ctrdoc analyze FILE.tar.gz');
    const o = reportOptions(values);
    const { readBundle } = await import('../bundle/read.ts');
    const b = await readBundle(positionals[0]);
    if (values.manifest) {
      const { renderStructured } = await import('../report/structured.ts');
      io.stdout.write(await renderStructured(b.manifest, o.format === 'yaml' ? 'yaml' : 'json'));
      return 0;
    }
    if (o.format === 'text') {
      io.stderr.write(`bundle ${b.topDir}: made ${b.manifest.createdAt}${b.manifest.redacted ? '' : ' (NOT redacted)'}, ${b.files.size} files\n`);
    }
    // every goroutine dump the bundle carries is judged, whether or not the live run analysed one
    const { withBundleDumps } = await import('../bundle/dumps.ts');
    return writeDoctorReport(await withBundleDumps(b.snapshot, b.files), o, io);
  },
};

export default analyze;
