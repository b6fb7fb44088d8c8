// `ctrdoc bundle`: a support bundle for someone else to analyse: the Snapshot plus the raw
// evidence (configs, kubelet files, log tails, goroutine dump, runc state, OCI specs, process
// tree, dmesg) and a manifest. Redacted by default; --no-redact must be said explicitly.
import type { CliIO, Command } from './command.ts';
import { parseFlags, stackFlags, stackFlagsUsage } from './flags.ts';
import { parseDuration } from '../deadline.ts';
import { EXIT_OK } from '../errors.ts';
import type { Snapshot } from '../snapshot/types/index.ts';

const collectUsage = `      --timeout DURATION   overall deadline for the collection (default 10s)
      --probe-timeout D    deadline for each call to the runtime (default 2s)
      --signal             allow SIGUSR1 to containerd for a goroutine dump when it looks hung
      --no-goroutines      never take a goroutine dump
      --stuck-after D      a container Created, or a runc init parked, this long is stuck
      --kubelet-config F   kubelet config file (default: from kubelet's --config)
      --kubeadm-flags F    kubeadm flags file (default /var/lib/kubelet/kubeadm-flags.env)
      --kubeconfig F       kubelet's kubeconfig (default: from kubelet's --kubeconfig)

${stackFlagsUsage.replace(/\n {2}-t, --timeout DURATION\s+deadline for each call \(default 2s\)/, '')}`;

const { timeout: _perCall, ...stackOnly } = stackFlags;

/** The flags every command that collects a Snapshot the way doctor does accepts. */
export const collectFlags = {
  ...stackOnly,
  timeout: { type: 'string' },
  'probe-timeout': { type: 'string' },
  signal: { type: 'boolean' },
  'no-goroutines': { type: 'boolean' },
  'stuck-after': { type: 'string' },
  'kubelet-config': { type: 'string' },
  'kubeadm-flags': { type: 'string' },
  kubeconfig: { type: 'string' },
} as const;

export { collectUsage };

type CollectValues = { [K in keyof typeof collectFlags]?: (typeof collectFlags)[K]['type'] extends 'boolean' ? boolean : string };

export function kubeletFilesOf(values: CollectValues): Record<string, string> {
  return {
    ...(values['kubelet-config'] ? { config: values['kubelet-config'] } : {}),
    ...(values['kubeadm-flags'] ? { kubeadmFlags: values['kubeadm-flags'] } : {}),
    ...(values.kubeconfig ? { kubeconfig: values.kubeconfig } : {}),
  };
}

/** Collects a Snapshot exactly as `ctrdoc doctor` does with the same flags (keep in step with cli/doctor.ts). */
export async function collectLive(values: CollectValues, io: CliIO, progress: boolean): Promise<Snapshot> {
  const deadlineMs = values.timeout ? parseDuration(values.timeout) : 10_000;
  const perCall = values['probe-timeout'] ? parseDuration(values['probe-timeout']) : 2000;
  const [{ resolveStack }, { collect }] = await Promise.all([
    import('../sources/containerd/discover.ts'),
    import('../snapshot/collect.ts'),
  ]);
  // as doctor does: one pass over /proc serves both discovery and the process tree
  const { scanProcesses } = await import('../sources/proc/scan.ts');
  let procTable;
  try {
    procTable = scanProcesses();
  } catch {
    procTable = undefined; // collect() scans again and records the error as a probe result
  }
  const stack = resolveStack(values, Math.min(perCall, deadlineMs), process.env, procTable?.processes);
  let done = 0;
  const { kubeconfig: _k, ...doctorKubeletFiles } = kubeletFilesOf(values);
  const snapshot = await collect({
    stack,
    deadlineMs,
    procTable,
    stuckAfterSec: values['stuck-after'] ? parseDuration(values['stuck-after']) / 1000 : undefined,
    goroutines: values['no-goroutines'] ? 'off' : values.signal ? 'signal' : 'auto',
    kubeletFiles: doctorKubeletFiles,
    onProgress: progress ? (t) => io.stderr.write(`\r\x1b[Kcollecting: ${++done} probes done (${t.probe} ${t.status})`) : undefined,
  });
  if (progress) io.stderr.write('\r\x1b[K');
  return snapshot;
}

const usage = `Usage: ctrdoc bundle [-o FILE.tar.gz] [--no-redact] [flags]

Collects what \`ctrdoc doctor\` collects and packs it with the raw evidence into one .tar.gz for
someone else to analyse (\`ctrdoc analyze FILE\`, \`ctrdoc report --html --from FILE\`): the
Snapshot, containerd's config file with \`containerd config default\` and \`config dump\`,
kubelet's config, flags and kubeconfig files, the tails of containerd's and kubelet's logs, a
goroutine dump from the debug socket, runc state.json and OCI config.json files, the process
tree, the dmesg tail, and manifest.json (what came from where, how long it took, what was cut,
what was redacted). Read-only: no signal is sent unless --signal.

Secrets are redacted by default: environment variable values, registry auths, tokens, passwords,
keys and PEM private keys; the manifest lists each redaction (where and which key, never the
value).

Flags:
  -o, --output FILE        the bundle to write (default ctrdoc-bundle-HOST-TIME.tar.gz here)
      --no-redact          keep secrets in the bundle (recorded in its manifest); say it only
                           when the bundle stays where the node's secrets may go
${collectUsage}`;

const bundle: Command = {
  summary: 'pack the Snapshot and raw evidence into a redacted .tar.gz for offline analysis',
  usage,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values } = parseFlags(args, {
      ...collectFlags,
      output: { type: 'string', short: 'o' },
      'no-redact': { type: 'boolean' },
    }, false);
    const t0 = Date.now();
    const snapshot = await collectLive(values, io, io.isTTY);
    const collectMs = Date.now() - t0;
    const { writeBundle, defaultBundleName } = await import('../bundle/write.ts');
    const output = values.output ?? defaultBundleName(snapshot);
    const redact = !values['no-redact'];
    if (!redact) io.stderr.write('warning: --no-redact: the bundle keeps environment variables, registry credentials, tokens and keys as they are\n');
    const w = await writeBundle(snapshot, {
      output,
      redact,
      command: ['ctrdoc', 'bundle', ...args],
      collectMs,
      goroutines: !values['no-goroutines'],
      kubeletFiles: kubeletFilesOf(values),
    });
    const m = w.manifest;
    const problems = m.entries.filter((e) => e.status === 'error' || e.status === 'timeout');
    const cut = m.entries.filter((e) => e.cut);
    io.stdout.write(`${w.path}\n`);
    io.stderr.write(`bundle: ${m.entries.filter((e) => e.status === 'ok').length} entries, ${(w.bytes / 1024).toFixed(0)} KiB, ` +
      `collected in ${(collectMs / 1000).toFixed(2)}s + evidence ${(m.evidenceMs / 1000).toFixed(2)}s; ` +
      `${redact ? `${m.redactionCount} value(s) redacted` : 'NOT redacted'}` +
      `${cut.length ? `; cut for size: ${cut.map((e) => e.name).join(', ')}` : ''}` +
      `${problems.length ? `; could not read: ${problems.map((e) => `${e.name} (${e.status})`).join(', ')}` : ''}\n`);
    return EXIT_OK;
  },
};

export default bundle;
