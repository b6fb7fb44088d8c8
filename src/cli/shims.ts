// `ctrdoc shims`: every containerd-shim with its pod, socket, a ttrpc Connect under the deadline
// (liveness and latency), children, resources against its peers, and the subreaper flag as far as
// it can be known.
import type { CliIO, Command } from './command.ts';
import { out } from './command.ts';
import { outputFormat, parseFlags, timeoutMs } from './flags.ts';
import { parseDuration } from '../deadline.ts';
import { renderStructured } from '../report/structured.ts';
import { renderTable, truncateId as truncateAny } from '../report/table.ts';

/** crictl cuts 64-hex ids to 13 characters; other names (a hand-made runc id) stay whole. */
const truncateId = (id: string, noTrunc = false): string => (/^[0-9a-f]{64}$/.test(id) ? truncateAny(id, noTrunc) : id);
import type { ShimView } from '../snapshot/types/tree.ts';
import { filterByPod, gatherFlags, gatherFlagsUsage, buildTreeView, gatherTreeInputs, renderFacts, shortAge } from './tree.ts';

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

function ttrpcCell(s: ShimView): string {
  if (!s.probe) return s.socket ? 'not probed' : 'no socket';
  return s.probe.ok ? 'ok' : `FAIL: ${s.probe.error ?? 'no answer'}`;
}

const shims: Command = {
  summary: 'every shim: pod, socket, ttrpc liveness and latency, children, CPU/RSS/threads/fds, subreaper',
  usage,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values } = parseFlags(args, { ...gatherFlags, pod: { type: 'string' } }, false);
    const format = outputFormat(values.output);
    const ms = timeoutMs(values.timeout);
    const g = await gatherTreeInputs({
      flags: values, timeoutMs: ms, apis: !values['no-api'], probeShims: true,
      cpuSampleMs: values['cpu-sample'] !== undefined ? parseDuration(values['cpu-sample']) : 1000,
      stuckInitSec: values['stuck-after'] ? parseDuration(values['stuck-after']) / 1000 : undefined,
    });
    for (const p of g.problems) io.stderr.write(`warning: ${p}\n`);
    let view = await buildTreeView(g);
    if (values.pod) view = filterByPod(view, values.pod);
    const shimKinds = new Set(['shim-without-pause', 'pod-without-shim', 'dead-shim-leftover', 'stale-shim-socket', 'shim-outlier', 'shim-unresponsive', 'zombie']);
    const facts = view.facts.filter((f) => shimKinds.has(f.kind));
    if (format === 'json' || format === 'yaml') {
      out(io, await renderStructured({ shims: view.shims, facts }, format));
      return 0;
    }
    if (values.quiet) {
      out(io, view.shims.map((s) => s.pid).join('\n'));
      return 0;
    }
    const nt = !!values['no-trunc'];
    const rows = view.shims.map((s) => [
      s.pid,
      s.pod?.namespace && s.pod.name ? `${s.pod.namespace}/${s.pod.name}` : s.pod ? truncateId(s.pod.sandboxId, nt) : '-',
      s.socket ? (nt ? s.socket : truncateId(s.socket.replace(/^.*\//, ''), false)) : '-',
      ttrpcCell(s),
      s.probe?.latencyMs !== undefined ? `${s.probe.latencyMs}ms` : '-',
      s.children.length,
      s.cpuPercentRecent !== undefined ? `${s.cpuPercentRecent.toFixed(1)}` : '-',
      s.cpuPercent.toFixed(1),
      s.rssKb,
      s.threads,
      s.fds ?? '-',
      s.subreaper.value === true ? 'yes (inferred)' : s.subreaper.value === false ? 'no' : 'unknown',
      shortAge(s.ageSec),
      s.state,
    ]);
    io.stdout.write(renderTable(['PID', 'POD', 'SOCKET', 'TTRPC', 'LATENCY', 'CHILDREN', '%CPU', '%CPU(LIFE)', 'RSS', 'THREADS', 'FDS', 'SUBREAPER', 'AGE', 'STAT'], rows, { noHeaders: values['no-headers'], padding: 2 }));
    io.stdout.write(renderFacts(facts));
    return 0;
  },
};

export default shims;
