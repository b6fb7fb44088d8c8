// `ctrdoc runc`: runc's state root, each container's status derived the way runc does it, and
// whether containerd (tasks) or CRI knows it.
import type { CliIO, Command } from './command.ts';
import { out } from './command.ts';
import { outputFormat, parseFlags } from './flags.ts';
import { renderStructured } from '../report/structured.ts';
import { gatherFlags, gatherFlagsUsage, treeOptions } from './tree.ts';

const usage = `Usage: ctrdoc runc [flags]

Lists runc's state root (--runc-root, default from containerd's config, then
/run/containerd/runc/<namespace>) like \`runc list\`, without running runc: id, status (created
while exec.fifo exists, stopped when the init pid is gone or was reused, paused when frozen),
created age, exec.fifo, init pid and whether it is alive, bundle, pod, and whether containerd or
CRI knows the container (a runc container neither knows is leaked). Unreadable state.json files
are listed with the reason. Then the runc facts (stuck init, leaked, pid reused, tasks without
state).

Flags:
  -o, --output FORMAT          table | json | yaml
      --no-headers             no header line
      --no-trunc               whole ids
${gatherFlagsUsage}`;

const RUNC_FACTS = new Set(['stuck-runc-init', 'repeated-runc-init', 'leaked-runc-container', 'task-without-runc-state', 'runc-pid-reused', 'runc-state-unreadable']);

const runc: Command = {
  summary: 'runc\'s state root: status, exec.fifo, init pid alive, and whether containerd knows each container',
  usage,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values } = parseFlags(args, gatherFlags, false);
    const format = outputFormat(values.output);
    const [{ collectTree }, { knownToContainerd }] = await Promise.all([import('../collect/tree-view.ts'), import('../tree/identities.ts')]);
    const g = await collectTree(values, treeOptions(values, { probeShims: false }));
    for (const p of g.problems) io.stderr.write(`warning: ${p}\n`);
    const root = g.got.data('runc') ?? { root: g.stack.runcRoot, containers: [], error: g.got.result('runc')?.message };
    const pods = g.got.data('cri.pods');
    const containers = g.got.data('cri.containers');
    const known = { tasks: g.got.data('containerd.tasks'), cri: pods && containers ? { pods, containers } : undefined };
    const rows = root.containers.map((c) => ({ ...c, knownToContainerd: knownToContainerd(c.id, known) }));
    const facts = g.view.facts.filter((f) => RUNC_FACTS.has(f.kind));
    if (format === 'json' || format === 'yaml') {
      out(io, await renderStructured({ root: root.root, error: root.error, containers: rows, facts }, format));
      return 0;
    }
    if (values.quiet) {
      out(io, rows.map((r) => r.id).join('\n'));
      return 0;
    }
    const { renderRuncTable, renderFacts } = await import('../report/tree-text.ts');
    io.stdout.write(renderRuncTable(rows, { noHeaders: values['no-headers'], noTrunc: values['no-trunc'] }));
    if (root.error) io.stderr.write(`warning: ${root.error}\n`);
    io.stdout.write(renderFacts(facts));
    return 0;
  },
};

export default runc;
