// `ctrdoc shims`: every containerd-shim with its pod, socket, a ttrpc Connect under the deadline
// (liveness and latency), children, resources against its peers, and the subreaper flag as far as
// it can be known.
import type { CliIO, Command } from './command.ts';
import { out } from './command.ts';
import { outputFormat, parseFlags } from './flags.ts';
import { parseDuration } from '../deadline.ts';
import { renderStructured } from '../report/structured.ts';
import { gatherFlags, gatherFlagsUsage, treeOptions } from './tree.ts';

const usage = `Usage: ctrdoc shims [flags]

Every containerd shim: pid, pod, socket, ttrpc Connect answer and latency (under --timeout),
children, %CPU (over --cpu-sample, default 1s, and lifetime), RSS, threads, fds, and whether it
is a child subreaper. /proc does not show PR_SET_CHILD_SUBREAPER: ctrdoc infers it (yes) when
container processes forked by runc sit under the shim, else says unknown. Then the shim facts
(unresponsive, outliers, no pause, dead-shim leftovers, zombies).

Flags:
      --pod NAME|NS/NAME|ID    only this pod's shim
      --cpu-sample DURATION    %CPU window (default 1s; 0 for lifetime only)
  -o, --output FORMAT          table | json | yaml
      --no-headers             no header line
      --no-trunc               whole ids and socket paths
${gatherFlagsUsage}`;

const SHIM_FACTS = new Set(['shim-without-pause', 'pod-without-shim', 'dead-shim-leftover', 'stale-shim-socket', 'shim-outlier', 'shim-unresponsive', 'zombie']);

const shims: Command = {
  summary: 'every shim: pod, socket, ttrpc liveness and latency, children, CPU/RSS/threads/fds, subreaper',
  usage,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values } = parseFlags(args, { ...gatherFlags, pod: { type: 'string' } }, false);
    const format = outputFormat(values.output);
    const [{ collectTree }, { filterByPod }] = await Promise.all([import('../collect/tree-view.ts'), import('../tree/filter.ts')]);
    const g = await collectTree(values, treeOptions(values, {
      probeShims: 'all', cpuSampleMs: values['cpu-sample'] !== undefined ? parseDuration(values['cpu-sample'], '--cpu-sample') : 1000,
    }));
    for (const p of g.problems) io.stderr.write(`warning: ${p}\n`);
    const view = values.pod ? filterByPod(g.view, values.pod) : g.view;
    const facts = view.facts.filter((f) => SHIM_FACTS.has(f.kind));
    if (format === 'json' || format === 'yaml') {
      out(io, await renderStructured({ shims: view.shims, facts }, format));
      return 0;
    }
    if (values.quiet) {
      out(io, view.shims.map((s) => s.pid).join('\n'));
      return 0;
    }
    const { renderShimsTable, renderFacts } = await import('../report/tree-text.ts');
    io.stdout.write(renderShimsTable(view.shims, { noHeaders: values['no-headers'], noTrunc: values['no-trunc'] }));
    io.stdout.write(renderFacts(facts));
    return 0;
  },
};

export default shims;
