// `ctrdoc serve`: the doctor on a loop, its latest report served over HTTP for Prometheus
// (/metrics) and people (/report as JSON, /healthz). Read-only like doctor: no canary, no
// signals. Each collection has its deadline; a slow one never blocks a scrape, which always gets
// the last complete report.
import { createServer } from 'node:http';
import type { CliIO, Command } from './command.ts';
import { parseFlags } from './flags.ts';
import { collectFlags, collectLive, collectSettings, collectUsage } from './collect-live.ts';
import { parseDuration } from '../deadline.ts';
import { CtrdocError } from '../errors.ts';
import type { DoctorReport } from '../report/doctor-report.ts';

const usage = `Usage: ctrdoc serve [--listen HOST:PORT] [--interval DURATION] [flags]

Runs the doctor every --interval (default 60s) and serves the latest report:
  /metrics   Prometheus text exposition (ctrdoc_incident: one series per root cause, with
             its cause and pods as labels; ctrdoc_finding, ctrdoc_probe_seconds, ...)
  /report    the whole report as JSON
  /healthz   200 once a first report exists
Read-only: it never runs the canary or sends signals. Stop it with SIGTERM or SIGINT.

Flags:
      --listen HOST:PORT   where to listen (default 127.0.0.1:9142; port 0 picks a free one)
      --interval DURATION  time between two collections (default 60s)

Collection (as doctor):
${collectUsage}`;

function listenAddress(text: string): { host: string; port: number } {
  const m = /^(.*):(\d+)$/.exec(text);
  if (!m || Number(m[2]) > 65535) throw new CtrdocError('invalid-argument', `--listen wants HOST:PORT, not "${text}"`);
  return { host: m[1].replace(/^\[(.*)\]$/, '$1') || '0.0.0.0', port: Number(m[2]) };
}

const serve: Command = {
  summary: 'the doctor on a loop, served as Prometheus metrics and JSON',
  usage,
  async run(args: string[], io: CliIO): Promise<number> {
    const { values } = parseFlags(args, { ...collectFlags, listen: { type: 'string' }, interval: { type: 'string' } }, false);
    const { host, port } = listenAddress(values.listen ?? '127.0.0.1:9142');
    const intervalMs = parseDuration(values.interval ?? '60s', '--interval');
    if (intervalMs < 1000) throw new CtrdocError('invalid-argument', '--interval must be at least 1s');
    // a bad collection flag is said now, not at each cycle
    collectSettings(values);
    const [{ allRules, evaluate }, { buildReport }, { renderPrometheus }, { redactedReport }] = await Promise.all([
      import('../rules/index.ts'), import('../report/doctor-report.ts'), import('../report/prometheus.ts'), import('../report/doctor-output.ts'),
    ]);

    let latest: DoctorReport | undefined;
    let stopping = false;
    let timer: NodeJS.Timeout | undefined;
    const cycle = async () => {
      try {
        const snapshot = await collectLive(values, io, false, { notes: false }); // the choice is in /report's stack
        // served off the node: redacted like everything ctrdoc lets out
        latest = redactedReport(buildReport(snapshot, evaluate(allRules, snapshot)));
      } catch (err) {
        io.stderr.write(`serve: collection failed: ${CtrdocError.from(err).message}\n`);
      }
      if (!stopping) timer = setTimeout(cycle, intervalMs);
    };

    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET') {
        res.writeHead(405).end();
        return;
      }
      if (path === '/healthz') {
        res.writeHead(latest ? 200 : 503, { 'content-type': 'text/plain' }).end(latest ? 'ok\n' : 'no report yet\n');
      } else if (path === '/metrics') {
        if (!latest) res.writeHead(503, { 'content-type': 'text/plain' }).end('no report yet\n');
        else res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(renderPrometheus(latest));
      } else if (path === '/report') {
        if (!latest) res.writeHead(503, { 'content-type': 'text/plain' }).end('no report yet\n');
        else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(latest));
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('try /metrics, /report or /healthz\n');
      }
    });
    // a scraper that connects and sends nothing must not hold a socket forever
    server.requestTimeout = 10_000;
    server.headersTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(CtrdocError.from(err, `listening on ${host}:${port}`)));
      server.listen(port, host, () => resolve());
    });
    const addr = server.address();
    io.stderr.write(`serve: listening on http://${host}:${typeof addr === 'object' && addr ? addr.port : port} (every ${values.interval ?? '60s'})\n`);
    void cycle();
    await new Promise<void>((resolve) => {
      const stop = () => {
        stopping = true;
        clearTimeout(timer);
        server.close(() => resolve());
        server.closeAllConnections();
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
    return 0;
  },
};

export default serve;
