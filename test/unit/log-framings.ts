// The ways people save a daemon's log, applied by the tests to real lines: each framing takes
// the lines as the daemon wrote them (with the time each carries) and returns the text a user
// would hand ctrdoc. Shared by the log and goroutine framing tests.

/** One line as the daemon wrote it, and its time (epoch ms). */
export interface TimedLine {
  text: string;
  ms: number;
}

/** A line another process wrote into the same syslog file. */
export interface Intruder {
  tag: string;
  text: string;
}

export interface Framing {
  name: string;
  frame(lines: TimedLine[], tag: string, intruders?: Intruder[]): string;
}

const pad2 = (n: number): string => String(n).padStart(2, '0');
const hms = (d: Date): string => `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
const micros = (ms: number): string => `${String(ms % 1000).padStart(3, '0')}000`;

/** `%b` of glibc's locales, January first. */
export const MONTHS: Record<string, string[]> = {
  en: ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'],
  de: ['Jan', 'Feb', 'Mär', 'Apr', 'Mai', 'Jun', 'Jul', 'Aug', 'Sep', 'Okt', 'Nov', 'Dez'],
  fr: ['janv.', 'févr.', 'mars', 'avril', 'mai', 'juin', 'juil.', 'août', 'sept.', 'oct.', 'nov.', 'déc.'],
  es: ['ene', 'feb', 'mar', 'abr', 'may', 'jun', 'jul', 'ago', 'sep', 'oct', 'nov', 'dic'],
  zh: ['1月', '2月', '3月', '4月', '5月', '6月', '7月', '8月', '9月', '10月', '11月', '12月'],
  ru: ['янв', 'фев', 'мар', 'апр', 'мая', 'июн', 'июл', 'авг', 'сен', 'окт', 'ноя', 'дек'],
};

/** journalctl -o short in a locale: `Dec  3 10:08:26 node1 containerd[3476]: ` (day padded to two). */
export function shortPrefix(ms: number, tag: string, locale = 'en', precise = false): string {
  const d = new Date(ms);
  const day = String(d.getDate()).padStart(2, ' ');
  return `${MONTHS[locale][d.getMonth()]} ${day} ${hms(d)}${precise ? `.${micros(ms)}` : ''} node1 ${tag}[3476]: `;
}

function isoLocal(ms: number, precise: boolean): string {
  const d = new Date(ms);
  const off = -d.getTimezoneOffset();
  const zone = `${off >= 0 ? '+' : '-'}${pad2(Math.floor(Math.abs(off) / 60))}${pad2(Math.abs(off) % 60)}`;
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}T${hms(d)}${precise ? `.${micros(ms)}` : ''}${zone}`;
}

const lines = (ls: TimedLine[], f: (l: TimedLine, i: number) => string, nl = '\n'): string => ls.map(f).join(nl) + nl;

export const FRAMINGS: Framing[] = [
  { name: 'as written', frame: (ls) => lines(ls, (l) => l.text) },
  ...Object.keys(MONTHS).map((loc) => ({ name: `journalctl -o short (${loc} months)`, frame: (ls: TimedLine[], tag: string) => lines(ls, (l) => shortPrefix(l.ms, tag, loc) + l.text) })),
  { name: 'journalctl -o short-precise', frame: (ls, tag) => lines(ls, (l) => shortPrefix(l.ms, tag, 'en', true) + l.text) },
  { name: 'journalctl -o short-iso', frame: (ls, tag) => lines(ls, (l) => `${isoLocal(l.ms, false)} node1 ${tag}[3476]: ${l.text}`) },
  { name: 'journalctl -o short-iso-precise', frame: (ls, tag) => lines(ls, (l) => `${isoLocal(l.ms, true)} node1 ${tag}[3476]: ${l.text}`) },
  {
    name: 'journalctl -o short-full',
    frame: (ls, tag) => lines(ls, (l) => {
      const d = new Date(l.ms);
      return `${['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][d.getUTCDay()]} ${d.toISOString().slice(0, 19).replace('T', ' ')} UTC node1 ${tag}[3476]: ${l.text}`;
    }),
  },
  { name: 'journalctl -o short-unix', frame: (ls, tag) => lines(ls, (l) => `${(l.ms / 1000).toFixed(6)} node1 ${tag}[3476]: ${l.text}`) },
  { name: 'journalctl -o short-monotonic', frame: (ls, tag) => lines(ls, (l) => `[${String(((l.ms % 1e7) / 1000).toFixed(6)).padStart(12)}] node1 ${tag}[3476]: ${l.text}`) },
  { name: 'RFC 5424 (rsyslog)', frame: (ls, tag) => lines(ls, (l) => `<30>1 ${new Date(l.ms).toISOString()} node1 ${tag} 3476 - - ${l.text}`) },
  {
    name: 'journalctl -o json',
    frame: (ls, tag) => lines(ls, (l) => JSON.stringify({
      __CURSOR: `s=7a;i=${l.ms.toString(16)}`, __REALTIME_TIMESTAMP: String(l.ms * 1000), _HOSTNAME: 'node1',
      SYSLOG_IDENTIFIER: tag, _PID: '3476', _COMM: tag, MESSAGE: l.text,
    })),
  },
  { name: 'CRLF', frame: (ls) => lines(ls, (l) => l.text, '\r\n') },
  { name: 'journalctl -r (newest first)', frame: (ls, tag) => lines([...ls].reverse(), (l) => shortPrefix(l.ms, tag) + l.text) },
  {
    // after every line, a line of another process (in turn): systemd's, and the intruders given
    name: 'syslog file shared with other processes',
    frame: (ls, tag, intruders = []) => {
      const others: Intruder[] = [{ tag: 'systemd', text: 'Started session-42.scope - Session 42 of User root.' }, ...intruders];
      return lines(ls, (l, i) => `${shortPrefix(l.ms, tag)}${l.text}\n${shortPrefix(l.ms, others[i % others.length].tag)}${others[i % others.length].text}`);
    },
  },
];
