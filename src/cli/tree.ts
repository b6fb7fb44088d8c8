// `ctrdoc tree`: ps aux --forest for the containerd stack, every process placed in its pod and
// container, with the facts the doctor judges. Also the flags `shims` and `runc` share.
import type { CliIO, Command } from './command.ts';
import { out } from './command.ts';
import { outputFlags, outputFormat, parseFlags, stackFlags, stackFlagsUsage, timeoutMs } from './flags.ts';
import { parseDuration } from '../deadline.ts';
import { renderStructured } from '../report/structured.ts';
import type { TreeCollectOptions } from '../collect/tree-view.ts';

export const gatherFlags = {
  ...stackFlags,
  ...outputFlags,
  'no-api': { type: 'boolean' },
  'stuck-after': { type: 'string' },
  'cpu-sample': { type: 'string' },
} as const;

export const gatherFlagsUsage = `      --no-api                 read /proc and files only; do not ask CRI or containerd
      --stuck-after DURATION   a runc init parked this long is stuck (default 60s)
${stackFlagsUsage}`;

/** The collection options the three commands share, from their flags. */
export function treeOptions(values: { timeout?: string; 'no-api'?: boolean; 'stuck-after'?: string }, o: Omit<TreeCollectOptions, 'timeoutMs' | 'apis' | 'stuckAfterSec'>): TreeCollectOptions {
  return {
    timeoutMs: timeoutMs(values.timeout),
    apis: !values['no-api'],
    stuckAfterSec: values['stuck-after'] ? parseDuration(values['stuck-after'], '--stuck-after') / 1000 : undefined,
    ...o,
    // --no-api reads files only, except that `shims` is asked to Connect to every shim
    probeShims: o.probeShims === 'all' ? 'all' : o.probeShims && !values['no-api'],
  };
}

const usage = `Usage: ctrdoc tree [flags]

The containerd stack as a process forest, like ps aux --forest: containerd, each shim (pod),
the pause process, app containers (name#attempt) and their children, runc and parked runc init
processes, orphans and zombies, each with its role. Then the facts the doctor judges (stuck runc
init, orphans, leaked runc containers, dead shims, outliers ...).

Flags:
      --pod NAME|NS/NAME|ID    only this pod
      --all                    every process on the node, not only the stack's
      --cpu-sample DURATION    also measure %CPU over this window (default: lifetime average, like ps)
  -o, --output FORMAT          table | json | yaml
      --no-headers             no header line
      --no-trunc               whole ids and commands
${gatherFlagsUsage}`;

const tree: Command = {
  summary: 'the process tree of containerd, shims, pods and containers, with roles and facts (like ps --forest)',
  usage,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values } = parseFlags(args, { ...gatherFlags, pod: { type: 'string' }, all: { type: 'boolean' } }, false);
    const format = outputFormat(values.output);
    const [{ collectTree }, { filterByPod }] = await Promise.all([import('../collect/tree-view.ts'), import('../tree/filter.ts')]);
    const g = await collectTree(values, treeOptions(values, {
      probeShims: true, all: values.all, cpuSampleMs: values['cpu-sample'] ? parseDuration(values['cpu-sample'], '--cpu-sample') : 0,
    }));
    for (const p of g.problems) io.stderr.write(`warning: ${p}\n`);
    const view = values.pod ? filterByPod(g.view, values.pod) : g.view;
    if (format === 'json' || format === 'yaml') {
      out(io, await renderStructured(view, format));
      return 0;
    }
    if (values.quiet) {
      out(io, view.processes.map((t) => t.pid).join('\n'));
      return 0;
    }
    const { renderTreeTable, renderFacts } = await import('../report/tree-text.ts');
    io.stdout.write(renderTreeTable(view, { noHeaders: values['no-headers'], noTrunc: values['no-trunc'] }));
    io.stdout.write(renderFacts(view.facts));
    return 0;
  },
};

export default tree;
