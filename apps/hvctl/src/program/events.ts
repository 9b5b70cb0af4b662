/** The tree of `hvctl events` and `hvctl audit`; commands/events.ts does the work, loaded when one runs. */
import type { Command } from 'commander';
import type { AuditOpts, EventsOpts } from '../commands/events';
import type { Runtime } from '../commands/runtime';

export function registerEvents(program: Command, rt: Runtime): void {
  program.command('events').argument('[object]', 'NAME or KIND/NAME (vm/web-1)')
    .description('list recent events, optionally of one object')
    .option('--kind <kind>', 'only objects of this kind')
    .option('--limit <n>', 'at most this many', '50')
    .option('-w, --watch', 'after listing, print new events as they happen')
    .option('-o, --output <format>', 'json: one event object per line')
    .addHelpText('after', '\nExamples:\n  hvctl events\n  hvctl events vm/web-1 --watch')
    .action(async (object: string | undefined, opts: EventsOpts) => (await import('../commands/events.js')).runEvents(rt, object, opts));

  program.command('audit').description('list the audit log: who changed what, when, with which result')
    .option('--limit <n>', 'at most this many records', '50')
    .option('--kind <kind>', 'only this kind')
    .option('--name <name>', 'only objects of this name')
    .option('--actor <actor>', 'only calls by this identity')
    .option('--since <time>', 'RFC 3339 time, e.g. 2026-01-31T00:00:00Z')
    .option('-o, --output <format>', 'json: the records as a JSON array')
    .action(async (opts: AuditOpts) => (await import('../commands/events.js')).runAudit(rt, opts));
}
