// The image the DaemonSet runs, built by ctrdoc itself the way the lab builds its images (an OCI
// image layout from src/lab/oci-layout.ts), with no base image: one layer holding the single
// executable, the shared libraries it links (read with ldd, copied from this machine), and
// busybox-static for a shell to exec into. `ctrdoc` is on PATH and there is no entrypoint, so
// the DaemonSet's args (["ctrdoc", "serve", ...]) are the command.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, realpathSync } from 'node:fs';
import { CtrdocError } from '../errors.ts';
import { CTRDOC_VERSION } from '../version.ts';
import { buildOciImageTarball, type LayerEntry, type OciImageTarball } from '../lab/oci-layout.ts';
import { busyboxEntries } from '../lab/images.ts';

export const IMAGE_REPOSITORY = 'ctrdoc.local/ctrdoc';
export const EXECUTABLE_PATH = 'usr/local/bin/ctrdoc';

/** One shared library as ldd names it, and the file behind it on this machine. */
export interface LinkedLibrary {
  /** the path the dynamic linker looks at (the interpreter's, or ldd's "=> path") */
  path: string;
  file: string;
}

/**
 * Parses `ldd FILE`: "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x…)" and the interpreter
 * "/lib64/ld-linux-x86-64.so.2 (0x…)"; the vDSO has no file. A library ldd cannot find is an
 * error: the image would not start.
 */
export function parseLdd(text: string): string[] {
  const paths: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || /^linux-(vdso|gate)\.so/.test(line) || /statically linked|not a dynamic executable/.test(line)) continue;
    const arrow = /^(\S+)\s+=>\s+(.*)$/.exec(line);
    if (arrow) {
      if (/^not found/.test(arrow[2])) throw new CtrdocError('not-found', `the executable links ${arrow[1]}, which ldd cannot find`, 'install that library, or build on a machine that has it');
      const p = /^(\/\S+)/.exec(arrow[2]);
      if (p) paths.push(p[1]);
      continue;
    }
    const direct = /^(\/\S+)\s+\(0x[0-9a-f]+\)$/.exec(line);
    if (direct) paths.push(direct[1]);
    else throw new CtrdocError('bad-input', `ldd: a line ctrdoc does not understand: "${line}"`);
  }
  return [...new Set(paths)];
}

export function linkedLibraries(executable: string): LinkedLibrary[] {
  let out: string;
  try {
    out = execFileSync('ldd', [executable], { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; code?: string };
    if (/not a dynamic executable/.test(`${e.stdout}${e.stderr}`)) return [];
    if (e.code === 'ENOENT') throw new CtrdocError('not-found', 'ldd is not installed', 'apt-get install -y libc-bin');
    throw new CtrdocError('internal', `ldd ${executable} failed: ${e.stderr || (err as Error).message}`);
  }
  return parseLdd(out).map((path) => ({ path, file: realpathSync(path) }));
}

export interface CtrdocImage extends OciImageTarball {
  name: string;
  libraries: LinkedLibrary[];
}

/** The image's tag: ctrdoc's version and the executable's own digest, so a rebuilt executable is a new image. */
export function imageName(executable: Buffer): string {
  return `${IMAGE_REPOSITORY}:${CTRDOC_VERSION}-${createHash('sha256').update(executable).digest('hex').slice(0, 12)}`;
}

export async function buildCtrdocImage(o: { executable: string; name?: string; shell?: boolean }): Promise<CtrdocImage> {
  let exe: Buffer;
  try {
    exe = readFileSync(o.executable);
  } catch (err) {
    throw new CtrdocError('not-found', `the executable ${o.executable} cannot be read: ${(err as Error).message}`, 'build it first: npm run build:binary');
  }
  const libraries = linkedLibraries(o.executable);
  const entries: LayerEntry[] = [
    { path: EXECUTABLE_PATH, type: 'file', content: exe, mode: 0o755 },
    ...libraries.map((l): LayerEntry => ({ path: l.path, type: 'file', content: readFileSync(l.file), mode: 0o755 })),
  ];
  if (o.shell !== false) {
    const taken = new Set(entries.map((e) => e.path.replace(/^\/+/, '')));
    entries.push(...busyboxEntries().filter((e) => !taken.has(e.path)));
  } else {
    entries.push({ path: 'tmp', type: 'dir', mode: 0o1777 });
  }
  const name = o.name ?? imageName(exe);
  const img = await buildOciImageTarball({
    name,
    entries,
    cmd: ['ctrdoc', 'serve'],
    env: ['PATH=/usr/local/bin:/bin'],
    labels: { 'org.opencontainers.image.title': 'ctrdoc', 'org.opencontainers.image.version': CTRDOC_VERSION },
    createdBy: `ctrdoc src/image (single executable + ${libraries.length} linked libraries${o.shell === false ? '' : ' + busybox-static'})`,
  });
  return { ...img, name, libraries };
}
