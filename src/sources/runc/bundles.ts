// The runc bundles containerd keeps per task: `<state>/io.containerd.runtime.v2.task/<ns>/<id>/`
// with config.json (the OCI spec runc runs), the shim's socket (1.x: an `address` file; 2.x:
// bootstrap.json, which also names the task API the shim serves: readBundleShim is the one reader),
// init.pid and, on 1.x in the directory of the task that started the shim, shim.pid. Also the shim
// socket directory (`/run/containerd/s`: every version puts every shim socket there, whatever its
// state dir).
import { closeSync, existsSync, fstatSync, lstatSync, openSync, readSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { TaskBundle, TaskBundleView } from '../../snapshot/types/runc.ts';
import { readSmall } from '../proc/scan.ts';

export { TASK_STATE_SUBDIR } from '../containerd/layout.ts';
import { CONTAINERD_DEFAULTS, readShimBootstrap, SHIM_BUNDLE_FILES, TASK_STATE_SUBDIR, type ShimBootstrap } from '../containerd/layout.ts';
import { unixPathOf } from '../protocol/endpoint.ts';
import { typedEntries } from './list.ts';
export const DEFAULT_SHIM_SOCKET_DIR = CONTAINERD_DEFAULTS.shimSocketDir;

/** `unix:///run/containerd/s/abc` → `/run/containerd/s/abc`; other schemes unchanged. */
export function socketPathOfAddress(address: string): string {
  return unixPathOf(address) ?? address.trim();
}

/** A file's text, or undefined when it is not there (any other error is thrown). */
function readIfThere(path: string): string | undefined {
  try {
    return readSmall(path, 64 << 10);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * The shim of a task bundle dir: its address, the task API it serves and the protocol, from
 * `address` (1.x) or bootstrap.json (2.x). The one reader of a bundle's shim address: the
 * collection, `ctrdoc goroutines --shim`, the lab and the tests all read it here. Throws, naming
 * the file and what was wrong.
 */
export function readBundleShim(bundleDir: string): ShimBootstrap {
  try {
    return shimOfBundle(bundleDir);
  } catch (err) {
    throw new Error(`task bundle ${bundleDir}: ${(err as Error).message}`);
  }
}

function shimOfBundle(dir: string): ShimBootstrap {
  const read = (name: string) => {
    try {
      return readIfThere(join(dir, name));
    } catch (err) {
      throw new Error(`${name}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  };
  return readShimBootstrap({ address: read(SHIM_BUNDLE_FILES.address), bootstrap: read(SHIM_BUNDLE_FILES.bootstrap) });
}

function readInt(path: string): number | undefined {
  try {
    const t = readSmall(path).trim();
    return /^\d+$/.test(t) ? Number(t) : undefined;
  } catch {
    return undefined;
  }
}

const SANDBOX_ID_KEY = 'io.kubernetes.cri.sandbox-id';

/** The first `max` bytes of a file (a hostile huge spec is not read whole). */
function readHead(path: string, max: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(Math.min(max, Math.max(0, fstatSync(fd).size)));
    let n = 0;
    while (n < buf.length) {
      const r = readSync(fd, buf, n, buf.length - n, null);
      if (r === 0) break;
      n += r;
    }
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** The sandbox id annotation from config.json, read as text to avoid parsing a large spec twice. */
export function sandboxIdOfSpec(text: string): string | undefined {
  const m = /"io\.kubernetes\.cri\.sandbox-id"\s*:\s*"([^"]+)"/.exec(text);
  return m ? m[1] : undefined;
}

/**
 * One task bundle. `knownSandboxId`: the sandbox id runc's state already gave for this id (runc
 * keeps the spec's annotations as its labels), which spares reading the spec (~15 kB each).
 */
export function readTaskBundle(dir: string, namespace: string, id: string, knownSandboxId?: string, opts: { socketCheck?: boolean } = {}): TaskBundle {
  const b: TaskBundle = { namespace, id, dir, hasConfig: false };
  const problems: string[] = [];
  try {
    const shim = shimOfBundle(dir);
    b.address = shim.address;
    b.taskApi = shim.taskApi;
    if (shim.protocol !== 'ttrpc') b.protocol = shim.protocol;
    b.socketPath = socketPathOfAddress(b.address);
    // readTaskBundles looks the sockets up in one listing of their directory instead
    if (opts.socketCheck !== false) b.socketExists = isSocket(b.socketPath);
  } catch (err) {
    problems.push(`shim address: ${(err as Error).message}`);
  }
  const initPid = readInt(join(dir, 'init.pid'));
  if (initPid !== undefined) b.initPid = initPid;
  const shimPid = readInt(join(dir, 'shim.pid'));
  if (shimPid !== undefined) b.shimPid = shimPid;
  if (knownSandboxId) {
    b.hasConfig = existsSync(join(dir, 'config.json'));
    b.sandboxId = knownSandboxId;
  } else try {
    // the spec stays bytes: only the few around the annotation are decoded (hundreds of specs, ~15 kB each)
    const spec = readHead(join(dir, 'config.json'), 4 << 20);
    b.hasConfig = true;
    const at = spec.indexOf(SANDBOX_ID_KEY);
    const sb = at < 0 ? undefined : sandboxIdOfSpec(spec.toString('utf8', at - 1, Math.min(spec.length, at + SANDBOX_ID_KEY.length + 200)));
    if (sb) b.sandboxId = sb;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') problems.push(`config.json: ${code ?? String(err)}`);
  }
  if (problems.length) b.error = problems.join('; ');
  return b;
}

/**
 * Reads `<stateDir>/io.containerd.runtime.v2.task/<namespace>/*` and the shim socket dir.
 * `sandboxIds`: container id → sandbox id, as runc's state names them (read the specs of the rest).
 */
export function readTaskBundles(stateDir: string, namespace: string, socketDir?: string, sandboxIds?: ReadonlyMap<string, string>): TaskBundleView {
  const dir = join(stateDir, TASK_STATE_SUBDIR, namespace);
  const view: TaskBundleView = { dir, bundles: [], sockets: [] };
  let names: string[] = [];
  try {
    // typed entries: no stat per bundle
    names = typedEntries(dir).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    view.error = e.code === 'ENOENT' ? `${dir} does not exist (no tasks in namespace ${namespace})` : `cannot read ${dir}: ${e.code ?? e.message}`;
  }
  for (const id of names) {
    const b = readTaskBundle(join(dir, id), namespace, id, sandboxIds?.get(id), { socketCheck: false });
    // deleted since the listing (its task was deleted: normal churn): no longer a bundle
    if (b.error && !existsSync(b.dir)) continue;
    view.bundles.push(b);
  }
  const sockDir = socketDir ?? (view.bundles.find((b) => b.socketPath)?.socketPath ? dirname(view.bundles.find((b) => b.socketPath)!.socketPath!) : DEFAULT_SHIM_SOCKET_DIR);
  // the shims' sockets, listed once: whether a bundle's socket exists is a look-up, not an lstat each
  const listed = listSockets(sockDir);
  for (const b of view.bundles) if (b.socketPath) b.socketExists = dirname(b.socketPath) === sockDir ? listed.has(b.socketPath) : isSocket(b.socketPath);
  const referenced = new Set(view.bundles.map((b) => b.socketPath));
  for (const p of [...listed].sort()) view.sockets.push({ path: p, referenced: referenced.has(p) });
  return view;
}

/** The sockets in one directory, by path (none when it cannot be read). */
function listSockets(dir: string): Set<string> {
  try {
    return new Set(typedEntries(dir).filter((e) => e.isSocket()).map((e) => join(dir, e.name)));
  } catch {
    return new Set(); // no socket dir: no sockets
  }
}

function isSocket(path: string): boolean {
  try {
    return lstatSync(path).isSocket();
  } catch {
    return false;
  }
}
