/**
 * `hvctl auth whoami|can-i`: what the controller makes of this context's credential. Both
 * answer any verified caller about itself; can-i exits 0 for yes and 1 for no (as
 * `kubectl auth can-i`), so scripts can branch on it.
 */
import { CliExit, EXIT, usageError } from '../errors';
import { jsonOutput, type Runtime } from './runtime';

export async function whoAmI(rt: Runtime, opts: { output?: string }): Promise<void> {
  const json = jsonOutput(opts.output);
  const context = await rt.context();
  const me = await (await rt.api()).whoAmI();
  if (json) {
    rt.io.out(`${JSON.stringify({ context: context.name, ...me }, null, 2)}\n`);
    return;
  }
  const rows: [string, string][] = [
    ['Context', `${context.name} (${context.controller})`],
    ['Kind', me.kind],
    ['Name', me.name],
    ['Role', me.role || '-'],
    ['Scope', me.scope || '(all objects)'],
    ['Credential', me.credential || '-'],
    ['Permissions', me.permissions.join(', ') || '(none)'],
  ];
  rt.io.out(rows.map(([k, v]) => `${`${k}:`.padEnd(13)}${v}\n`).join(''));
}

export async function canI(rt: Runtime, action: string, kind: string | undefined, name: string | undefined): Promise<void> {
  if (name !== undefined && kind === undefined) throw usageError('a NAME needs a KIND', 'e.g. hvctl auth can-i vms.lifecycle vm web-1');
  const a = await (await rt.api()).canI({ action, kind: kind ?? '', name: name ?? '' });
  if (a.allowed) {
    rt.io.out('yes\n');
    return;
  }
  rt.io.out('no\n');
  rt.io.err(`${a.reason || 'refused'} (needs ${a.permission}); ask an admin for a role that has it (docs/security.md#roles)\n`);
  throw new CliExit(EXIT.error);
}
