// The config containerd's CRI plugin runs with, as its verbose Status shows it (info.config, the
// CRI plugin's config struct as JSON), set against the config file as `containerd config dump`
// reads it now. They differ when the file was edited and containerd not restarted: containerd
// reads its config once, at start. 2.x shows no sandbox image in its Status (layout.ts): there,
// the file says what containerd runs with as long as it is unchanged since containerd started,
// and the images CRI pins are what is left to go by after an edit.
import type { ConfigFacts, Snapshot } from '../snapshot/types/index.ts';
import { configKeyName, readCriStatusShape } from '../sources/containerd/layout.ts';
import { maybe } from './rule.ts';

type Obj = Record<string, unknown>;

/**
 * The facts the running CRI plugin shows, in the one shape (layout.ts knows each version's
 * Status: 2.x shows no sandbox image or snapshotter, so those are not compared there);
 * undefined without a config.
 */
export function runningConfigFacts(info: Obj | undefined): ConfigFacts | undefined {
  return readCriStatusShape(info)?.facts;
}

/** When containerd started (ms since the epoch), from its uptime at collection; undefined when not known. */
export function containerdStartedAt(s: Snapshot): number | undefined {
  const p = maybe(s.containerd.process);
  const at = Date.parse(s.collectedAt);
  return p && Number.isFinite(at) ? at - p.uptimeSec * 1000 : undefined;
}

/**
 * Was the config file modified after containerd started (so containerd may not run with it)?
 * Undefined when either time is unknown. Uptime is in whole seconds: an edit within 2 s of the
 * start may be the one it loaded.
 */
export function configEditedSinceStart(s: Snapshot): boolean | undefined {
  const started = containerdStartedAt(s);
  const at = maybe(s.containerd.config)?.modifiedAt;
  const modified = at ? Date.parse(at) : undefined;
  return started === undefined || modified === undefined ? undefined : modified > started + 2000;
}

/** The sandbox image containerd runs with, and how that is known. */
export type RunningSandboxImage =
  /** known: the 1.x CRI Status names it, or (2.x) the file is unchanged since containerd started */
  | { image: string; from: string }
  /** 2.x after an edit: not shown anywhere; the images CRI pins (each was the sandbox image once) */
  | { image?: undefined; pinned: string[]; from: string };

export function runningSandboxImage(s: Snapshot): RunningSandboxImage | undefined {
  const view = maybe(s.cri.sandboxImage);
  if (view?.from !== 'pinned-image') {
    const image = view?.image ?? runningConfigFacts(maybe(s.cri.status)?.info)?.sandboxImage;
    return image ? { image, from: 'the running CRI plugin' } : undefined;
  }
  const file = maybe(s.containerd.config);
  const fileImage = file?.dumpOk ? file.facts.sandboxImage : undefined;
  if (fileImage && configEditedSinceStart(s) === false) return { image: fileImage, from: 'the config file, unchanged since containerd started' };
  return { pinned: view.pinned ?? [], from: 'the images the running CRI plugin pins' };
}

/** `pause:3.9`, `docker.io/library/pause:3.9` and `library/pause:3.9` name one image. */
export function sameImage(a: string, b: string): boolean {
  const norm = (x: string) => x.replace(/^docker\.io\//, '').replace(/^library\//, '');
  return norm(a) === norm(b);
}

/** The keys compared; each is named as the file's config version spells it (configKeyName). */
export const comparedKeys: (keyof ConfigFacts)[] = [
  'systemdCgroup', 'sandboxImage', 'snapshotter', 'restrictOomScoreAdj', 'drainExecSyncIoTimeout', 'runcBinaryName', 'cniConfDir',
];

export interface UnappliedKey {
  key: string;
  file: string;
  running: string;
  /** how the running value is known, when it is not shown as such */
  note?: string;
}

/**
 * Keys whose value in the file differs from the running one; a key either side lacks is not
 * compared. The sandbox image from `sandbox` when given (2.x): an edited file naming an image CRI
 * does not pin is said as such, with the pinned ones.
 */
export function unappliedKeys(file: ConfigFacts, running: ConfigFacts, sandbox?: RunningSandboxImage): UnappliedKey[] {
  const out: UnappliedKey[] = [];
  for (const fact of comparedKeys) {
    const key = configKeyName(fact, file.configVersion);
    const f = file[fact];
    if (fact === 'sandboxImage' && sandbox && typeof f === 'string') {
      if (sandbox.image !== undefined) {
        if (!sameImage(sandbox.image, f)) out.push({ key, file: JSON.stringify(f), running: JSON.stringify(sandbox.image) });
      } else if (sandbox.pinned.length && !sandbox.pinned.some((p) => sameImage(p, f))) {
        out.push({ key, file: JSON.stringify(f), running: sandbox.pinned.map((p) => JSON.stringify(p)).join(' or '), note: 'pinned by CRI: 2.x shows the sandbox image it runs with nowhere else' });
      }
      continue;
    }
    const r = running[fact];
    if (f === undefined || r === undefined) continue;
    if (JSON.stringify(f) !== JSON.stringify(r)) out.push({ key, file: JSON.stringify(f), running: JSON.stringify(r) });
  }
  return out;
}
