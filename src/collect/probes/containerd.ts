// containerd's own API (not CRI): one list or version call each.
import type { ContainerdContainerView, ContainerdVersionView, PluginView, TaskView } from '../../snapshot/types/index.ts';
import type { ContainerdClient } from '../../sources/containerd/client.ts';
import { apiProbe, type Probe } from '../probe.ts';

const containerdCall = <N extends string, T>(name: N, call: (c: ContainerdClient) => Promise<T>): Probe<N, T> => apiProbe(name, (ctx) => ctx.containerd(), call);

export const containerdVersion = containerdCall<'containerd.version', ContainerdVersionView>('containerd.version', (c) => c.version());
/** Every task with its pid and status: the list that spares a verbose status per container. */
export const containerdTasks = containerdCall<'containerd.tasks', TaskView[]>('containerd.tasks', (c) => c.listTasks());
export const containerdContainers = containerdCall<'containerd.containers', ContainerdContainerView[]>('containerd.containers', (c) => c.listContainers());
export const containerdPlugins = containerdCall<'containerd.plugins', PluginView[]>('containerd.plugins', (c) => c.plugins());
