// A lab for one benchmark (its own dir under /tmp), grown to N pods (2N containers in containerd:
// a pause and an app per pod), with the flags that point ctrdoc at it.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { settle } from './process-timing.ts';

export const root = join(import.meta.dirname, '..');
export const cli = join(root, 'dist', 'ctrdoc.cjs');

export interface BenchLab {
  dir: string;
  sock: string;
  endpoint: string;
  flags: string[];
  runcRoot: string;
  /** tops the lab up to `pods` ready pods, then waits for the machine to settle */
  grow(pods: number): void;
  /** how the machine was after the last growth (settle()), for the table's heading */
  settled: string;
  down(): void;
}

export function benchLab(dir: string, pods: number): BenchLab {
  const up = (n: number) => {
    const r = spawnSync(process.execPath, [cli, 'lab', 'up', '--dir', dir, '--pods', String(n)], { encoding: 'utf8', timeout: 900_000 });
    if (r.status !== 0) throw new Error(`lab up --pods ${n} failed: ${r.stderr}`);
    settled = settle();
  };
  let settled = '';
  up(pods);
  const env = readFileSync(join(dir, 'env'), 'utf8');
  const sock = join(dir, 'containerd.sock');
  return {
    dir,
    sock,
    endpoint: `unix://${sock}`,
    flags: (/^CTRDOC_FLAGS="(.*)"$/m.exec(env)?.[1] ?? '').split(' ').filter(Boolean),
    runcRoot: join(dir, 'runc', 'k8s.io'),
    get settled() {
      return settled;
    },
    grow: up,
    down: () => {
      spawnSync(process.execPath, [cli, 'lab', 'down', '--dir', dir], { stdio: 'ignore', timeout: 600_000 });
    },
  };
}
