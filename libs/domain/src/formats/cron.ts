/**
 * A small, total validator for 5-field cron expressions (minute hour day-of-month month
 * day-of-week) plus the common macros. Pure: the controller's scheduler (cron-parser) runs
 * them; this only guarantees that what is stored will parse there and means one thing.
 */

const FIELDS = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] },
  // 0 and 7 are both Sunday.
  { name: 'day-of-week', min: 0, max: 7, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] },
] as const;

export const CRON_MACROS = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'] as const;

/** Why an expression is refused (one sentence), or undefined when it is valid. */
export function cronFault(expr: unknown): string | undefined {
  if (typeof expr !== 'string') return 'it is not a string';
  if (expr.length > 256) return 'it is longer than 256 characters';
  const trimmed = expr.trim();
  if (trimmed.startsWith('@')) {
    return (CRON_MACROS as readonly string[]).includes(trimmed) ? undefined : `unknown macro "${trimmed}" (known: ${CRON_MACROS.join(', ')})`;
  }
  const parts = trimmed.split(/\s+/);
  if (parts.length !== 5) return `it has ${parts.length} field(s); cron needs exactly 5 (minute hour day-of-month month day-of-week)`;
  for (let i = 0; i < 5; i++) {
    const f = FIELDS[i]!;
    const fault = fieldFault(parts[i]!, f.min, f.max, 'names' in f ? f.names : undefined);
    if (fault) return `${f.name} field "${parts[i]}": ${fault}`;
  }
  return undefined;
}

export function isCron(expr: unknown): expr is string {
  return cronFault(expr) === undefined;
}

function value(tok: string, min: number, names: readonly string[] | undefined): number | undefined {
  if (/^[0-9]{1,2}$/.test(tok)) return Number(tok);
  if (names) {
    const i = names.indexOf(tok.toUpperCase());
    if (i >= 0) return i + min;
  }
  return undefined;
}

function fieldFault(field: string, min: number, max: number, names: readonly string[] | undefined): string | undefined {
  for (const item of field.split(',')) {
    if (item === '') return 'empty list item';
    const [range, step, extra] = item.split('/');
    if (extra !== undefined) return 'more than one "/"';
    if (step !== undefined && (!/^[0-9]{1,2}$/.test(step) || Number(step) < 1 || Number(step) > max)) {
      return `step "${step}" must be a number from 1 to ${max}`;
    }
    if (range === '*') continue;
    const bounds = range!.split('-');
    if (bounds.length > 2) return `"${range}" is not a value or a range a-b`;
    const lo = value(bounds[0]!, min, names);
    const hi = bounds.length === 2 ? value(bounds[1]!, min, names) : lo;
    if (lo === undefined || hi === undefined) return `"${range}" is not a number${names ? ' or name' : ''}`;
    if (lo < min || hi > max) return `values must be from ${min} to ${max}`;
    if (lo > hi) return `range "${range}" runs backwards`;
  }
  return undefined;
}
