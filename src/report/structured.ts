// JSON and YAML output. YAML is derived from the JSON form, so both always say the same.
import { stringify as toYaml } from 'yaml';

export function renderJson(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}

export function renderYaml(value: unknown): string {
  return toYaml(JSON.parse(JSON.stringify(value)), { lineWidth: 0 });
}

export function renderStructured(value: unknown, format: 'json' | 'yaml'): string {
  return format === 'json' ? renderJson(value) : renderYaml(value);
}
