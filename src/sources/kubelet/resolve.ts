// What kubelet will actually use, version-aware (pure):
//  - runtime endpoint: --container-runtime-endpoint wins; the config file's containerRuntimeEndpoint
//    is read from 1.27 on (1.26 ignores it: kubernetes#118787); else the built-in default.
//  - cgroup driver: --cgroup-driver, else the config file, else "cgroupfs" (KubeletConfiguration default).
//  - runtimeRequestTimeout: flag, else config, else 2m.
import { versionAtLeast } from './flags.ts';
import { DEFAULT_ENDPOINT } from '../cri/endpoint.ts';
import { toEndpoint } from '../protocol/endpoint.ts';

export interface EffectiveKubelet {
  runtimeEndpoint: string;
  runtimeEndpointSource: string;
  cgroupDriver: string;
  cgroupDriverSource: string;
  runtimeRequestTimeout: string;
  notes: string[];
}

export const DEFAULT_CONTAINERD_ENDPOINT = DEFAULT_ENDPOINT;
export const DOCKERSHIM_ENDPOINT = 'unix:///var/run/dockershim.sock';

function asUrl(endpoint: string, where: string, notes: string[]): string {
  if (endpoint.startsWith('/')) {
    notes.push(`${where} is a bare path (${endpoint}): kubelet still takes it but it is deprecated; write ${toEndpoint(endpoint)}`);
    return toEndpoint(endpoint);
  }
  return endpoint;
}

export function resolveEffective(
  flags: Record<string, string>,
  config: { cgroupDriver?: string; containerRuntimeEndpoint?: string; runtimeRequestTimeout?: string } | undefined,
  version: string | undefined,
): EffectiveKubelet {
  const notes: string[] = [];
  const ge127 = versionAtLeast(version, 1, 27);
  let runtimeEndpoint: string;
  let runtimeEndpointSource: string;
  const flag = flags['container-runtime-endpoint'];
  const fromConfig = config?.containerRuntimeEndpoint;
  if (flag) {
    runtimeEndpoint = asUrl(flag, '--container-runtime-endpoint', notes);
    runtimeEndpointSource = 'flag';
    if (fromConfig && fromConfig !== flag) notes.push(`the config file's containerRuntimeEndpoint (${fromConfig}) is overridden by --container-runtime-endpoint`);
  } else if (fromConfig && ge127 !== false) {
    runtimeEndpoint = asUrl(fromConfig, 'containerRuntimeEndpoint', notes);
    runtimeEndpointSource = 'config';
    if (ge127 === undefined) notes.push('kubelet version unknown: assuming it reads containerRuntimeEndpoint from the config file (1.27+)');
  } else {
    if (fromConfig) notes.push(`kubelet ${version} ignores containerRuntimeEndpoint in the config file (read from 1.27 on): it uses its default`);
    const old = versionAtLeast(version, 1, 24) === false;
    runtimeEndpoint = old ? DOCKERSHIM_ENDPOINT : DEFAULT_CONTAINERD_ENDPOINT;
    runtimeEndpointSource = 'default';
  }
  let cgroupDriver = 'cgroupfs';
  let cgroupDriverSource = 'default';
  if (flags['cgroup-driver']) {
    cgroupDriver = flags['cgroup-driver'];
    cgroupDriverSource = 'flag';
  } else if (config?.cgroupDriver) {
    cgroupDriver = config.cgroupDriver;
    cgroupDriverSource = 'config';
  }
  const runtimeRequestTimeout = flags['runtime-request-timeout'] ?? config?.runtimeRequestTimeout ?? '2m0s';
  return { runtimeEndpoint, runtimeEndpointSource, cgroupDriver, cgroupDriverSource, runtimeRequestTimeout, notes };
}
