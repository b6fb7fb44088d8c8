// The CRI endpoint as crictl names it before any daemon is looked at: flag, then
// CONTAINER_RUNTIME_ENDPOINT, then /etc/crictl.yaml. Kept apart from the rest of the stack's
// resolution (src/collect/stack.ts) so a `cri` command whose endpoint is named reads no /proc
// and parses no TOML or YAML.
import { readFileSync } from 'node:fs';
import type { LocationSource } from '../../snapshot/types/index.ts';
import { CONTAINERD_DEFAULTS } from '../containerd/layout.ts';
import { toEndpoint } from '../protocol/endpoint.ts';

/** containerd's default socket as an endpoint: what kubelet and crictl fall back to. */
export const DEFAULT_ENDPOINT = toEndpoint(CONTAINERD_DEFAULTS.socket);

export const CRICTL_CONFIG = '/etc/crictl.yaml';

/**
 * `runtime-endpoint` from crictl's config file. The file is a flat map of scalars
 * (runtime-endpoint, image-endpoint, timeout, debug, pull-image-on-create), so one line is read
 * for the key, with optional quotes and a trailing comment.
 */
export function crictlYamlEndpoint(text: string): string | undefined {
  const m = /^runtime-endpoint[ \t]*:[ \t]*(?:"([^"]*)"|'([^']*)'|([^\s#]+))/m.exec(text);
  const v = m?.[1] ?? m?.[2] ?? m?.[3];
  return v || undefined;
}

export function crictlEndpoint(path = CRICTL_CONFIG): string | undefined {
  try {
    return crictlYamlEndpoint(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

/** The endpoint a flag, the environment or crictl.yaml names, in that order; undefined when none does. */
export function namedEndpoint(flag: string | undefined, env: NodeJS.ProcessEnv = process.env, crictlPath = CRICTL_CONFIG): { endpoint: string; source: LocationSource } | undefined {
  if (flag) return { endpoint: flag, source: 'flag' };
  if (env.CONTAINER_RUNTIME_ENDPOINT) return { endpoint: env.CONTAINER_RUNTIME_ENDPOINT, source: 'env' };
  const fromFile = crictlEndpoint(crictlPath);
  if (fromFile) return { endpoint: fromFile, source: 'crictl.yaml' };
  return undefined;
}
