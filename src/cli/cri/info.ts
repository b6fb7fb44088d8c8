// `ctrdoc cri info`: the runtime's conditions (RuntimeReady, NetworkReady) with reason and
// message; -o json|yaml gives the whole verbose Status answer, as `crictl info` does.
import type { CliIO, Command } from '../command.ts';
import { parseFlags, outputFormat } from '../flags.ts';
import { criFlags, criFlagsUsage, withCri } from './connect.ts';
import { renderStructured } from '../../report/structured.ts';
import { renderTable } from '../../report/table.ts';

const usage = `Usage: ctrdoc cri info [-o table|json|yaml]

The runtime's conditions (RuntimeReady, NetworkReady), each with its reason and message.
-o json or yaml prints the whole verbose Status answer (conditions plus containerd's config).

Flags:
${criFlagsUsage}`;

const info: Command = {
  summary: 'runtime conditions and config',
  usage,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values } = parseFlags(args, criFlags, false);
    const format = outputFormat(values.output);
    const status = await withCri(values, (c) => c.status(format !== 'table'));
    if (format !== 'table') {
      io.stdout.write(await renderStructured({ status: { conditions: status.conditions }, ...status.info }, format));
      return 0;
    }
    io.stdout.write(renderTable(['CONDITION', 'STATUS', 'REASON', 'MESSAGE'],
      status.conditions.map((c) => [c.type, c.status ? 'True' : 'False', c.reason || '-', c.message || '-']),
      { noHeaders: values['no-headers'] }));
    return 0;
  },
};

export default info;
