// Text in code-unit order: the same on every machine whatever its locale, and no ICU collator
// (String.localeCompare's first call builds one: ~6 ms of a doctor run that sorts rule ids and
// config keys, all ASCII).

/** < 0, 0 or > 0 as a sorts before, with or after b, by UTF-16 code unit. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
