import { stringify } from 'yaml';

/**
 * YAML as cloud-init reads it: PyYAML is YAML 1.1, so strings that 1.1 would take for something
 * else (`52:54:00:12:34:56` is a base-60 number there, `yes` a boolean, `0600` octal) are quoted.
 * No line folding: keys and commands stay on one line each.
 */
export function cloudYaml(doc: unknown): string {
  return stringify(doc, { version: '1.1', lineWidth: 0 });
}
