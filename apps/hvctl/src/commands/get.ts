/** `hvctl get`, `hvctl nodes` and `hvctl describe`. */
import { stringify } from 'yaml';
import { fromProtoObject, v1 } from '@hvs/proto';
import { usageError } from '../errors';
import { colourStatus } from '../printers/colour';
import { OUTPUT_FORMATS, pluralOf, renderResources, renderInterfaces, renderResourceTable, type OutputFormat, type ShownResource } from '../printers/resources';
import { formatAge, renderTable } from '../printers/table';
import { kindArg } from './kinds';
import type { Runtime } from './runtime';

export interface GetOpts { selector?: string; output?: string; watch?: boolean; noHeaders?: boolean; reveal?: boolean }

function outputFormat(raw: string | undefined): OutputFormat {
  if (raw === undefined) return 'table';
  if ((OUTPUT_FORMATS as readonly string[]).includes(raw)) return raw as OutputFormat;
  throw usageError(`-o ${raw} is not an output format`, `use one of: ${OUTPUT_FORMATS.join(', ')}`);
}

const shown = (o: v1.ApiObject) => fromProtoObject(o) as ShownResource;

export async function runGet(rt: Runtime, kindInput: string, name: string | undefined, opts: GetOpts): Promise<void> {
  const kind = kindArg(kindInput);
  const format = outputFormat(opts.output);
  if (name !== undefined && opts.selector) throw usageError('a NAME and -l cannot be used together', 'give either the name or the selector');
  if (opts.reveal && (name === undefined || opts.watch)) throw usageError('--reveal shows one object', 'give its NAME, without -w (e.g. hvctl get secret db-creds --reveal -o yaml)');
  const api = await rt.api();
  const print = (items: ShownResource[], single: boolean, noHeaders = false) => {
    if (format === 'table' || format === 'wide') {
      rt.io.out(renderResourceTable(kind, items, { wide: format === 'wide', palette: rt.palette(), now: rt.io.now(), noHeaders: noHeaders || opts.noHeaders === true }));
    } else rt.io.out(renderResources(format, items, single));
  };
  let resourceVersion = '';
  if (name !== undefined) {
    // --reveal: values in plain text, if the caller's role has secrets.reveal (audited by the controller).
    print([shown(await api.get(kind, name, opts.reveal === true))], true);
  } else {
    const list = await api.list(kind, opts.selector ?? '');
    resourceVersion = list.resourceVersion;
    if (list.items.length === 0 && (format === 'table' || format === 'wide')) rt.io.err(`No ${pluralOf(kind)} found${opts.selector ? ` matching ${opts.selector}` : ''}.\n`);
    else print(list.items.map(shown), false);
  }
  if (!opts.watch) return;
  for await (const ev of api.watch({ kind, labelSelector: opts.selector ?? '', resourceVersion, bookmarkIntervalMs: 0 })) {
    if (ev.type === v1.WatchEventType.BOOKMARK || !ev.object) continue;
    const obj = shown(ev.object);
    if (name !== undefined && obj.metadata.name !== name) continue;
    if (ev.type === v1.WatchEventType.DELETED && (format === 'table' || format === 'wide')) obj.status = { ...(obj.status as object), phase: 'Deleted' };
    print([obj], true, true);
  }
}

/** `hvctl describe KIND NAME`. */
export async function runDescribe(rt: Runtime, kindInput: string, name: string): Promise<void> {
  const kind = kindArg(kindInput);
  const api = await rt.api();
  const obj = shown(await api.get(kind, name));
  let events: v1.Event[] | string;
  try {
    events = (await api.events({ kind, name, since: '', limit: 20 })).events;
  } catch (e) {
    const code = (e as { code?: string }).code;
    events = code === 'HVS-GRPC-UNIMPLEMENTED' ? 'not available: this controller does not serve events' : `not available (${(e as Error).message})`;
  }
  rt.io.out(renderDescribe(obj, events, rt));
}

function indent(text: string, by = '  '): string {
  return text.trimEnd().split('\n').map((l) => by + l).join('\n');
}

export function renderDescribe(obj: ShownResource, events: v1.Event[] | string, rt: Pick<Runtime, 'palette' | 'io'>): string {
  const p = rt.palette();
  const now = rt.io.now();
  const m = obj.metadata as Record<string, unknown>;
  const labels = Object.entries(obj.metadata.labels ?? {}).map(([k, v]) => `${k}=${v}`).join(', ') || '<none>';
  const status = { ...((obj.status as Record<string, unknown>) ?? {}) };
  const conditions = Array.isArray(status.conditions) ? (status.conditions as Record<string, unknown>[]) : [];
  delete status.conditions;
  // A VM's NICs read better as a table than as YAML.
  const interfaces = obj.kind === 'VirtualMachine' ? renderInterfaces(status) : undefined;
  if (interfaces !== undefined) delete status.interfaces;
  const field = (k: string, v: string) => `${`${k}:`.padEnd(14)}${v}`;
  const out = [
    field('Name', obj.metadata.name),
    field('Kind', obj.kind),
    field('Labels', labels),
    field('UID', String(m.uid ?? '<none>')),
    field('Created', m.creationTimestamp ? `${String(m.creationTimestamp)} (${formatAge(String(m.creationTimestamp), now)} ago)` : '<unknown>'),
    field('Generation', `${String(m.generation ?? '<none>')} (observed ${String(status.observedGeneration ?? '<none>')})`),
  ];
  if (m.deletionTimestamp) out.push(field('Deleting', `since ${String(m.deletionTimestamp)}`));
  out.push('Spec:', indent(stringify(obj.spec ?? {})));
  out.push('Status:', Object.keys(status).length > 0 ? indent(stringify(status)) : '  <none>');
  if (interfaces !== undefined) out.push('Interfaces:', indent(interfaces));
  out.push('Conditions:');
  out.push(conditions.length === 0 ? '  <none>' : indent(renderTable(['TYPE', 'STATUS', 'REASON', 'MESSAGE', 'AGE'], conditions.map((c) => [
    String(c.type ?? ''), colourStatus(p, String(c.status ?? '')), String(c.reason ?? ''), String(c.message ?? ''), formatAge(c.lastTransitionTime as string | undefined, now)]))));
  out.push('Events:');
  if (typeof events === 'string') out.push(`  ${events}`);
  else if (events.length === 0) out.push('  <none>');
  else out.push(indent(renderEventTable(events, rt, false)));
  return `${out.join('\n')}\n`;
}

export function renderEventTable(events: readonly v1.Event[], rt: Pick<Runtime, 'palette' | 'io'>, withObject: boolean): string {
  const p = rt.palette();
  const now = rt.io.now();
  const headers = withObject ? ['AGE', 'TYPE', 'REASON', 'OBJECT', 'SOURCE', 'MESSAGE'] : ['AGE', 'TYPE', 'REASON', 'SOURCE', 'MESSAGE'];
  return renderTable(headers, events.map((e) => {
    const type = e.type === 'Warning' ? p.yellow(e.type) : e.type;
    // Folded repeats read as kubectl's "60s (x3 over 9m)".
    const age = e.count > 1 && e.firstTime ? `${formatAge(e.time, now)} (x${e.count} over ${formatAge(e.firstTime, now)})` : formatAge(e.time, now);
    const base = [age, type, e.reason];
    return withObject ? [...base, `${e.kind.toLowerCase()}/${e.name}`, e.source, e.message] : [...base, e.source, e.message];
  }));
}
