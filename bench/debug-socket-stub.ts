// A stand-in for containerd's debug socket, for bench/goroutines-dump.ts only: HTTP on a unix
// socket answering GET /debug/pprof/goroutine?debug=2 with a dump file (scaled from real
// captures by bench/goroutines-gen.ts), as containerd's pprof handler answers it. The lab's
// containerd has a few hundred goroutines; a node in trouble has 1k to 100k, which the lab
// cannot make: this serves those sizes to the real doctor. Runs until SIGTERM.
//   node --import tsx bench/debug-socket-stub.ts SOCKET DUMPFILE
import { createServer } from 'node:http';
import { createReadStream, rmSync } from 'node:fs';

const [sock, file] = process.argv.slice(2);
if (!sock || !file) {
  console.error('usage: debug-socket-stub.ts SOCKET DUMPFILE');
  process.exit(2);
}
rmSync(sock, { force: true });
const server = createServer((req, res) => {
  if (!req.url?.startsWith('/debug/pprof/goroutine')) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
  createReadStream(file).pipe(res);
});
server.listen(sock, () => process.stdout.write('ready\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
