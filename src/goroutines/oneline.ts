// Goroutines whose newlines were lost (a dump pasted where line breaks became spaces: each
// goroutine, or the whole dump, on one line):
//   goroutine 7 [select, 5 minutes]: main.worker(0xc000012345, {0x1, 0x2}) /src/main.go:20 +0x1d created by main.main in goroutine 1 /src/main.go:12 +0x44
// The frames can still be told apart: a function is a name (no space) with its `(args)`, and a
// file is a `path:line` token, maybe followed by `+0x…` and `fp=… sp=… pc=…`. This splits such a
// line back into the lines Go printed, for the line grammar (lines.ts) to read.

const reHeaderStart = /^goroutine \d+ (?:gp=0x[0-9a-f]+ m=(?:\d+|nil)(?: mp=0x[0-9a-f]+)? )?\[[^\]]*\]:/;
/** where another goroutine's header starts inside the text */
const reNextHeader = /\s(?=goroutine \d+ (?:gp=0x[0-9a-f]+ m=(?:\d+|nil)(?: mp=0x[0-9a-f]+)? )?\[[^\]]*\]:)/g;
const reFile = /^(\S+:\d+)((?: \+0x[0-9a-f]+)?(?: fp=0x[0-9a-f]+ sp=0x[0-9a-f]+ pc=0x[0-9a-f]+)?)(?=\s|$)/;
const UNAVAILABLE = 'goroutine running on other thread; stack unavailable';
const ELIDED = '...additional frames elided...';
const END = '=== END goroutine stack dump ===';

export interface SplitLines {
  /** the lines as Go printed them, a blank line after each goroutine */
  lines: string[];
  /** where the frames could not be told apart: the text from there (undefined when all could) */
  rest?: string;
}

/**
 * Splits a line holding one or more whole goroutines; undefined when the line is not one (it
 * does not start with a goroutine header followed by more text).
 */
export function splitOneLine(text: string): SplitLines | undefined {
  const h = reHeaderStart.exec(text);
  if (!h || h[0].length === text.trimEnd().length) return undefined;
  const out: string[] = [];
  const chunks = text.split(reNextHeader);
  for (const chunk of chunks) {
    const m = reHeaderStart.exec(chunk);
    if (!m) return { lines: out, rest: chunk };
    out.push(m[0]);
    const rest = frames(chunk.slice(m[0].length), out);
    if (rest !== undefined) return { lines: out, rest };
    out.push('');
  }
  return { lines: out };
}

/** Appends the frame lines of text to out; returns the text it could not read, else undefined. */
function frames(text: string, out: string[]): string | undefined {
  let i = 0;
  const n = text.length;
  const skip = (): void => {
    while (i < n && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9)) i++;
  };
  const file = (): boolean => {
    skip();
    const f = reFile.exec(text.slice(i));
    if (!f) return false;
    out.push(`\t${f[1]}${f[2]}`);
    i += f[0].length;
    return true;
  };
  for (;;) {
    skip();
    if (i >= n) return undefined;
    const at = text.slice(i);
    if (at.startsWith(END)) {
      out.push('', END);
      i += END.length;
      continue;
    }
    if (at.startsWith(ELIDED)) {
      out.push(ELIDED);
      i += ELIDED.length;
      continue;
    }
    if (at.startsWith(UNAVAILABLE)) {
      out.push(`\t${UNAVAILABLE}`);
      i += UNAVAILABLE.length;
      continue;
    }
    if (at.startsWith('created by ')) {
      const m = /^created by (\S+)( in goroutine \d+)?/.exec(at)!;
      out.push(`created by ${m[1]}${m[2] ?? ''}`);
      i += m[0].length;
      if (!file()) return text.slice(i);
      continue;
    }
    // a function: its name and `(args)`, up to the first space outside parentheses (a name has
    // parentheses of its own, `pkg.(*T).m`; arguments have spaces, `{0x1, 0x2}`)
    let depth = 0;
    let k = i;
    for (; k < n; k++) {
      const c = text.charCodeAt(k);
      if (c === 40) depth++;
      else if (c === 41) depth--;
      else if ((c === 32 || c === 9) && depth <= 0) break;
    }
    if (depth !== 0 || text.charCodeAt(k - 1) !== 41) return text.slice(i);
    out.push(text.slice(i, k));
    i = k;
    if (!file()) return text.slice(i);
  }
}
