// `ctrdoc cri ps`: like `crictl ps`.
import type { CliIO, Command } from '../command.ts';
import { out } from '../command.ts';
import { parseFlags, outputFormat } from '../flags.ts';
import { criFlags, criFlagsUsage, labelSelector, userRegExp, withCri } from './connect.ts';
import { agoFromNanos, renderTable, truncateId } from '../../report/table.ts';
import { renderStructured } from '../../report/structured.ts';
import { CtrdocError } from '../../errors.ts';
import type { Container, ContainerState } from '../../snapshot/types/index.ts';

const usage = `Usage: ctrdoc cri ps [flags]

List containers, as crictl ps does (running ones unless -a or --state).

Flags:
  -a, --all               show all containers
      --name REGEX        filter by container name
  -p, --pod ID            filter by pod sandbox id (prefix)
  -s, --state STATE       created | running | exited | unknown
  -l, --label K=V         filter by label (repeatable)
      --id ID             filter by container id (prefix)
  -o, --output FORMAT     table | json | yaml
  -q, --quiet             print container ids only
      --no-trunc          show whole ids
      --no-headers        no header line
${criFlagsUsage}`;

/** The label kubelet sets on every container it creates: its pod's name. */
const POD_NAME_LABEL = 'io.kubernetes.pod.name';

const states: Record<string, ContainerState> = {
  created: 'CONTAINER_CREATED',
  running: 'CONTAINER_RUNNING',
  exited: 'CONTAINER_EXITED',
  unknown: 'CONTAINER_UNKNOWN',
};
const stateName: Record<ContainerState, string> = {
  CONTAINER_CREATED: 'Created',
  CONTAINER_RUNNING: 'Running',
  CONTAINER_EXITED: 'Exited',
  CONTAINER_UNKNOWN: 'Unknown',
};

export function filterContainers(items: Container[], f: { name?: RegExp; pod?: string; id?: string; state?: ContainerState; all?: boolean }): Container[] {
  return items.filter((c) => (!f.name || f.name.test(c.metadata?.name ?? ''))
    && (!f.pod || c.podSandboxId.startsWith(f.pod))
    && (!f.id || c.id.startsWith(f.id))
    && (f.state ? c.state === f.state : f.all || c.state === 'CONTAINER_RUNNING'));
}

function imageName(c: Container): string {
  const ref = c.image?.image || c.imageRef;
  // crictl shows a digest ref shortened; keep a tag ref whole
  return ref.startsWith('sha256:') ? ref.slice(7, 7 + 13) : ref;
}

const ps: Command = {
  summary: 'list containers',
  usage,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values } = parseFlags(args, {
      ...criFlags,
      all: { type: 'boolean', short: 'a' },
      name: { type: 'string' },
      pod: { type: 'string', short: 'p' },
      state: { type: 'string', short: 's' },
      label: { type: 'string', short: 'l', multiple: true },
      id: { type: 'string' },
    }, false);
    const format = outputFormat(values.output);
    let state: ContainerState | undefined;
    if (values.state) {
      state = states[values.state.toLowerCase()];
      if (!state) throw new CtrdocError('invalid-argument', `--state: "${values.state}" is not one of ${Object.keys(states).join(', ')}`);
    }
    const name = userRegExp('name', values.name);
    const { shown, podNames } = await withCri(values, async (c) => {
      const containers = await c.listContainers({ state, labelSelector: labelSelector(values.label) });
      const shown = filterContainers(containers, { name, pod: values.pod, id: values.id, state, all: values.all })
        .sort((a, b) => (BigInt(b.createdAt) > BigInt(a.createdAt) ? 1 : -1));
      // the POD column, as crictl fills it: kubelet labels every container with its pod's name;
      // only a container without that label (not made by kubelet) costs a ListPodSandbox
      const unnamed = format === 'table' && !values.quiet && shown.some((x) => !x.labels?.[POD_NAME_LABEL]);
      const pods = unnamed ? await c.listPodSandbox() : [];
      return { shown, podNames: new Map(pods.map((p) => [p.id, p.metadata?.name ?? ''])) };
    });
    if (values.quiet) {
      out(io, shown.map((c) => c.id).join('\n'));
      return 0;
    }
    if (format !== 'table') {
      io.stdout.write(await renderStructured({ containers: shown }, format));
      return 0;
    }
    const t = values['no-trunc'];
    io.stdout.write(renderTable(
      ['CONTAINER', 'IMAGE', 'CREATED', 'STATE', 'NAME', 'ATTEMPT', 'POD ID', 'POD'],
      shown.map((c) => [truncateId(c.id, t), imageName(c), agoFromNanos(c.createdAt), stateName[c.state] ?? c.state,
        c.metadata?.name ?? '', c.metadata?.attempt ?? 0, truncateId(c.podSandboxId, t), c.labels?.[POD_NAME_LABEL] ?? podNames.get(c.podSandboxId) ?? '']),
      { noHeaders: values['no-headers'], minWidth: 20 },
    ));
    return 0;
  },
};

export default ps;
