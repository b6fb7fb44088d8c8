// `ctrdoc cri version`: like `crictl version`.
import type { CliIO, Command } from '../command.ts';
import { parseFlags, outputFormat } from '../flags.ts';
import { criFlags, criFlagsUsage, withCri } from './connect.ts';
import { renderStructured } from '../../report/structured.ts';

const usage = `Usage: ctrdoc cri version [-o table|json|yaml]

The CRI version the runtime speaks and the runtime's own name and version.

Flags:
${criFlagsUsage}`;

const version: Command = {
  summary: 'runtime name and versions',
  usage,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values } = parseFlags(args, criFlags, false);
    const format = outputFormat(values.output);
    const v = await withCri(values, (c) => c.version());
    if (format !== 'table') {
      io.stdout.write(await renderStructured(v, format));
      return 0;
    }
    io.stdout.write(`Version:  ${v.version}\nRuntimeName:  ${v.runtimeName}\nRuntimeVersion:  ${v.runtimeVersion}\nRuntimeApiVersion:  ${v.runtimeApiVersion}\n`);
    return 0;
  },
};

export default version;
