// `ctrdoc report --html`: the doctor's findings, the stack, the process tree, the goroutine
// buckets and the probe timings as one self-contained HTML file, live or from a bundle.
import { writeFileSync } from 'node:fs';
import type { CliIO, Command } from './command.ts';
import { parseFlags } from './flags.ts';
import { CtrdocError, EXIT_OK } from '../errors.ts';
import { collectFlags, collectLive, collectUsage } from './collect-live.ts';
import type { Snapshot } from '../snapshot/types/index.ts';

const usage = `Usage: ctrdoc report --html [-o FILE] [--from FILE.tar.gz] [flags]

Writes one self-contained HTML file (inline CSS and JS, nothing fetched; open it anywhere): the
stack kubelet → containerd → shims → runc coloured by its worst finding, the findings with their
evidence and next steps, the process tree with roles, containerd's goroutine buckets, and how
long each probe took. Collects live like \`ctrdoc doctor\`, or reads a bundle with --from.

Flags:
      --html               the format (the only one for now; required)
  -o, --output FILE        where to write (default: stdout)
      --from FILE.tar.gz   a bundle written by \`ctrdoc bundle\` instead of the live node
${collectUsage}`;

const report: Command = {
  summary: 'one self-contained HTML report of the stack (live or from a bundle)',
  usage,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values } = parseFlags(args, {
      ...collectFlags,
      html: { type: 'boolean' },
      output: { type: 'string', short: 'o' },
      from: { type: 'string' },
    }, false);
    if (!values.html) throw new CtrdocError('invalid-argument', 'say which format: --html', 'ctrdoc report --html -o report.html');
    let snapshot: Snapshot;
    let source = 'live';
    let redacted: boolean | undefined;
    if (values.from) {
      const { readBundle } = await import('../bundle/read.ts');
      const b = await readBundle(values.from);
      // every dump the bundle carries, as analyze judges it
      snapshot = await (await import('../bundle/dumps.ts')).withBundleDumps(b.snapshot, b.files);
      source = `bundle ${values.from.split('/').pop()}`;
      redacted = b.manifest.redacted;
    } else {
      snapshot = await collectLive(values, io, io.isTTY && !!values.output);
    }
    const [{ allRules, evaluate }, { buildReport }, { renderHtmlReport }] = await Promise.all([
      import('../rules/index.ts'),
      import('../report/doctor-report.ts'),
      import('../report/html.ts'),
    ]);
    const r = buildReport(snapshot, evaluate(allRules, snapshot));
    const html = renderHtmlReport(snapshot, r, { source, redacted });
    if (values.output && values.output !== '-') {
      writeFileSync(values.output, html);
      io.stderr.write(`report: ${values.output} (${(html.length / 1024).toFixed(0)} KiB; ${r.summary.critical} critical, ${r.summary.warning} warning, ${r.summary.info} info)\n`);
    } else {
      io.stdout.write(html);
    }
    return EXIT_OK;
  },
};

export default report;
