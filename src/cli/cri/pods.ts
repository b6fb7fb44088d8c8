// `ctrdoc cri pods`: like `crictl pods`.
import type { CliIO, Command } from '../command.ts';
import { out } from '../command.ts';
import { parseFlags, outputFormat } from '../flags.ts';
import { criFlags, criFlagsUsage, labelSelector, userRegExp, withCri } from './connect.ts';
import { agoFromNanos, renderTable, truncateId } from '../../report/table.ts';
import { renderStructured } from '../../report/structured.ts';
import { CtrdocError } from '../../errors.ts';
import type { PodSandbox } from '../../snapshot/types/index.ts';

const usage = `Usage: ctrdoc cri pods [flags]

List pod sandboxes, as crictl pods does.

Flags:
      --name REGEX        filter by pod name
      --namespace REGEX   filter by pod namespace
  -s, --state STATE       ready | notready
  -l, --label K=V         filter by label (repeatable)
      --id ID             filter by sandbox id (prefix)
  -o, --output FORMAT     table | json | yaml
  -q, --quiet             print sandbox ids only
      --no-trunc          show whole ids
      --no-headers        no header line
${criFlagsUsage}`;

const stateName = { SANDBOX_READY: 'Ready', SANDBOX_NOTREADY: 'NotReady' } as const;

export function filterPods(items: PodSandbox[], f: { name?: RegExp; namespace?: RegExp; id?: string }): PodSandbox[] {
  return items.filter((p) => (!f.name || f.name.test(p.metadata?.name ?? ''))
    && (!f.namespace || f.namespace.test(p.metadata?.namespace ?? ''))
    && (!f.id || p.id.startsWith(f.id)));
}

const pods: Command = {
  summary: 'list pod sandboxes',
  usage,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values } = parseFlags(args, {
      ...criFlags,
      name: { type: 'string' },
      namespace: { type: 'string' },
      state: { type: 'string', short: 's' },
      label: { type: 'string', short: 'l', multiple: true },
      id: { type: 'string' },
    }, false);
    const format = outputFormat(values.output);
    let state: 'SANDBOX_READY' | 'SANDBOX_NOTREADY' | undefined;
    if (values.state) {
      const s = values.state.toLowerCase();
      if (s !== 'ready' && s !== 'notready') throw new CtrdocError('invalid-argument', `--state: "${values.state}" is not ready or notready`);
      state = s === 'ready' ? 'SANDBOX_READY' : 'SANDBOX_NOTREADY';
    }
    const name = userRegExp('name', values.name);
    const namespace = userRegExp('namespace', values.namespace);
    const items = await withCri(values, (c) => c.listPodSandbox({ state, labelSelector: labelSelector(values.label) }));
    const shown = filterPods(items, { name, namespace, id: values.id })
      .sort((a, b) => (BigInt(b.createdAt) > BigInt(a.createdAt) ? 1 : -1));
    if (values.quiet) {
      out(io, shown.map((p) => p.id).join('\n'));
      return 0;
    }
    if (format !== 'table') {
      io.stdout.write(await renderStructured({ items: shown }, format));
      return 0;
    }
    io.stdout.write(renderTable(
      ['POD ID', 'CREATED', 'STATE', 'NAME', 'NAMESPACE', 'ATTEMPT', 'RUNTIME'],
      shown.map((p) => [truncateId(p.id, values['no-trunc']), agoFromNanos(p.createdAt), stateName[p.state] ?? p.state,
        p.metadata?.name ?? '', p.metadata?.namespace ?? '', p.metadata?.attempt ?? 0, p.runtimeHandler || '(default)']),
      { noHeaders: values['no-headers'], minWidth: 20 },
    ));
    return 0;
  },
};

export default pods;
