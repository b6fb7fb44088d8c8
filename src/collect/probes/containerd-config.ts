// containerd's config as the running binary reads it (`config dump`) against the same binary's
// `config default`, raw and in layout.ts's one shape.
import { readlinkSync } from 'node:fs';
import type { ContainerdConfigView } from '../../snapshot/types/index.ts';
import type { Probe } from '../probe.ts';

const CONFIG_MS = 5000;

/** The binary the daemon runs (its /proc/PID/exe), so its own defaults are compared; else PATH's. */
function binaryOf(pid: number | undefined): string {
  if (pid) {
    try {
      return readlinkSync(`/proc/${pid}/exe`).replace(/ \(deleted\)$/, '');
    } catch {
      // fall through to PATH
    }
  }
  return 'containerd';
}

export const containerdConfig: Probe<'containerd.config', ContainerdConfigView> = {
  name: 'containerd.config',
  needs: [],
  budget: CONFIG_MS,
  async run(ctx) {
    const { readContainerdConfig } = await import('../../sources/containerd/config.ts');
    return readContainerdConfig({ binary: binaryOf(ctx.stack.containerdPid), configPath: ctx.stack.containerdConfig, timeoutMs: ctx.budget(CONFIG_MS) });
  },
};
