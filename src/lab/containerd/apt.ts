// A private apt configuration: its own sources list, state and cache under the lab's cache dir,
// passed to apt-get with -o, so Debian's newer suites (trixie, sid) and Debian 12's source
// packages can be reached without touching the system's apt sources or installed packages.
// It only ever downloads (`apt-get download`, `apt-get source --download-only`) or simulates.
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { CtrdocError } from '../../errors.ts';

/** Where the system's apt sources name Debian's archive (deb822 or one-line format). */
export const SYSTEM_SOURCES = ['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list'];
export const DEFAULT_MIRROR = 'http://deb.debian.org/debian';
export const ARCHIVE_KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';

/**
 * The mirror the system's own apt sources use for Debian's main archive: the first URI of a
 * deb822 stanza (or a one-line entry) whose suite is a Debian release and not -security.
 */
export function systemMirror(texts: string[]): string | undefined {
  for (const text of texts) {
    for (const stanza of text.split(/\n\s*\n/)) {
      const field = (name: string) => new RegExp(`^${name}:\\s*(.+)$`, 'mi').exec(stanza)?.[1].trim();
      const uris = field('URIs');
      const suites = field('Suites');
      if (uris && suites && !/security/.test(suites)) return uris.split(/\s+/)[0].replace(/\/+$/, '');
    }
    for (const line of text.split('\n')) {
      const m = /^\s*deb(?:-src)?\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line);
      if (m && !/security/.test(m[2])) return m[1].replace(/\/+$/, '');
    }
  }
  return undefined;
}

export function readSystemMirror(): string {
  const texts = SYSTEM_SOURCES.filter((f) => existsSync(f)).map((f) => {
    try { return readFileSync(f, 'utf8'); } catch { return ''; }
  });
  return systemMirror(texts) ?? DEFAULT_MIRROR;
}

/** One-line sources for a suite (deb, and deb-src when asked), signed by Debian's archive keyring. */
export function sourcesListText(mirror: string, suite: string, o: { src?: boolean; updates?: boolean } = {}): string {
  const signed = `[signed-by=${ARCHIVE_KEYRING}]`;
  const suites = o.updates ? [suite, `${suite}-updates`] : [suite];
  const lines = ['# ctrdoc lab: a private apt source list (the system\'s apt sources are not touched)'];
  for (const s of suites) {
    lines.push(`deb ${signed} ${mirror} ${s} main`);
    if (o.src) lines.push(`deb-src ${signed} ${mirror} ${s} main`);
  }
  return lines.join('\n') + '\n';
}

export interface PrivateApt {
  dir: string;
  suite: string;
  /** the -o options that make apt-get/apt-cache use only this configuration */
  options: string[];
  run(tool: 'apt-get' | 'apt-cache', args: string[], o?: { cwd?: string; timeoutMs?: number }): Promise<string>;
}

const sh = (cmd: string, args: string[], o: { cwd?: string; timeoutMs: number }) =>
  new Promise<string>((resolve, reject) => {
    execFile(cmd, args, { cwd: o.cwd, timeout: o.timeoutMs, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, LC_ALL: 'C', DEBIAN_FRONTEND: 'noninteractive' } }, (err, stdout, stderr) => {
      if (err) {
        const why = (err as { killed?: boolean }).killed ? `no end within ${o.timeoutMs / 1000} s` : (stderr.trim().split('\n').slice(-3).join(' / ') || err.message);
        reject(new CtrdocError('unavailable', `${cmd} ${args.filter((a) => !a.startsWith('Dir::') && !a.startsWith('APT::') && a !== '-o').join(' ')}: ${why}`));
      } else resolve(stdout);
    });
  });

/** Writes (or reuses) the private configuration for a suite under dir. Downloads nothing yet. */
export function privateApt(dir: string, suite: string, o: { src?: boolean; mirror?: string } = {}): PrivateApt {
  for (const d of ['etc/sources.list.d', 'etc/preferences.d', 'state/lists/partial', 'cache/archives/partial']) mkdirSync(join(dir, d), { recursive: true });
  const mirror = o.mirror ?? readSystemMirror();
  writeFileSync(join(dir, 'etc/sources.list'), sourcesListText(mirror, suite, { src: o.src, updates: suite === 'bookworm' }));
  const status = join(dir, 'state/status');
  if (!existsSync(status)) writeFileSync(status, '');
  const options = [
    `Dir::Etc::SourceList=${join(dir, 'etc/sources.list')}`,
    `Dir::Etc::SourceParts=${join(dir, 'etc/sources.list.d')}`,
    `Dir::Etc::Preferences=${join(dir, 'etc/preferences')}`,
    `Dir::Etc::PreferencesParts=${join(dir, 'etc/preferences.d')}`,
    `Dir::State=${join(dir, 'state')}`,
    // an empty dpkg status: simulations resolve from nothing, as on a fresh machine
    `Dir::State::status=${status}`,
    `Dir::Cache=${join(dir, 'cache')}`,
    // downloads land in dirs only root can write; apt's _apt sandbox user cannot
    'APT::Sandbox::User=root',
    'Debug::NoLocking=1',
  ].flatMap((x) => ['-o', x]);
  return {
    dir,
    suite,
    options,
    run: (tool, args, ro = {}) => sh(tool, [...options, ...args], { cwd: ro.cwd, timeoutMs: ro.timeoutMs ?? 300_000 }),
  };
}

/** `apt-get update` of the private lists, unless they were fetched within maxAgeMs. */
export async function updateLists(apt: PrivateApt, maxAgeMs = 24 * 3600_000): Promise<boolean> {
  const stamp = join(apt.dir, 'state/updated-at');
  try {
    if (Date.now() - Number(readFileSync(stamp, 'utf8')) < maxAgeMs) return false;
  } catch { /* never updated */ }
  await apt.run('apt-get', ['-q', 'update'], { timeoutMs: 300_000 });
  writeFileSync(stamp, String(Date.now()));
  return true;
}

/** The version apt would pick for pkg in this configuration ("(none)" when the suite lacks it). */
export async function candidateVersion(apt: PrivateApt, pkg: string): Promise<string | undefined> {
  const out = await apt.run('apt-cache', ['policy', pkg], { timeoutMs: 60_000 });
  const v = /^\s*Candidate:\s*(\S+)/m.exec(out)?.[1];
  return v && v !== '(none)' ? v : undefined;
}

/** The Build-Depends of one version of a source package, as bare package names. */
export function buildDependsOf(showsrc: string, version: string): string[] {
  for (const stanza of showsrc.split(/\n\s*\n/)) {
    if (new RegExp(`^Version:\\s*${version.replace(/[.+~]/g, '\\$&')}\\s*$`, 'm').test(stanza)) {
      const bd = /^Build-Depends:\s*((?:.*\n(?:[ \t].*\n)*)?)/m.exec(stanza + '\n')?.[1] ?? '';
      return bd.split(',').map((d) => d.split('|')[0].replace(/\(.*?\)|\[.*?\]|<.*?>/g, '').trim()).filter(Boolean);
    }
  }
  return [];
}

/** The packages an `apt-get -s install` would install, in order ("Inst NAME (VERSION ...)"). */
export function simulatedInstalls(sim: string): { name: string; version: string }[] {
  const out: { name: string; version: string }[] = [];
  for (const m of sim.matchAll(/^Inst (\S+) (?:\[[^\]]*\] )?\((\S+)/gm)) out.push({ name: m[1], version: m[2] });
  return out;
}
