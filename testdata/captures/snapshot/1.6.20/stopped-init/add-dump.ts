// Reads containerd's goroutine dump from its debug socket into a Snapshot, as the doctor will on
// every run once it reads the dump whether or not something looks hung (today it does not: a
// stopped `runc init` is not yet a fact that makes it look). Usage:
//   node --import tsx add-dump.ts SNAPSHOT.json DEBUG_SOCKET
import { readFileSync, writeFileSync } from 'node:fs';
import { analyzeStream } from '../../../../../src/goroutines/index.ts';
import { GOROUTINE_DUMP_PATH, openDebugStream } from '../../../../../src/sources/debug/http.ts';

const [file, socket] = process.argv.slice(2);
const s = JSON.parse(readFileSync(file, 'utf8'));
const started = Date.now();
const data = await analyzeStream(await openDebugStream(socket, GOROUTINE_DUMP_PATH, { timeoutMs: 5000, maxBytes: 512 << 20 }));
s.containerd.goroutines = { probe: 'containerd.goroutines', status: 'ok', durationMs: Date.now() - started, data };
writeFileSync(file, JSON.stringify(s));
