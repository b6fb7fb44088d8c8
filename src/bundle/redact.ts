// Redaction for support bundles: values of environment variables, registry auths, tokens, keys,
// passwords and PEM private keys are replaced by REDACTED before anything is written. Every
// replacement is recorded (file, where, which key: never the value) for the bundle's manifest.
// Pure functions over strings and JSON values: no I/O.

export const REDACTED = '<redacted>';

export interface Redaction {
  /** the bundle entry, e.g. "snapshot.json", "containerd/config.toml" */
  file: string;
  /** a JSON path ($.a.b[2].c) or "line N" */
  where: string;
  /** the key (or env variable name, or "PEM block", "bearer token") whose value was replaced */
  key: string;
  /** which rule matched: env, sensitive-key, registry-auth, pem, bearer, flag */
  rule: string;
}

export type RedactionLog = Redaction[];

/** Splits a key into lower-case words: camelCase, snake_case, kebab-case, dotted. */
export function keyWords(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w.toLowerCase());
}

const SECRET_WORDS = new Set([
  'password', 'passwd', 'passphrase', 'pwd', 'secret', 'secrets', 'token', 'tokens', 'credential', 'credentials',
  'apikey', 'privatekey', 'auth', 'authorization', 'identitytoken', 'cookie', 'bearer', 'sessionkey', 'accesskey',
]);
/** "key" is secret only with one of these beside it (client-key-data, private_key, api-key ...). */
const KEY_QUALIFIERS = new Set(['private', 'client', 'api', 'access', 'secret', 'signing', 'encryption', 'session', 'master', 'ssh', 'tls', 'sa']);
/** A key ending in one of these names a thing, not the secret itself (tlsPrivateKeyFile is a path). */
const NAMING_WORDS = new Set(['file', 'path', 'dir', 'directory', 'name', 'names', 'ref', 'location', 'url', 'endpoint', 'enabled', 'type', 'count', 'ttl', 'id']);

/** Does a key name something secret (password, client-key-data, identitytoken, Authorization)? */
export function isSensitiveKey(key: string): boolean {
  const words = keyWords(key);
  if (!words.length) return false;
  if (NAMING_WORDS.has(words[words.length - 1]) && words.length > 1) return false;
  if (words.some((w) => SECRET_WORDS.has(w))) return true;
  const k = words.indexOf('key');
  if (k !== -1 && words.some((w) => KEY_QUALIFIERS.has(w))) return true;
  // one run-together word: "clientkeydata", "apitoken", "dbpassword"
  const joined = words.join('');
  return /(password|passwd|secret|token|credential|privatekey|apikey)/.test(joined);
}

const ENV_KEYS = new Set(['env', 'envs', 'environment']);

const PEM_RE = /-----BEGIN ((?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?)-----[\s\S]*?(?:-----END \1-----|$)/g;
const BEARER_RE = /\b(Bearer|Basic)(\s+|\\u0020|%20)([A-Za-z0-9\-._~+/=:]{6,})/g;
/** --token=abc, --password abc (command lines, flag files, log lines) */
const FLAG_RE = /(?<=^|[\s"'[(,])(--?([A-Za-z][\w.-]*))([= ])("[^"]*"|'[^']*'|[^\s"',]+)/g;
/** key=value and "key":"value" in log lines (logfmt, JSON) */
const PAIR_RE = /(["']?)([A-Za-z][\w.-]*)\1(\s*[=:]\s*)("(?:[^"\\]|\\.)*"|'[^']*'|[^\s,;&}]+)/g;

/** CRI env as Go prints it in containerd's debug log: &KeyValue{Key:DB_PASSWORD,Value:hunter2,} */
const GO_KEYVALUE_RE = /(KeyValue\{Key:)([^,{}]*)(,Value:)([\s\S]*?)(,\})/g;
/** OCI env as Go prints a spec (%+v): Env:[PATH=/bin DB_PASSWORD=x] */
const GO_ENV_RE = /(\bEnv:(?:\(\[\]string\))?\[)([^\]]*)(\])/g;
/** an env array inside JSON embedded in text (escaped or not): "env":["A=b","C=d"] */
const JSON_ENV_RE = /(\\?"(?:env|Env|envs)\\?"\s*:\s*\[)([^\]]*)(\])/g;

/**
 * Redacts secrets inside free text: PEM private-key blocks, Bearer/Basic credentials, sensitive
 * `--flag=value` and `key=value` pairs. Returns the text and what was replaced (key names only).
 */
export function redactText(text: string, opts: { pairs?: boolean; pem?: boolean } = {}): { text: string; hits: { key: string; rule: string }[] } {
  const hits: { key: string; rule: string }[] = [];
  let out = opts.pem === false ? text : text.replace(PEM_RE, (_m, kind: string) => {
    hits.push({ key: `PEM ${kind}`, rule: 'pem' });
    return `-----BEGIN ${kind}-----\n${REDACTED}\n-----END ${kind}-----`;
  });
  out = out.replace(GO_KEYVALUE_RE, (m, a: string, key: string, b: string, value: string, c: string) => {
    if (value === REDACTED) return m;
    hits.push({ key, rule: 'env' });
    return `${a}${key}${b}${REDACTED}${c}`;
  });
  out = out.replace(GO_ENV_RE, (_m, a: string, list: string, c: string) => `${a}${list.replace(/(^|\s)([A-Za-z_][\w.-]*)=(.*?)(?=\s[A-Za-z_][\w.-]*=|$)/g, (m2, sp: string, k: string, v: string) => {
    if (v.startsWith(REDACTED)) return m2;
    hits.push({ key: k, rule: 'env' });
    return `${sp}${k}=${REDACTED}`;
  })}${c}`);
  out = out.replace(JSON_ENV_RE, (_m, a: string, list: string, c: string) => `${a}${list.replace(/(\\?")([^"=\\]+)=((?:[^"\\]|\\[^"])*)(\\?")/g, (m2, q1: string, k: string, v: string, q2: string) => {
    if (v === REDACTED) return m2;
    hits.push({ key: k, rule: 'env' });
    return `${q1}${k}=${REDACTED}${q2}`;
  })}${c}`);
  out = out.replace(BEARER_RE, (m, scheme: string, sp: string, value: string) => {
    if (value === REDACTED || value.startsWith('<')) return m;
    hits.push({ key: `${scheme} credential`, rule: 'bearer' });
    return `${scheme}${sp}${REDACTED}`;
  });
  out = out.replace(FLAG_RE, (m, flag: string, name: string, sep: string, value: string) => {
    if (!isSensitiveKey(name) || !isSecretValue(name, value) || value.startsWith('-')) return m;
    hits.push({ key: flag, rule: 'flag' });
    return `${flag}${sep}${REDACTED}`;
  });
  if (opts.pairs !== false) {
    out = out.replace(PAIR_RE, (m, q: string, name: string, sep: string, value: string) => {
      if (!isSensitiveKey(name) || !isSecretValue(name, value)) return m;
      hits.push({ key: name, rule: 'sensitive-key' });
      const quoted = value.startsWith('"') ? `"${REDACTED}"` : value.startsWith("'") ? `'${REDACTED}'` : REDACTED;
      return `${q}${name}${q}${sep}${quoted}`;
    });
  }
  return { text: out, hits };
}

/**
 * Whether a sensitive key's value is worth replacing: empty values are not secrets, and a
 * "…key" setting (tls_key, client-key) whose value is a file path names where a key lives.
 */
export function isSecretValue(key: string, raw: string): boolean {
  const v = raw.trim().replace(/^(["'])(.*)\1$/, '$2');
  if (v === '' || v.startsWith(REDACTED) || v === 'null' || v === '~') return false;
  const words = keyWords(key);
  if (!words.some((w) => SECRET_WORDS.has(w)) && /^\/[\w./@-]*$/.test(v)) return false;
  return true;
}

/** TOML dotted path of a config key: is it a registry credential or a secret? */
export function isSensitiveTomlPath(path: string[]): boolean {
  const last = path[path.length - 1] ?? '';
  if (isSensitiveKey(last)) return true;
  // [plugins."io.containerd.grpc.v1.cri".registry.configs."host".auth] username/password/auth/identitytoken
  const i = path.lastIndexOf('auth');
  if (i !== -1 && i < path.length - 1 && path.includes('registry')) return true;
  // registry headers: [plugins.…registry.headers] or per-host headers
  if (path.includes('headers') && path.includes('registry')) return /^(authorization|cookie|x-.*token.*)$/i.test(last);
  return false;
}

/** Splits a TOML dotted key or table header into its parts: plugins."io.containerd.grpc.v1.cri".registry */
export function splitTomlKey(key: string): string[] {
  const parts: string[] = [];
  let i = 0;
  const s = key.trim();
  while (i < s.length) {
    while (s[i] === ' ' || s[i] === '\t') i++;
    if (s[i] === '"' || s[i] === "'") {
      const q = s[i];
      let j = i + 1;
      let v = '';
      while (j < s.length && s[j] !== q) {
        if (q === '"' && s[j] === '\\' && j + 1 < s.length) { v += s[j + 1]; j += 2; continue; }
        v += s[j++];
      }
      parts.push(v);
      i = j + 1;
    } else {
      let j = i;
      while (j < s.length && s[j] !== '.') j++;
      parts.push(s.slice(i, j).trim());
      i = j;
    }
    while (s[i] === ' ' || s[i] === '\t') i++;
    if (s[i] === '.') i++;
  }
  return parts.filter((p) => p !== '');
}

/** The last line of an array or inline table that opens on line n and may continue on the next lines. */
function lastLineOfValue(lines: string[], n: number, value: string): number {
  const open = value[0];
  const close = open === '[' ? ']' : '}';
  const delta = (text: string): number => {
    let d = 0;
    for (const c of text) d += c === open ? 1 : c === close ? -1 : 0;
    return d;
  };
  let depth = delta(value);
  let m = n;
  while (depth > 0 && m + 1 < lines.length) depth += delta(lines[++m]);
  return m;
}

/**
 * Redacts a TOML file (containerd's config.toml) line by line, keeping its layout: a sensitive
 * key's whole value (string, inline table, array, multi-line string) becomes "<redacted>".
 */
export function redactToml(text: string, file: string, log: RedactionLog): string {
  const lines = redactPem(text, file, log).split('\n');
  let table: string[] = [];
  let skipUntil: string | undefined;
  const out: string[] = [];
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n];
    if (skipUntil) {
      if (line.includes(skipUntil)) skipUntil = undefined;
      continue;
    }
    const header = /^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$/.exec(line);
    if (header) {
      table = splitTomlKey(header[1]);
      out.push(line);
      continue;
    }
    const kv = /^(\s*)((?:"(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_.\- "']+?))(\s*=\s*)(.*)$/.exec(line);
    if (kv && !line.trimStart().startsWith('#')) {
      const keyPath = [...table, ...splitTomlKey(kv[2])];
      if (isSensitiveTomlPath(keyPath) && isSecretValue(keyPath[keyPath.length - 1], kv[4].replace(/\s+#.*$/, ''))) {
        const value = kv[4];
        skipUntil = ['"""', "'''"].find((q) => value.startsWith(q) && value.indexOf(q, 3) === -1);
        // an array or inline table that continues on the next lines
        if (!skipUntil && /^[[{]/.test(value)) n = lastLineOfValue(lines, n, value);
        log.push({ file, where: `line ${n + 1}`, key: keyPath.join('.'), rule: keyPath.includes('registry') ? 'registry-auth' : 'sensitive-key' });
        out.push(`${kv[1]}${kv[2]}${kv[3]}"${REDACTED}"`);
        continue;
      }
    }
    out.push(redactLine(line, file, n + 1, log, { pem: false }));
  }
  return out.join('\n');
}

/**
 * Redacts a YAML file (kubelet config, kubeconfig) line by line: a sensitive key's value, and
 * the block scalar (`key: |`) or nested lines under it, become "<redacted>".
 */
export function redactYaml(text: string, file: string, log: RedactionLog): string {
  const lines = redactPem(text, file, log).split('\n');
  const out: string[] = [];
  const indentOf = (l: string) => /^\s*/.exec(l)![0].length;
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n];
    const kv = /^(\s*(?:-\s+)?)("(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_.\-/]+)(\s*:)(\s*)(.*)$/.exec(line);
    if (kv && isSensitiveKey(kv[2].replace(/^["']|["']$/g, '')) && (kv[5] === '' || /^[|>]/.test(kv[5]) || isSecretValue(kv[2].replace(/^["']|["']$/g, ''), kv[5].replace(/\s+#.*$/, '')))) {
      const value = kv[5];
      const own = indentOf(line) + (kv[1].includes('-') ? kv[1].length - indentOf(line) : 0);
      // a block scalar or a nested map/list: swallow the more-indented lines after it
      if (value === '' || /^[|>][-+0-9]*\s*(#.*)?$/.test(value)) {
        let m = n + 1;
        while (m < lines.length && (lines[m].trim() === '' || indentOf(lines[m]) > own || (value === '' && /^\s*-\s/.test(lines[m]) && indentOf(lines[m]) >= own))) m++;
        if (m === n + 1 && value === '') {
          out.push(line);
          continue;
        }
        n = m - 1;
      }
      log.push({ file, where: `line ${n + 1}`, key: kv[2], rule: 'sensitive-key' });
      out.push(`${kv[1]}${kv[2]}${kv[3]} "${REDACTED}"`);
      continue;
    }
    out.push(redactLine(line, file, n + 1, log, { pem: false }));
  }
  return out.join('\n');
}

/** One line of free text (a log line, a flags file line). */
export function redactLine(line: string, file: string, lineNo: number, log: RedactionLog, opts?: { pairs?: boolean; pem?: boolean }): string {
  if (!/(?:BEGIN|Bearer|Basic|[Pp]ass|PASS|[Ss]ecret|SECRET|[Tt]oken|TOKEN|[Kk]ey|KEY|[Cc]redential|CREDENTIAL|[Aa]uth|AUTH|pwd|PWD|cookie|Cookie|[Ee]nv)/.test(line)) return line;
  const r = redactText(line, opts);
  for (const h of r.hits) log.push({ file, where: `line ${lineNo}`, key: h.key, rule: h.rule });
  return r.text;
}

/** PEM private-key blocks anywhere in a text, whole (they span lines). */
function redactPem(text: string, file: string, log: RedactionLog): string {
  if (!text.includes('PRIVATE KEY')) return text;
  return text.replace(PEM_RE, (_m, kind: string) => {
    log.push({ file, where: 'text', key: `PEM ${kind}`, rule: 'pem' });
    return `-----BEGIN ${kind}-----\n${REDACTED}\n-----END ${kind}-----`;
  });
}

/** Free text, line by line (logs, dmesg, flag files). PEM blocks spanning lines are handled whole. */
export function redactLines(text: string, file: string, log: RedactionLog, opts?: { pairs?: boolean }): string {
  return redactPem(text, file, log).split('\n').map((l, i) => redactLine(l, file, i + 1, log, { ...opts, pem: false })).join('\n');
}

function pathJoin(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/**
 * Redacts a JSON value (the Snapshot, an OCI spec, a runc state.json, CRI answers) and returns a
 * copy: env arrays ("K=V" → "K=<redacted>", {key, value} → value redacted), sensitive keys'
 * values (objects and arrays whole), TOML-path diff entries of containerd's config, and secrets
 * inside any string (PEM, Bearer, --token=). Booleans and null are kept: they are not secrets.
 */
type Walk = (v: unknown, path: string, key: string | undefined) => unknown;

/** A string's secrets (PEM, Bearer, --token=...), each logged at its JSON path. */
function redactJsonString(v: string, path: string, file: string, log: RedactionLog): string {
  if (!/(?:BEGIN|Bearer|Basic|-[A-Za-z]|[=:]|Env|env)/.test(v)) return v;
  const r = redactText(v, { pairs: v.length > 0 && /[\s"]/.test(v) });
  for (const h of r.hits) log.push({ file, where: path, key: h.key, rule: h.rule });
  return r.text;
}

/** Is this key's value a secret as a whole? (null and booleans never are; a string only when it looks like one) */
const secretField = (k: string, x: unknown): boolean => isSensitiveKey(k) && x !== null && typeof x !== 'boolean' && (typeof x !== 'string' || isSecretValue(k, x));

/** An object's fields: sensitive keys' values redacted whole, the rest walked. */
function redactJsonObject(o: Record<string, unknown>, path: string, file: string, log: RedactionLog, walk: Walk): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  // a key named "__proto__" (hostile or odd input) must stay an own key, not set a prototype
  const put = (k: string, x: unknown) => {
    if (k === '__proto__') Object.defineProperty(out, k, { value: x, enumerable: true, writable: true, configurable: true });
    else out[k] = x;
  };
  // a containerd config diff entry: { path: 'plugins."…".registry.configs."h".auth.password', default, actual }
  const tomlSensitive = typeof o.path === 'string' && ('actual' in o || 'default' in o) && isSensitiveTomlPath(splitTomlKey(o.path));
  for (const [k, x] of Object.entries(o)) {
    const p = pathJoin(path, k);
    if ((tomlSensitive && (k === 'actual' || k === 'default')) || secretField(k, x)) {
      log.push({ file, where: p, key: tomlSensitive ? String(o.path) : k, rule: tomlSensitive ? 'registry-auth' : 'sensitive-key' });
      put(k, x === undefined ? x : REDACTED);
    } else put(k, walk(x, p, k));
  }
  return out;
}

export function redactJson(value: unknown, file: string, log: RedactionLog): unknown {
  const walk: Walk = (v, path, key) => {
    if (typeof v === 'string') return redactJsonString(v, path, file, log);
    if (v === null || typeof v !== 'object') return v;
    if (!Array.isArray(v)) return redactJsonObject(v as Record<string, unknown>, path, file, log, walk);
    if (key !== undefined && ENV_KEYS.has(key.toLowerCase())) return v.map((x, i) => redactEnvItem(x, pathJoin(path, i), file, log, walk));
    return v.map((x, i) => walk(x, pathJoin(path, i), undefined));
  };
  return walk(value, '$', undefined);
}

function redactEnvItem(x: unknown, path: string, file: string, log: RedactionLog, walk: (v: unknown, path: string, key: string | undefined) => unknown): unknown {
  if (typeof x === 'string') {
    const eq = x.indexOf('=');
    const name = eq === -1 ? x : x.slice(0, eq);
    if (eq === -1 || x.slice(eq + 1) === REDACTED) return x;
    log.push({ file, where: path, key: name, rule: 'env' });
    return `${name}=${REDACTED}`;
  }
  if (x && typeof x === 'object' && !Array.isArray(x)) {
    const o = x as Record<string, unknown>;
    // CRI KeyValue {key, value}, or Kubernetes {name, value}
    const nameKey = 'key' in o ? 'key' : 'name' in o ? 'name' : undefined;
    if (nameKey && 'value' in o) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(o)) out[k] = k === 'value' ? REDACTED : walk(v, pathJoin(path, k), k);
      if (o.value !== REDACTED) log.push({ file, where: pathJoin(path, 'value'), key: String(o[nameKey]), rule: 'env' });
      return out;
    }
  }
  return walk(x, path, undefined);
}

/** Redacts a file by its kind, guessed from the name and content. */
export function redactFile(name: string, text: string, log: RedactionLog): string {
  if (/\.toml$/.test(name)) return redactToml(text, name, log);
  if (/\.(ya?ml|kubeconfig|conf)$/.test(name) || /(^|\/)kubeconfig/.test(name)) return redactYaml(text, name, log);
  if (/\.json$/.test(name)) {
    try {
      return JSON.stringify(redactJson(JSON.parse(text), name, log), null, 2) + '\n';
    } catch {
      return redactLines(text, name, log);
    }
  }
  return redactLines(text, name, log);
}
