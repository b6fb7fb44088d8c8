// Re-frames the real dumps in raw/ (capture.sh) the ways people paste them, into this folder,
// and writes expected.json: for each fixture, the raw capture it was made from (the test counts
// that capture's goroutines with a plain regular expression and checks the reader against it).
//   node --import tsx testdata/captures/goroutines/1.6.20/framings/reframe.ts
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const raw = (name: string): string => readFileSync(join(HERE, 'raw', name), 'utf8');
const expected: Record<string, { from: string; what: string }> = {};
function write(name: string, text: string, from: string, what: string): void {
  writeFileSync(join(HERE, name), text);
  expected[name] = { from: `raw/${from}`, what };
}

const d2 = raw('debug2.dump');
const d1 = raw('debug1.dump');
const stacks = raw('containerd-stacks.dump');
const clog = raw('containerd-sigusr1.log').replace(/\n$/, '');
const slog = raw('shim-sigusr1.log').replace(/\n$/, '');

// the dump's time, from containerd's own line; journald prints node-local time (UTC here)
const ms = Date.parse(/time="([^"]+)"/.exec(clog)![1].replace(/(\.\d{3})\d+/, '$1'));
const MON: Record<string, string[]> = {
  en: ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'],
  zh: ['1月', '2月', '3月', '4月', '5月', '6月', '7月', '8月', '9月', '10月', '11月', '12月'],
};
/** `journalctl -o short`: `Dec  3 09:52:26 node1 containerd[8346]: ` (no space after ':' for an empty message). */
function short(t: number, tag = 'containerd[8346]', loc = 'en'): string {
  const d = new Date(t);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${MON[loc][d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} node1 ${tag}:`;
}
const prefixed = (lines: string[], loc = 'en') => lines.map((l) => (l ? `${short(ms, undefined, loc)} ${l}` : short(ms, undefined, loc)));
const lines = (text: string): string[] => text.replace(/\n$/, '').split('\n');
const reversed = (text: string): string => lines(text).reverse().join('\n') + '\n';
/** Go's %q of a string, as logrus writes a quoted value */
const goQuote = (s: string): string => JSON.stringify(s).replace(/\\u00([0-7][0-9a-f])/g, '\\x$1');
/** The message of a logfmt line, decoded. */
function msgOf(line: string): string {
  const m = /msg="((?:[^"\\]|\\.)*)"/.exec(line)!;
  return JSON.parse(`"${m[1].replace(/\\x([0-9a-f]{2})/g, '\\u00$1')}"`) as string;
}
/** journald splits a line longer than LineMax into entries of that many bytes. */
function split(line: string, max: number, tag?: string): string {
  const out: string[] = [];
  for (let i = 0; i < line.length; i += max) out.push(`${short(ms, tag)} ${line.slice(i, i + max)}`);
  return out.join('\n') + '\n';
}

// ---- dumps inside log lines ---------------------------------------------------------------------
write('journald-escaped.log', `${short(ms)} ${clog}\n`, 'containerd-stacks.dump', 'containerd\'s logfmt line behind a journald prefix (escaped \\n, \\t)');
write('journald-split.log', split(clog, 8192), 'containerd-stacks.dump', 'the same line split by journald into 8 KiB entries');
write('journald-split-reversed.log', reversed(split(clog, 8192)), 'containerd-stacks.dump', 'the split entries newest first (journalctl -r)');
write('json-escaped.log', `${JSON.stringify({ level: 'info', msg: msgOf(clog), time: new Date(ms).toISOString() })}\n`, 'containerd-stacks.dump', 'containerd --log-format json');
const dumpLines = lines(msgOf(clog));
const eightSpaces = dumpLines.filter((l) => l !== '').map((l) => l.replace(/^\t/, '        '));
const realNl = `time="${new Date(ms).toISOString()}" level=info msg="${eightSpaces[0]}\n${eightSpaces.slice(1, -1).join('\n')}\n${eightSpaces.at(-1)}"\ntime="${new Date(ms + 1).toISOString()}" level=info msg="next entry"\n`;
write('logrus-real-newlines.log', realNl, 'containerd-stacks.dump', 'older logrus: the message with real newlines, file lines indented by 8 spaces, no blank lines between goroutines');
write('journald-real-newlines.log', prefixed(lines(realNl)).join('\n') + '\n', 'containerd-stacks.dump', 'the same with a journald prefix on each line');
write('shim-journald-split.log', split(slog, 4096), 'shim-sigusr1.log', 'a shim\'s dump through containerd\'s log, split by journald into 4 KiB entries');

// ---- a dump written line by line (a crash to stderr, captured by journald) ------------------------
const d2Lines = lines(d2);
const journalLines = ['=== BEGIN goroutine stack dump ===', ...d2Lines, '=== END goroutine stack dump ==='];
const withNoise = prefixed(journalLines).flatMap((l, i) => (i % 97 === 50 ? [l, `${short(ms, 'systemd[1]')} Started session-42.scope - Session 42 of User root.`] : [l]));
write('journald-lines.log', withNoise.join('\n') + '\n', 'debug2.dump', 'one journald entry per dump line, with another process\'s lines in between');
write('journald-lines-reversed.log', [...withNoise].reverse().join('\n') + '\n', 'debug2.dump', 'the same, newest first (journalctl -r)');
write('journald-lines-zh.log', prefixed(journalLines, 'zh').join('\n') + '\n', 'debug2.dump', 'one entry per line, months as zh_CN prints them (12月  3)');
write('logrus-per-line.log', d2Lines.map((l) => `time="${new Date(ms).toISOString()}" level=info msg=${goQuote(l)}`).join('\n') + '\n', 'debug2.dump', 'one logrus line per dump line');

// ---- plain dumps as pasted ----------------------------------------------------------------------
write('spaces-indented.dump', d2.replace(/^\t/gm, '        '), 'debug2.dump', 'file lines indented with 8 spaces');
write('markdown-indented.dump', d2Lines.map((l) => (l ? `    ${l.replace(/^\t/, '        ')}` : '')).join('\n') + '\n', 'debug2.dump', 'every line indented by 4 spaces (a markdown code block)');
write('unindented.dump', d2.replace(/^\t/gm, ''), 'debug2.dump', 'file lines without their tab');
write('crlf.dump', d2.replace(/\n/g, '\r\n'), 'debug2.dump', 'CRLF line ends');
write('double-spaced.dump', d2.replace(/\n/g, '\r\n\r\n'), 'debug2.dump', 'CRLF and a blank line after every line');
// cut in the middle of a file line of the last goroutine
const lastHeader = d2.lastIndexOf('\ngoroutine ');
const cutAt = d2.indexOf('\n\t', d2.indexOf('\n\t', lastHeader + 1) + 1) + 8;
write('truncated.dump', d2.slice(0, cutAt), 'debug2.dump', 'cut in the middle of a file line of the last goroutine');
const blocks = d2.replace(/\n+$/, '').split(/\n\n/);
write('one-per-line.dump', blocks.map((b) => b.replace(/\n\t?/g, ' ')).join('\n') + '\n', 'debug2.dump', 'one goroutine per line (newlines and tabs lost)');
write('one-line.dump', `${blocks.map((b) => b.replace(/\n\t?/g, ' ')).join(' ')}\n`, 'debug2.dump', 'the whole dump on one line');

// ---- pprof debug=1 -----------------------------------------------------------------------------
write('debug1-spaces.dump', d1.replace(/\t+/g, ' '), 'debug1.dump', 'debug=1 with its tabs turned to spaces (copied from a browser)');
write('debug1-crlf.dump', d1.replace(/\n/g, '\r\n'), 'debug1.dump', 'debug=1 with CRLF');

writeFileSync(join(HERE, 'expected.json'), JSON.stringify(expected, null, 2) + '\n');
console.error(`reframe: ${Object.keys(expected).length} fixtures`);
