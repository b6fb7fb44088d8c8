// Asks containerd to start a created task (Tasks.Start), as the CRI plugin's StartContainer would,
// and waits up to TIMEOUT_MS for the answer. With the container's `runc init` stopped, the shim's
// `runc start` blocks opening exec.fifo and this call waits: the goroutine dump shows it.
// Usage: node --import tsx start-task.ts CONTAINERD_SOCKET CONTAINER_ID TIMEOUT_MS
import { ContainerdClient } from '../../../../../src/sources/containerd/client.ts';

const [address, id, timeout] = process.argv.slice(2);
const client = new ContainerdClient(address, { namespace: 'k8s.io', timeoutMs: Number(timeout) });
try {
  const r = await client.startTask(id, Number(timeout));
  process.stdout.write(`started: pid ${r.pid}\n`);
} catch (err) {
  process.stdout.write(`start did not complete: ${(err as Error).message}\n`);
} finally {
  client.close();
}
