/** `hvctl events` and `hvctl audit`: what happened, and who did what. */
import type { v1 } from '@hvs/proto';
import { usageError } from '../errors';
import { renderTable } from '../printers/table';
import { renderEventTable } from './get';
import { splitKindName } from './kinds';
import type { Runtime } from './runtime';

function positiveInt(flag: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 10_000) throw usageError(`${flag} "${raw}" is not a whole number from 1 to 10000`, `e.g. ${flag} 50`);
  return n;
}

export interface EventsOpts { kind?: string; limit: string; watch?: boolean; output?: string }
export interface AuditOpts { limit: string; kind?: string; name?: string; actor?: string; since?: string; output?: string }

/** `hvctl events [OBJECT]`, then with --watch every new one. */
export async function runEvents(rt: Runtime, object: string | undefined, opts: EventsOpts): Promise<void> {
  const target = object ? splitKindName(object) : { name: '' };
  const kind = target.kind ?? (opts.kind ? splitKindName(`${opts.kind}/x`).kind : undefined) ?? '';
  const limit = positiveInt('--limit', opts.limit);
  if (opts.output !== undefined && opts.output !== 'json') throw usageError(`-o ${opts.output} is not supported by events`, 'use -o json');
  const api = await rt.api();
  const res = await api.events({ kind, name: target.name, since: '', limit });
  const print = (events: v1.Event[], headers: boolean) => {
    if (opts.output === 'json') rt.io.out(events.map((e) => `${JSON.stringify(e)}\n`).join(''));
    else {
      const t = renderEventTable(events, rt, true);
      rt.io.out(headers ? t : t.slice(t.indexOf('\n') + 1));
    }
  };
  if (res.events.length === 0 && opts.output !== 'json') rt.io.err('No events found.\n');
  else print(res.events, true);
  if (!opts.watch) return;
  for await (const e of api.watchEvents({ kind, name: target.name, resourceVersion: res.resourceVersion })) print([e], false);
}

/** `hvctl audit`: who changed what, when, with which result. */
export async function runAudit(rt: Runtime, opts: AuditOpts): Promise<void> {
  const limit = positiveInt('--limit', opts.limit);
  const kind = opts.kind ? splitKindName(`${opts.kind}/x`).kind ?? '' : '';
  const res = await (await rt.api()).audit({ kind, name: opts.name ?? '', actor: opts.actor ?? '', since: opts.since ?? '', limit, continueToken: '' });
  if (opts.output === 'json') {
    rt.io.out(`${JSON.stringify(res.records, null, 2)}\n`);
    return;
  }
  if (res.records.length === 0) {
    rt.io.err('No audit records found.\n');
    return;
  }
  rt.io.out(renderTable(['TIME', 'ACTOR', 'OPERATION', 'OBJECT', 'GENERATION', 'RESULT'], res.records.map((r) => [
    r.time, r.actor, r.operation, r.kind ? `${r.kind.toLowerCase()}/${r.name}` : r.name,
    r.generationBefore === r.generationAfter ? String(r.generationAfter) : `${r.generationBefore}->${r.generationAfter}`,
    r.result === 'ok' ? rt.palette().green('ok') : rt.palette().red(r.result),
  ])));
}
