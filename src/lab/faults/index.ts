// Lab faults: placeholder until the fault catalogue lands.
import type { CliIO } from '../../cli/command.ts';
import { CtrdocError } from '../../errors.ts';
import type { LabPaths } from '../paths.ts';

export async function clearAllFaults(_p: LabPaths, _log: (l: string) => void): Promise<void> {}

export async function faultCommand(_args: string[], _o: Record<string, unknown>, _io: CliIO): Promise<number> {
  throw new CtrdocError('unimplemented', 'lab faults are not implemented yet');
}
