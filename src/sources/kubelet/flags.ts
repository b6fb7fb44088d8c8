// kubelet's flags as the files and the command line carry them. Pure text in, plain data out.
//   kubeadm-flags.env:  KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix:///... --pod-infra-container-image=..."
//   /etc/default/kubelet:  KUBELET_EXTRA_ARGS=--node-ip=10.0.0.5
//   systemd drop-in (10-kubeadm.conf):
//     Environment="KUBELET_KUBECONFIG_ARGS=--bootstrap-kubeconfig=... --kubeconfig=..."
//     Environment="KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml"
//     EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env
//     ExecStart=
//     ExecStart=/usr/bin/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS

/** Splits like a shell (and systemd) would: whitespace, '...' and "..." quotes, backslash escapes. */
export function splitWords(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < text.length && '"\\$`'.includes(text[i + 1])) cur += text[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < text.length) {
      const n = text[++i];
      if (n !== '\n') {
        cur += n;
        inWord = true;
      }
    } else if (/\s/.test(c)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) out.push(cur);
  return out;
}

export interface ParsedFlag {
  name: string;
  value: string;
  /** the index in argv of the flag's own word */
  index: number;
}

/**
 * Flags in order (pflag's forms): `--name=value`, `--name value` (when the next word is not a
 * flag), a bare `--name` (a boolean: "true"), and single-dash `-v=2`. kubelet takes no
 * positional arguments, so a word after a flag is its value. Later occurrences win.
 */
export function parseFlagArgs(argv: string[]): ParsedFlag[] {
  const out: ParsedFlag[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const m = /^--?([A-Za-z0-9][\w.-]*)(?:=([\s\S]*))?$/.exec(a);
    if (!m) continue; // a stray word: ignored, as pflag would complain about it
    if (m[2] !== undefined) out.push({ name: m[1], value: m[2], index: i });
    else if (i + 1 < argv.length && !argv[i + 1].startsWith('-')) {
      out.push({ name: m[1], value: argv[i + 1], index: i });
      i++;
    } else out.push({ name: m[1], value: 'true', index: i });
  }
  return out;
}

/** KEY=value lines of an environment file (systemd EnvironmentFile= syntax: quotes, comments). */
export function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  // join backslash-continued lines first
  for (const raw of text.replace(/\\\r?\n/g, ' ').split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*([\s\S]*)$/.exec(line);
    if (!m) continue;
    const words = splitWords(m[2]);
    env[m[1]] = words.length === 1 ? words[0] : words.join(' ');
  }
  return env;
}

export interface DropIn {
  environment: Record<string, string>;
  environmentFiles: { path: string; optional: boolean }[];
  /** the last ExecStart= with a command (an empty ExecStart= resets the list) */
  execStart?: string;
}

/** The [Service] lines of a unit file or drop-in that decide kubelet's command line. */
export function parseDropIn(text: string, into: DropIn = { environment: {}, environmentFiles: [] }): DropIn {
  for (const raw of text.replace(/\\\r?\n/g, ' ').split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const m = /^(Environment|EnvironmentFile|ExecStart)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    if (m[1] === 'Environment') {
      // Environment="A=1 2" B=3: each word is one assignment
      for (const w of splitWords(m[2])) {
        const eq = w.indexOf('=');
        if (eq > 0) into.environment[w.slice(0, eq)] = w.slice(eq + 1);
      }
    } else if (m[1] === 'EnvironmentFile') {
      const v = m[2].trim();
      if (v) into.environmentFiles.push({ path: v.replace(/^-/, ''), optional: v.startsWith('-') });
    } else {
      into.execStart = m[2].trim() ? m[2].trim().replace(/^[-@:+!]+/, '') : undefined;
    }
  }
  return into;
}

/** The variable each word of an ExecStart came from: `$VAR` / `${VAR}` words expand to their value's words. */
export function expandExecStart(execStart: string, env: Record<string, string>): { word: string; fromVar?: string }[] {
  const out: { word: string; fromVar?: string }[] = [];
  for (const w of splitWords(execStart)) {
    const m = /^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$/.exec(w);
    if (m) {
      for (const x of splitWords(env[m[1]] ?? '')) out.push({ word: x, fromVar: m[1] });
    } else {
      out.push({ word: w.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_, v: string) => env[v] ?? '') });
    }
  }
  return out;
}

/** "v1.28.3" / "1.26" → [1, 28]; undefined when it is not a version. */
export function minorVersion(v: string | undefined): [number, number] | undefined {
  const m = v ? /^v?(\d+)\.(\d+)/.exec(v.trim()) : null;
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/** true / false when the version is known, undefined when not. */
export function versionAtLeast(v: string | undefined, major: number, minor: number): boolean | undefined {
  const mv = minorVersion(v);
  return mv ? mv[0] > major || (mv[0] === major && mv[1] >= minor) : undefined;
}

export const DEFAULT_EXEC_START = '/usr/bin/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS';
