// N `sleep 600` processes as children of one shell that is our child, so every one is reaped:
// closing the shell's stdin makes it kill its jobs and wait for them, then it exits and we reap it.
import { spawn, type ChildProcess } from 'node:child_process';

export interface Sleepers {
  shellPid: number;
  stop(): Promise<void>;
}

export async function spawnSleepers(n: number): Promise<Sleepers> {
  // The pids are kept by hand: a non-interactive dash has no job table for `jobs -p`.
  const script = `i=0; p=; while [ $i -lt ${n} ]; do sleep 600 & p="$p $!"; i=$((i+1)); done; echo ready; read x; kill $p 2>/dev/null; wait`;
  const sh: ChildProcess = spawn('/bin/sh', ['-c', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  const onExit = (): void => { try { sh.kill('SIGKILL'); } catch { /* gone */ } };
  process.once('exit', onExit);
  await new Promise<void>((resolve, reject) => {
    let out = '';
    sh.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready')) resolve();
    });
    sh.once('exit', (code) => reject(new Error(`sleeper shell exited early (${code})`)));
  });
  return {
    shellPid: sh.pid!,
    stop: () =>
      new Promise<void>((resolve) => {
        process.off('exit', onExit);
        if (sh.exitCode !== null) return resolve();
        sh.once('exit', () => resolve());
        sh.stdin!.end('\n');
      }),
  };
}
