// The lab's images, built by ctrdoc from the host's busybox-static (there is no registry here):
// a "pause" image (a shell that sleeps until SIGTERM/SIGINT, then exits 0) and an "app" image.
import { readFileSync, existsSync, writeFileSync, mkdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { CtrdocError } from '../errors.ts';
import { buildOciImageTarball, type ImageSpec, type LayerEntry } from './oci-layout.ts';

export const PAUSE_IMAGE = 'ctrdoc.local/lab/pause:1';
export const APP_IMAGE = 'ctrdoc.local/lab/app:1';
export const BUSYBOX_PATHS = ['/bin/busybox', '/usr/bin/busybox'];

// PID 1 of a pid namespace ignores signals it has no handler for, so the sleeping shell traps
// TERM and INT and exits; its sleep child dies with the namespace.
const PAUSE_SCRIPT = 'trap "exit 0" TERM INT; sleep 2147483647 & wait';
const APP_SCRIPT = 'trap "echo app: stopping; exit 0" TERM INT; i=0; while :; do i=$((i+1)); echo "app: tick $i"; sleep 5 & wait $!; done';

export function findBusybox(): string {
  const found = BUSYBOX_PATHS.find((p) => existsSync(p));
  if (!found) throw new CtrdocError('not-found', 'busybox-static is not installed', 'apt-get install -y busybox-static');
  const out = execFileSync(found, ['--list'], { encoding: 'utf8', timeout: 5000 });
  if (!out.includes('sh')) throw new CtrdocError('failed-precondition', `${found} has no sh applet`, 'install busybox-static');
  return found;
}

/** busybox at /bin/busybox with every applet as a symlink in /bin, plus the usual empty dirs. */
export function busyboxEntries(busybox = findBusybox()): LayerEntry[] {
  const applets = execFileSync(busybox, ['--list'], { encoding: 'utf8', timeout: 5000 })
    .split('\n')
    .map((s) => s.trim())
    .filter((s) => /^[\w.[\]-]+$/.test(s) && s !== 'busybox');
  const entries: LayerEntry[] = [{ path: 'bin/busybox', type: 'file', content: readFileSync(busybox), mode: 0o755 }];
  for (const a of [...new Set(applets)]) entries.push({ path: `bin/${a}`, type: 'symlink', target: 'busybox' });
  for (const d of ['etc', 'proc', 'sys', 'dev', 'tmp', 'var/log', 'app']) entries.push({ path: d, type: 'dir', mode: d === 'tmp' ? 0o1777 : 0o755 });
  entries.push({ path: 'etc/passwd', type: 'file', content: Buffer.from('root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n') });
  entries.push({ path: 'etc/group', type: 'file', content: Buffer.from('root:x:0:\nnogroup:x:65534:\n') });
  return entries;
}

export function labImageSpecs(entries = busyboxEntries()): ImageSpec[] {
  return [
    { name: PAUSE_IMAGE, entries, entrypoint: ['/bin/sh', '-c', PAUSE_SCRIPT], labels: { 'ctrdoc.dev/lab-image': 'pause' } },
    { name: APP_IMAGE, entries, entrypoint: ['/bin/sh', '-c'], cmd: [APP_SCRIPT], workingDir: '/app', labels: { 'ctrdoc.dev/lab-image': 'app' } },
  ];
}

/** Writes each image's OCI layout tarball under dir; returns name → tarball path. */
export async function writeLabImages(dir: string): Promise<Map<string, string>> {
  mkdirSync(dir, { recursive: true });
  const out = new Map<string, string>();
  for (const spec of labImageSpecs()) {
    const img = await buildOciImageTarball(spec);
    const file = join(dir, spec.name.replace(/[^\w.-]+/g, '_') + '.oci.tar');
    writeFileSync(file, img.tarball);
    out.set(spec.name, file);
  }
  return out;
}
