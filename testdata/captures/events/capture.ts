// Records what containerd's Events.Subscribe (and, on 2.x, CRI's GetContainerEvents) send while
// a lab pod crash-loops: the real envelopes and messages `ctrdoc watch` decodes. Run as root from
// the repo root, on a lab of your own (`ctrdoc lab up --dir DIR --containerd V`):
//   node --import tsx testdata/captures/events/capture.ts DIR
// It applies the lab fault crashloop (--period 2s) for about 10 s, clears it, and writes
// testdata/captures/events/<containerd version>/containerd.jsonl (one line per envelope: its
// topic and the envelope's bytes, base64) and cri.jsonl (2.x: each ContainerEventResponse's
// bytes), as they came: the payloads' paths name the lab dir the capture ran on (nothing else of
// the machine is in them).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GrpcConnection } from '../../../src/sources/protocol/grpc.ts';
import { encode, messageType } from '../../../src/sources/protocol/codecs.ts';
import { labPaths } from '../../../src/lab/paths.ts';
import { applyFault, clearFault } from '../../../src/lab/faults/index.ts';
import { familyOf } from '../../../src/sources/containerd/layout.ts';

const dir = process.argv[2];
if (!dir) throw new Error('usage: capture.ts LABDIR');
const p = labPaths(dir);
const ctd = new GrpcConnection(`unix://${p.socket}`, { what: 'containerd', timeoutMs: 5000, metadata: { 'containerd-namespace': 'k8s.io' } });
const { version } = await ctd.unary<{ version: string }>('containerd.services.version.v1.Version', 'Version', {});
const envelopes: unknown[] = [];
const cri: unknown[] = [];
const filters = ['tasks', 'containers', 'images', 'sandboxes'].map((t) => `namespace==k8s.io,topic~="^/${t}/"`);
const events = ctd.serverStream('containerd.services.events.v1.Events', 'Subscribe', { filters }, (m) => envelopes.push(m), 60_000);
const criConn = new GrpcConnection(`unix://${p.socket}`, { what: 'CRI', timeoutMs: 5000 });
const criEvents = familyOf(version) === '2.x' ? criConn.serverStream('runtime.v1.RuntimeService', 'GetContainerEvents', {}, (m) => cri.push(m), 60_000) : undefined;
await applyFault(p, 'crashloop', { period: '2s' });
await new Promise((r) => setTimeout(r, 10_000));
await clearFault(p, 'crashloop');
await new Promise((r) => setTimeout(r, 2000));
events.cancel();
criEvents?.cancel();
await Promise.allSettled([events.done, criEvents?.done]);
ctd.close();
criConn.close();
const out = join('testdata/captures/events', version.replace(/[~+].*$/, ''));
mkdirSync(out, { recursive: true });
const envType = messageType('containerd.services.events.v1.Envelope');
writeFileSync(join(out, 'containerd.jsonl'), envelopes.map((e) => JSON.stringify({ topic: (e as { topic: string }).topic, envelope: Buffer.from(encode(envType, e as object)).toString('base64') })).join('\n') + '\n');
if (criEvents) {
  const t = messageType('runtime.v1.ContainerEventResponse');
  writeFileSync(join(out, 'cri.jsonl'), cri.map((e) => JSON.stringify({ type: (e as { containerEventType: string }).containerEventType, message: Buffer.from(encode(t, e as object)).toString('base64') })).join('\n') + '\n');
}
console.log(`containerd ${version}: ${envelopes.length} envelopes, ${cri.length} CRI events -> ${out}`);
