// `ctrdoc bundle`: a support bundle for someone else to analyse: the Snapshot plus the raw
// evidence (configs, kubelet files, log tails, goroutine dump, runc state, OCI specs, process
// tree, dmesg) and a manifest. Redacted by default; --no-redact must be said explicitly.
import type { CliIO, Command } from './command.ts';
import { parseFlags } from './flags.ts';
import { collectFlags, collectLive, collectUsage, kubeletFilesOf } from './collect-live.ts';
import { EXIT_OK } from '../errors.ts';

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
