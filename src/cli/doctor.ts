// `ctrdoc doctor`: the seed's whole method in one command. Collects a Snapshot of every layer
// under a deadline, runs the rules, prints the findings. Read-only, except --canary (which
// starts and removes a scratch pod) and --signal (SIGUSR1 to containerd for a goroutine dump).
import { writeFileSync } from 'node:fs';
import type { CliIO, Command } from './command.ts';
import { parseFlags } from './flags.ts';
import { collectFlags, collectLive, collectUsage } from './collect-live.ts';
import { reportFlags, reportOptions, reportUsage, writeDoctorReport } from './doctor-report-step.ts';

const usage = `Usage: ctrdoc doctor [flags]

Walks the stack layer by layer (kubelet, CRI, containerd, shims, runc, the node), joins what it
sees, and reports what is wrong with its evidence and next step. Read-only unless --canary or
--signal is given. Exit code: 0 nothing at or above --severity, 1 findings, 2 ctrdoc failed.

Flags:
${reportUsage}
      --canary             CHANGES THE NODE briefly: start and remove a scratch container through
                           CRI to prove the node can start containers
      --snapshot FILE      also write the collected Snapshot (JSON) to FILE

Collection (shared with bundle and report):
${collectUsage}`;

const doctor: Command = {
  summary: 'find what is wrong in the stack, with evidence and next steps',
  usage,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values } = parseFlags(args, {
      ...collectFlags,
      ...reportFlags,
      canary: { type: 'boolean' },
      snapshot: { type: 'string' },
    }, false);
    const o = reportOptions(values);
    const snapshot = await collectLive(values, io, io.isTTY && o.format === 'text', { canary: values.canary });
    if (values.snapshot) writeFileSync(values.snapshot, JSON.stringify(snapshot, null, 2) + '\n');
    return writeDoctorReport(snapshot, o, io);
  },
};

export default doctor;
