// `ctrdoc runc`: runc's state root, each container's status derived the way runc does it, and
// whether containerd (tasks) or CRI knows it.
import type { CliIO, Command } from './command.ts';
import { out } from './command.ts';
import { outputFormat, parseFlags, timeoutMs } from './flags.ts';
import { parseDuration } from '../deadline.ts';
import { renderStructured } from '../report/structured.ts';
import { renderTable, truncateId as truncateAny } from '../report/table.ts';

/** crictl cuts 64-hex ids to 13 characters; other names (a hand-made runc id) stay whole. */
const truncateId = (id: string, noTrunc = false): string => (/^[0-9a-f]{64}$/.test(id) ? truncateAny(id, noTrunc) : id);
import { gatherFlags, gatherFlagsUsage, buildTreeView, gatherTreeInputs, renderFacts, shortAge } from './tree.ts';

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

const runc: Command = {
  summary: 'runc\'s state root: status, exec.fifo, init pid alive, and whether containerd knows each container',
  usage,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values } = parseFlags(args, gatherFlags, false);
    const format = outputFormat(values.output);
    const ms = timeoutMs(values.timeout);
    const { knownToContainerd } = await import('../tree/facts.ts');
    const g = await gatherTreeInputs({
      flags: values, timeoutMs: ms, apis: !values['no-api'], probeShims: false,
      stuckInitSec: values['stuck-after'] ? parseDuration(values['stuck-after']) / 1000 : undefined,
    });
    for (const p of g.problems) io.stderr.write(`warning: ${p}\n`);
    const view = await buildTreeView(g);
    const root = g.inputs.runc!;
    const rows = root.containers.map((c) => ({ ...c, knownToContainerd: knownToContainerd(c.id, g.inputs) }));
    const kinds = new Set(['stuck-runc-init', 'repeated-runc-init', 'leaked-runc-container', 'task-without-runc-state', 'runc-pid-reused', 'runc-state-unreadable']);
    const facts = view.facts.filter((f) => kinds.has(f.kind));
    if (format === 'json' || format === 'yaml') {
      out(io, await renderStructured({ root: root.root, error: root.error, containers: rows, facts }, format));
      return 0;
    }
    if (values.quiet) {
      out(io, rows.map((r) => r.id).join('\n'));
      return 0;
    }
    const nt = !!values['no-trunc'];
    const yn = (v: boolean | null): string => (v === null ? 'unknown' : v ? 'yes' : 'NO');
    io.stdout.write(renderTable(['ID', 'STATUS', 'CREATED', 'EXEC.FIFO', 'INIT-PID', 'ALIVE', 'POD', 'BUNDLE', 'CONTAINERD'], rows.map((r) => [
      truncateId(r.id, nt),
      r.error ? `${r.status} (${r.error})` : r.status,
      r.ageSec !== undefined ? `${shortAge(r.ageSec)} ago` : '-',
      r.execFifo ? 'yes' : 'no',
      r.initPid ?? '-',
      r.initAlive ? 'yes' : 'no',
      r.kube.sandboxNamespace && r.kube.sandboxName ? `${r.kube.sandboxNamespace}/${r.kube.sandboxName}` : '-',
      r.bundle ? (nt ? r.bundle : r.bundle.replace(/\/([0-9a-f]{13})[0-9a-f]{51}$/, '/$1')) : '-',
      yn(r.knownToContainerd),
    ]), { noHeaders: values['no-headers'], padding: 2 }));
    if (root.error) io.stderr.write(`warning: ${root.error}\n`);
    io.stdout.write(renderFacts(facts));
    return 0;
  },
};

export default runc;
