// Tables the way crictl and kubectl print them: no borders, UPPERCASE headers, columns padded
// like Go's tabwriter (minimum width 20, padding 3) or tight (kubectl style, padding 3).

export interface TableOptions {
  noHeaders?: boolean;
  /** crictl's look: each column at least 20 wide */
  minWidth?: number;
  padding?: number;
}

export function renderTable(headers: string[], rows: (string | number)[][], opts: TableOptions = {}): string {
  const minWidth = opts.minWidth ?? 0;
  const padding = opts.padding ?? 3;
  const all = opts.noHeaders ? rows : [headers, ...rows];
  const cells = all.map((r) => r.map((c) => String(c)));
  const widths = headers.map((_, i) => Math.max(minWidth, ...cells.map((r) => (r[i] ?? '').length + padding)));
  return cells
    .map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('').trimEnd())
    .join('\n') + (cells.length ? '\n' : '');
}

/** crictl's truncated id length. */
export const TRUNCATED_ID_LENGTH = 13;

export function truncateId(id: string, noTrunc = false): string {
  return noTrunc ? id : id.slice(0, TRUNCATED_ID_LENGTH);
}

/** "2 minutes ago", the way Docker's units.HumanDuration (and so crictl) says it. */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 1) return 'Less than a second';
  if (s === 1) return '1 second';
  if (s < 60) return `${s} seconds`;
  const m = Math.floor(s / 60);
  if (m === 1) return 'About a minute';
  if (m < 60) return `${m} minutes`;
  const h = Math.round(m / 60);
  if (h === 1) return 'About an hour';
  if (h < 48) return `${h} hours`;
  if (h < 24 * 7 * 2) return `${Math.floor(h / 24)} days`;
  if (h < 24 * 30 * 2) return `${Math.floor(h / 24 / 7)} weeks`;
  if (h < 24 * 365 * 2) return `${Math.floor(h / 24 / 30)} months`;
  return `${Math.floor(h / 24 / 365)} years`;
}

/** Age from a CRI nanosecond timestamp (decimal string). */
export function agoFromNanos(nanos: string, now = Date.now()): string {
  const ms = Number(BigInt(nanos || '0') / 1_000_000n);
  // 0, or Go's zero time.Time as UnixNano (a large negative number): never set
  if (ms <= 0) return '';
  return `${humanDuration(now - ms)} ago`;
}

/** Short age as kubectl prints it: 45s, 3m, 2h, 4d. */
export function shortAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 120) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h`;
  return `${Math.floor(h / 24)}d`;
}

export function humanBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  // Go's "%.4g", as units.HumanSize (and so crictl) prints sizes
  return `${Number(v.toPrecision(4))}${units[i]}`;
}
