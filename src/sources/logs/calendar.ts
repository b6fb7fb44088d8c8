// Calendar arithmetic shared by the log readers: RFC 3339 with any fraction, year-less local
// times (klog, syslog), and month names as the locales abbreviate them.

/** Parses an RFC 3339 time with any number of fraction digits (Date.parse takes at most 3). */
export function parseRfc3339(text: string): number | undefined {
  const m = /^(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:?\d\d)?$/.exec(text);
  if (!m) return undefined;
  const frac = m[3] ? `.${m[3].slice(0, 3).padEnd(3, '0')}` : '';
  let zone = m[4] ?? '';
  if (zone.length === 5) zone = `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const t = Date.parse(`${m[1]}T${m[2]}${frac}${zone}`);
  return Number.isNaN(t) ? undefined : t;
}

/**
 * A year-less local time (klog, syslog) placed in the year that puts it at or before the
 * reference time (the file's mtime or now), allowing a day of clock skew: a December line read
 * in January belongs to last year.
 */
export interface YearlessTime {
  /** 0-11 */
  month: number;
  day: number;
  h: number;
  mi: number;
  s: number;
  ms: number;
}

export function yearless({ month, day, h, mi, s, ms }: YearlessTime, refMs: number): number | undefined {
  if (month < 0 || month > 11 || day < 1 || day > 31 || h > 23 || mi > 59 || s > 60) return undefined;
  const refYear = new Date(refMs).getFullYear();
  let t = new Date(refYear, month, day, h, mi, s, ms).getTime();
  if (t > refMs + 86_400_000) t = new Date(refYear - 1, month, day, h, mi, s, ms).getTime();
  return Number.isNaN(t) ? undefined : t;
}

/**
 * Month abbreviations as glibc's locales print `%b` (journalctl and syslog use it), lower case
 * without a trailing dot → 0-11: English, German, French, Spanish, Italian, Portuguese, Dutch,
 * Swedish, Polish, Russian, Turkish. CJK months (`8月`, `8월`) are read as numbers (frame.ts).
 */
export const MONTH_NAMES: ReadonlyMap<string, number> = (() => {
  const m = new Map<string, number>();
  const rows = [
    'jan feb mar apr may jun jul aug sep oct nov dec',
    'jan feb mär apr mai jun jul aug sep okt nov dez', // de
    'janv févr mars avr mai juin juil août sept oct nov déc', // fr
    'ene feb mar abr may jun jul ago sep oct nov dic', // es
    'gen feb mar apr mag giu lug ago set ott nov dic', // it
    'jan fev mar abr mai jun jul ago set out nov dez', // pt
    'jan feb mrt apr mei jun jul aug sep okt nov dec', // nl
    'jan feb mar apr maj jun jul aug sep okt nov dec', // sv
    'sty lut mar kwi maj cze lip sie wrz paź lis gru', // pl
    'янв фев мар апр мая июн июл авг сен окт ноя дек', // ru
    'oca şub mar nis may haz tem ağu eyl eki kas ara', // tr
  ];
  for (const row of rows) row.split(' ').forEach((name, i) => m.set(name, i));
  // variants seen in other glibc versions
  for (const [name, i] of [['mrz', 2], ['avril', 3], ['sept', 8], ['set', 8], ['май', 4]] as const) m.set(name, i);
  return m;
})();

/** 0-11 for a month as a locale abbreviates it (`Dec`, `Dez`, `déc.`, `dic`, `12月`), else -1. */
export function monthIndex(token: string): number {
  const cjk = /^(\d{1,2})(?:月|월)$/.exec(token);
  if (cjk) {
    const n = Number(cjk[1]);
    return n >= 1 && n <= 12 ? n - 1 : -1;
  }
  return MONTH_NAMES.get(token.toLowerCase().replace(/\.$/, '')) ?? -1;
}
