// Turns a lab containerd's [metrics] address on (the seed's precondition: containerd#6772 needs
// the metrics endpoint served and scraped) and restarts it through the lab's supervisor, which
// starts `containerd` from the PATH the lab was brought up with. Prints HOST:PORT.
// Usage: node --import tsx metrics-on.ts LAB_DIR
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { labPaths } from '../../../../../src/lab/paths.ts';
import { labConfigText } from '../../../../../src/lab/config.ts';
import { askSupervisor } from '../../../../../src/lab/supervisor.ts';

const p = labPaths(process.argv[2]);
const port = await new Promise<number>((resolve, reject) => {
  const srv = createServer().once('error', reject).listen(0, '127.0.0.1', () => {
    const { port } = srv.address() as { port: number };
    srv.close(() => resolve(port));
  });
});
const address = `127.0.0.1:${port}`;
writeFileSync(p.config, labConfigText(p, readFileSync(p.defaultConfig, 'utf8'), { metricsAddress: address }));
await askSupervisor(p, { op: 'stop-containerd', signal: 'SIGTERM', graceMs: 10_000 }, 20_000);
await askSupervisor(p, { op: 'start-containerd', config: p.config, waitMs: 30_000 }, 40_000);
process.stdout.write(address + '\n');
