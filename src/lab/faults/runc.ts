// Faults made with runc alone, in the lab's runc root, behind containerd's back:
//  - stuck-init: `runc create` without `start`: a real `runc init` parked on exec.fifo.
//  - leaked-runc: `runc create` + `start`: a running container containerd does not know.
// Both are orphaned to init when runc exits, exactly as on a node where the caller died.
import { mkdirSync, writeFileSync, copyFileSync, symlinkSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { CtrdocError } from '../../errors.ts';
import { findBusybox } from '../images.ts';
import type { LabPaths } from '../paths.ts';
import { RUNC_ID_PREFIX, runc, runcList, waitFor, type FaultContext, type FaultRecord } from './context.ts';
import { isAlive, signal, waitGone } from '../host.ts';

/** A minimal OCI bundle: busybox rootfs and a spec with the lab's cgroup parent. */
function writeBundle(p: LabPaths, id: string, args: string[]): string {
  const bundle = join(p.faults, 'bundles', id);
  const rootfs = join(bundle, 'rootfs');
  mkdirSync(join(rootfs, 'bin'), { recursive: true });
  for (const d of ['proc', 'sys', 'dev', 'tmp']) mkdirSync(join(rootfs, d), { recursive: true });
  copyFileSync(findBusybox(), join(rootfs, 'bin', 'busybox'));
  for (const a of ['sh', 'sleep', 'echo']) symlinkSync('busybox', join(rootfs, 'bin', a));
  execFileSync('runc', ['spec', '--bundle', bundle], { stdio: 'ignore' });
  const spec = JSON.parse(execFileSync('cat', [join(bundle, 'config.json')], { encoding: 'utf8' }));
  spec.process.terminal = false;
  spec.process.args = args;
  spec.process.env = ['PATH=/bin', `CTRDOC_FAULT=${id}`];
  spec.root = { path: 'rootfs', readonly: true };
  spec.hostname = id.slice(0, 40);
  spec.linux.cgroupsPath = `/${p.cgroupParent}/faults/${id}`;
  spec.annotations = { 'ctrdoc.dev/lab-fault': id };
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec, null, 2));
  return bundle;
}

/**
 * runc create/start with stdio on /dev/null: the container inherits runc's stdio, so pipes
 * would never close. Errors come from runc's --log file.
 */
function runcDetached(p: LabPaths, bundle: string, args: string[]): void {
  const log = join(bundle, 'runc.log');
  const r = spawnSync('runc', ['--root', p.runcRoot, '--log', log, '--log-format', 'json', ...args], { stdio: 'ignore', timeout: 15_000 });
  if (r.status !== 0) {
    let msg = '';
    try { msg = readFileSync(log, 'utf8').trim().split('\n').pop() ?? ''; } catch { /* no log */ }
    throw new CtrdocError('internal', `runc ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`}): ${msg}`);
  }
}

function newId(kind: string): string {
  return `${RUNC_ID_PREFIX}${kind}-${randomBytes(4).toString('hex')}`;
}

export async function applyStuckInit(ctx: FaultContext): Promise<FaultRecord['details']> {
  const id = newId('stuck');
  const bundle = writeBundle(ctx.p, id, ['sh', '-c', 'echo "stuck-init: started (never, unless someone runs runc start)"']);
  runcDetached(ctx.p, bundle, ['create', '--bundle', bundle, id]);
  const entry = await waitFor('runc list shows the container created', 5000, () => runcList(ctx.p).find((e) => e.id === id && e.status === 'created'));
  ctx.log(`runc init pid ${entry.pid} parked on ${ctx.p.runcRoot}/${id}/exec.fifo`);
  return { runcId: id, pid: entry.pid, bundle, fifo: join(ctx.p.runcRoot, id, 'exec.fifo') };
}

export async function applyLeakedRunc(ctx: FaultContext): Promise<FaultRecord['details']> {
  const id = newId('leaked');
  const bundle = writeBundle(ctx.p, id, ['sh', '-c', 'trap "exit 0" TERM; echo "leaked-runc: running, unknown to containerd"; sleep 2147483647 & wait']);
  runcDetached(ctx.p, bundle, ['create', '--bundle', bundle, id]);
  runcDetached(ctx.p, bundle, ['start', id]);
  const entry = await waitFor('runc list shows the container running', 5000, () => runcList(ctx.p).find((e) => e.id === id && e.status === 'running'));
  return { runcId: id, pid: entry.pid, bundle };
}

/** Kills and deletes a runc container of a fault, then removes its bundle. */
export async function clearRuncContainer(ctx: FaultContext, d: FaultRecord['details']): Promise<void> {
  const id = String(d.runcId);
  const pid = Number(d.pid);
  if (runcList(ctx.p).some((e) => e.id === id)) {
    try { runc(ctx.p, ['kill', id, 'KILL']); } catch { /* created containers take kill too; delete --force covers the rest */ }
    try { runc(ctx.p, ['delete', '--force', id]); } catch (err) { ctx.log(String((err as Error).message)); }
  }
  if (pid && isAlive(pid)) signal(pid, 'SIGKILL');
  await waitGone([pid].filter(Boolean), 5000);
  rmSync(String(d.bundle), { recursive: true, force: true });
  rmSync(join(ctx.p.runcRoot, id), { recursive: true, force: true });
}
