// JSON and YAML output. YAML is derived from the JSON form, so both always say the same. The
// YAML library is loaded only when YAML is asked for: most runs print a table or JSON, and
// evaluating it costs every command a few milliseconds at start-up.

export function renderJson(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}

export async function renderYaml(value: unknown): Promise<string> {
  const mod = await import('yaml');
  // the bundle loads yaml's CommonJS build, where the API sits on `default`
  const { stringify } = (mod as unknown as { default?: typeof mod }).default ?? mod;
  return stringify(JSON.parse(JSON.stringify(value)), { lineWidth: 0 });
}

export async function renderStructured(value: unknown, format: 'json' | 'yaml'): Promise<string> {
  return format === 'json' ? renderJson(value) : renderYaml(value);
}
