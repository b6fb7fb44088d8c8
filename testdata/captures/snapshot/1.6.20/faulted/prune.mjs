// Keeps a captured Snapshot small and free of this machine: the stack's processes only (the
// rules read the tree built from them, not the table), OCI specs and CRI configs dropped from
// verbose statuses (of the runtime's own, the keys the rules compare), the lab dir renamed, the
// host named "node-1".
import { readFileSync } from 'node:fs';
const [file, labDir] = process.argv.slice(2);
const s = JSON.parse(readFileSync(file, 'utf8'));
const stackPids = new Set((s.tree.data?.processes ?? []).map((p) => p.pid));
if (s.proc.data) s.proc.data.processes = s.proc.data.processes.filter((p) => stackPids.has(p.pid));
for (const d of s.cri.containerDetails.data ?? []) if (d.info) { delete d.info.runtimeSpec; delete d.info.config; }
for (const d of s.cri.sandboxDetails.data ?? []) if (d.info) { delete d.info.runtimeSpec; delete d.info.config; }
// of the CRI plugin's running config, the keys the rules compare with the file
const running = s.cri.status.data?.info?.config;
if (s.cri.status.data?.info) {
  const c = running?.containerd ?? {};
  const runtimes = Object.fromEntries(Object.entries(c.runtimes ?? {}).map(([k, v]) => [k, { options: { SystemdCgroup: v?.options?.SystemdCgroup } }]));
  s.cri.status.data.info = { config: { sandboxImage: running?.sandboxImage, restrictOOMScoreAdj: running?.restrictOOMScoreAdj, drainExecSyncIOTimeout: running?.drainExecSyncIOTimeout, containerd: { snapshotter: c.snapshotter, defaultRuntimeName: c.defaultRuntimeName, runtimes } } };
}
for (const c of s.runc.data?.containers ?? []) c.cgroupPaths = Object.fromEntries(Object.entries(c.cgroupPaths ?? {}).slice(0, 2));
// /run/containerd/s is machine-wide: keep the sockets this lab's bundles name
if (s.bundles.data) s.bundles.data.sockets = s.bundles.data.sockets.filter((x) => x.referenced);
s.host.hostname = 'node-1';
const text = JSON.stringify(s, null, 1).replaceAll(labDir, '/var/lib/ctrdoc-lab');
process.stdout.write(text + '\n');
