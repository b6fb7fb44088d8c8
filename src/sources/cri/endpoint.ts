// The CRI endpoint the way crictl finds it: flag, then CONTAINER_RUNTIME_ENDPOINT, then
// /etc/crictl.yaml, then containerd's default socket. Kept apart from full stack discovery so a
// `cri` command reads no /proc and loads no TOML or YAML library.
import { readFileSync } from 'node:fs';
import type { LocationSource } from '../../snapshot/types/index.ts';

export const DEFAULT_ENDPOINT = 'unix:///run/containerd/containerd.sock';

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

export function crictlEndpoint(path = '/etc/crictl.yaml'): string | undefined {
  try {
    return crictlYamlEndpoint(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

export function criEndpoint(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): { endpoint: string; source: LocationSource } {
  if (flag) return { endpoint: flag, source: 'flag' };
  if (env.CONTAINER_RUNTIME_ENDPOINT) return { endpoint: env.CONTAINER_RUNTIME_ENDPOINT, source: 'env' };
  const fromFile = crictlEndpoint();
  if (fromFile) return { endpoint: fromFile, source: 'crictl.yaml' };
  return { endpoint: DEFAULT_ENDPOINT, source: 'default' };
}
