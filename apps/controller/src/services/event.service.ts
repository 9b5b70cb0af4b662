/**
 * Reading events (the service behind hvs.v1.EventService and GET /api/v1/events): list with
 * filters, newest last; watch new and updated (folded) records from a revision. Any replica
 * serves it (reads only). Guarantees:
 * - `list` returns the etcd revision it read at; `watch(resourceVersion)` from it has no gap
 *   and no duplicate, and resumes across dropped etcd connections (the store's resumable
 *   prefix watch), or throws HVS-STORE-WATCH-GONE when that history was compacted;
 * - a record whose count moved is delivered again (same id, higher count and resourceVersion);
 *   expiry (etcd deleting a record at the end of its lease) is not an event;
 * - every call is bounded by the connection's deadline (HVS-STORE-UNAVAILABLE, never a hang).
 */
import { HvsError } from '@hvs/domain';
import type { EtcdConnection } from '../store/etcd-connection';
import { prefixEnd } from '../store/etcd-connection';
import { watchPrefix } from '../store/etcd-watch';
import type { ObjectStore } from '../store';
import { admit, objectVisibility } from './access';
import type { CallContext } from './call-context';
import { kindOf, revisionOf } from './errors';
import { compareEvents, decodeEvent, eventPrefix, type StoredEvent } from '../events/event-record';

export const DEFAULT_EVENT_LIMIT = 100;
export const MAX_EVENT_LIMIT = 1000;
const NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export interface EventFilter {
  /** Kind, plural or short name (vm, nodes); empty: every kind. */
  kind?: string;
  /** Object name; empty: every object. */
  name?: string;
  /** RFC 3339: only records whose latest occurrence is at or after it. */
  since?: string;
}

export interface EventList {
  /** Newest last. */
  events: StoredEvent[];
  revision: string;
}

export interface EventStream extends AsyncIterable<StoredEvent> {
  close(): Promise<void>;
  /** Records received and not yet taken (bounded like a store watch). */
  readonly buffered: number;
}

export interface EventServiceOptions {
  /** Give up re-connecting a broken watch after this long (HVS-STORE-UNAVAILABLE), default 30 s. */
  watchReconnectTimeoutMs?: number;
}

export class EventService {
  constructor(private readonly connection: EtcdConnection, private readonly options: EventServiceOptions = {}, private readonly store?: Pick<ObjectStore, 'get'>) {}

  /** The newest `limit` (default 100, max 1000) matching records, newest last; a scoped caller sees only its objects' records. */
  async list(filter: EventFilter, limit: number | undefined, ctx: CallContext): Promise<EventList> {
    admit(ctx, 'EventService/List');
    const vis = this.store && objectVisibility(this.store, ctx);
    const { prefix, name } = scope(filter);
    const since = filter.since ? parseSince(filter.since) : undefined;
    const max = Math.min(Math.max(limit !== undefined && limit > 0 ? limit : DEFAULT_EVENT_LIMIT, 1), MAX_EVENT_LIMIT);
    const conn = this.connection;
    const key = Buffer.from(prefix);
    const res = await conn.call((o) => conn.client.kv.range({ key, range_end: prefixEnd(key) }, o));
    const events = res.kvs
      .map((kv) => decodeEvent(kv.key.toString(), kv.value.toString(), kv.mod_revision))
      .filter((e) => (name === undefined || e.name === name) && (since === undefined || e.time >= since))
      .sort(compareEvents);
    const shown = vis === undefined ? events : (await Promise.all(events.map(async (e) => ((await vis(e.kind, e.name)) ? e : undefined)))).filter((e): e is StoredEvent => e !== undefined);
    return { events: shown.slice(-max), revision: res.header.revision };
  }

  /**
   * Records created or updated after `resourceVersion` (exclusive; empty: from now). Request
   * errors (kind, name, revision) are thrown here, before any event; later failures (Gone,
   * Unavailable) are thrown by the iteration.
   */
  watch(filter: EventFilter & { resourceVersion?: string }, ctx: CallContext): EventStream {
    admit(ctx, 'EventService/Watch');
    const vis = this.store && objectVisibility(this.store, ctx);
    const { prefix, name } = scope(filter);
    const after = revisionOf(filter.resourceVersion);
    const conn = this.connection;
    const reconnectTimeoutMs = this.options.watchReconnectTimeoutMs ?? 30_000;
    let inner: { close(): Promise<void>; buffered: number } | undefined;
    let closed = false;
    const open = (afterRevision: number) => {
      const q = watchPrefix<StoredEvent | undefined>(conn, {
        kind: 'events', prefix, afterRevision, reconnectTimeoutMs,
        decode: (kv, type) => (type === 'DELETED' ? undefined : decodeEvent(kv.key.toString(), kv.value.toString(), kv.mod_revision)),
      });
      inner = q;
      return q;
    };
    return {
      async *[Symbol.asyncIterator]() {
        // "From now" is resolved to a number first, so a resume has a revision to start from.
        const start = after !== undefined ? Number(after)
          : Number((await conn.call((o) => conn.client.kv.range({ key: Buffer.from(prefix), count_only: true }, o))).header.revision);
        if (closed) return;
        for await (const e of open(start)) {
          if (e !== undefined && (name === undefined || e.name === name) && (vis === undefined || (await vis(e.kind, e.name)))) yield e;
        }
      },
      async close() {
        closed = true;
        await inner?.close();
      },
      get buffered() {
        return inner?.buffered ?? 0;
      },
    };
  }
}

/** The narrowest key prefix for the filter, and the name to filter on when no kind narrows it. */
function scope(filter: EventFilter): { prefix: string; name?: string } {
  const name = filter.name ? filter.name : undefined;
  if (name !== undefined && !NAME.test(name)) {
    throw new HvsError({
      code: 'HVS-EVENT-NAME-INVALID', category: 'InvalidArgument', path: 'name',
      message: `"${name.slice(0, 64)}" is not an object name`,
      why: 'names are DNS labels: lowercase letters, digits and "-", 1-63 characters',
      fix: 'pass the name as `hvctl get` shows it, e.g. web-1',
    });
  }
  if (!filter.kind) return { prefix: eventPrefix(), name };
  const kind = kindOf(filter.kind);
  return name === undefined ? { prefix: eventPrefix(kind) } : { prefix: eventPrefix(kind, name) };
}

function parseSince(s: string): string {
  const t = Date.parse(s);
  if (Number.isNaN(t) || !/^\d{4}-\d{2}-\d{2}/.test(s)) {
    throw new HvsError({
      code: 'HVS-EVENT-SINCE-INVALID', category: 'InvalidArgument', path: 'since',
      message: `since "${s.slice(0, 64)}" is not a time`,
      why: 'since must be an RFC 3339 time',
      fix: 'write it like 2024-05-01T12:00:00Z',
    });
  }
  return new Date(t).toISOString();
}
