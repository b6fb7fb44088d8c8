// frozen-pod: one pod's app container put in a frozen cgroup, as systemd can leave one on cgroup
// v1 (runc#2753) or as `ctr task pause` does on purpose. Its processes stop in the kernel's
// refrigerator (D, __refrigerator) while CRI still says Running.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CtrdocError } from '../../errors.ts';
import { pickPod } from './containerd.ts';
import { waitFor, type FaultContext, type FaultRecord } from './context.ts';

const CGROUP_ROOT = '/sys/fs/cgroup';

/** The freezer control file of a process's cgroup: v1 freezer.state, else v2 cgroup.freeze. */
export function freezerFileOf(pid: number, root = CGROUP_ROOT): { file: string; frozen: string; thawed: string } {
  const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n');
  const v1 = lines.map((l) => /^\d+:([^:]*):(.*)$/.exec(l)).find((m) => m && m[1].split(',').includes('freezer'));
  if (v1 && existsSync(join(root, 'freezer'))) return { file: join(root, 'freezer', v1[2], 'freezer.state'), frozen: 'FROZEN', thawed: 'THAWED' };
  const v2 = lines.map((l) => /^0::(.*)$/.exec(l)).find(Boolean);
  if (v2) return { file: join(existsSync(join(root, 'cgroup.controllers')) ? root : join(root, 'unified'), v2[1], 'cgroup.freeze'), frozen: '1', thawed: '0' };
  throw new CtrdocError('failed-precondition', `pid ${pid}: no freezer cgroup in /proc/${pid}/cgroup`);
}

export async function applyFrozenPod(ctx: FaultContext, o: { pod?: string }): Promise<FaultRecord['details']> {
  const pod = await pickPod(ctx, o.pod);
  const cri = ctx.cri();
  const app = (await cri.listContainers({ podSandboxId: pod.id })).find((c) => c.state === 'CONTAINER_RUNNING');
  if (!app) throw new CtrdocError('not-found', `no running container in pod ${pod.namespace}/${pod.name}`);
  const pid = Number((await cri.containerStatus(app.id, true)).info?.pid);
  if (!pid) throw new CtrdocError('not-found', `CRI gives no pid for container ${app.id.slice(0, 13)}`);
  const f = freezerFileOf(pid);
  writeFileSync(f.file, f.frozen);
  // v1 goes FREEZING first; the fault is set once every task is in the refrigerator
  await waitFor(`${f.file} to read ${f.frozen}`, 5000, () => (readFileSync(f.file, 'utf8').trim() === f.frozen ? true : undefined));
  return { podId: pod.id, pod: `${pod.namespace}/${pod.name}`, containerId: app.id, container: app.metadata?.name, pid, freezer: f.file, thawed: f.thawed, note: 'CRI still shows the container Running; its processes sit in D (__refrigerator) until the cgroup is thawed' };
}

export async function clearFrozenPod(_ctx: FaultContext, d: FaultRecord['details']): Promise<void> {
  const file = String(d.freezer);
  if (existsSync(file)) writeFileSync(file, String(d.thawed));
}
