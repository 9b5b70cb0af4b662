/**
 * A watch over one key prefix that survives dropped connections. Guarantees:
 * - no gap, no duplicate: it remembers the revision of the last response it delivered and
 *   re-creates the server watch from that revision + 1 (etcd never splits one revision's events
 *   across responses, and any event at or below the delivered revision is dropped);
 * - Gone: when etcd cancels the watch because the start revision was compacted, the stream
 *   throws HVS-STORE-WATCH-GONE (the consumer must re-list);
 * - bounded in time: if no connection can be re-established within `reconnectTimeoutMs` the
 *   stream throws HVS-STORE-UNAVAILABLE instead of waiting forever;
 * - bounded in memory: when WATCH_QUEUE_HIGH_WATER events wait for a slow consumer, the etcd
 *   stream is paused (gRPC flow control then holds etcd back; etcd replays from its history)
 *   and resumed once the consumer has caught up;
 * - a value that does not decode ends the stream with HVS-STORE-VALUE-UNREADABLE (after the
 *   events before it), never an exception in a stream listener.
 * etcd3's WatchManager is not used: it resumes from the header revision of the create response,
 * which can skip history still being replayed when the stream breaks.
 */
import type { IKeyValue, IWatchResponse } from 'etcd3';
import type { WatchEvent } from './types';
import { unavailable, unreadable, watchGone } from './errors';
import { EventQueue, WATCH_QUEUE_HIGH_WATER } from './event-queue';
import { prefixEnd, type EtcdConnection } from './etcd-connection';

export interface PrefixWatchOptions<E = WatchEvent> {
  kind: string;
  prefix: string;
  /** Deliver changes with revision > afterRevision. */
  afterRevision: number;
  reconnectTimeoutMs: number;
  decode: (kv: IKeyValue, type: 'ADDED' | 'MODIFIED' | 'DELETED', revision: string) => E;
}

// etcd3 types the stream narrowly; it is grpc-js's ClientDuplexStream, a Node Duplex (pause/resume).
type RawStream = Awaited<ReturnType<EtcdConnection['client']['watchClient']['watch']>> & Pick<NodeJS.ReadableStream, 'pause' | 'resume'>;

export function watchPrefix<E = WatchEvent>(conn: EtcdConnection, options: PrefixWatchOptions<E>): EventQueue<E> {
  let next = options.afterRevision + 1;
  let stream: RawStream | undefined;
  let failingSince: number | undefined;
  let retryDelay = 100;
  let timer: NodeJS.Timeout | undefined;
  const drop = () => {
    const s = stream;
    stream = undefined;
    s?.on('error', () => undefined);
    s?.cancel();
  };
  const stop = () => {
    clearTimeout(timer);
    drop();
  };
  const queue = new EventQueue<E>(stop, { highWater: WATCH_QUEUE_HIGH_WATER, pause: () => stream?.pause(), resume: () => stream?.resume() });

  const onResponse = (res: IWatchResponse) => {
    if (res.canceled) {
      if (Number(res.compact_revision) > 0) {
        queue.fail(watchGone(options.kind, String(next - 1), res.compact_revision));
        stop();
      } else {
        broken(new Error(`etcd cancelled the watch: ${res.cancel_reason || 'no reason given'}`));
      }
      return;
    }
    failingSince = undefined;
    retryDelay = 100;
    let delivered = next - 1;
    for (const ev of res.events ?? []) {
      const rev = Number(ev.kv.mod_revision);
      if (rev < next) continue;
      delivered = Math.max(delivered, rev);
      try {
        if (ev.type === 'Delete') {
          // The tombstone's mod_revision is the deletion revision; the object is in prev_kv.
          if (ev.prev_kv) queue.push(options.decode({ ...ev.prev_kv, mod_revision: ev.kv.mod_revision }, 'DELETED', ev.kv.mod_revision));
        } else {
          queue.push(options.decode(ev.kv, ev.kv.create_revision === ev.kv.mod_revision ? 'ADDED' : 'MODIFIED', ev.kv.mod_revision));
        }
      } catch (e) {
        queue.fail(unreadable(ev.kv.key.toString(), e));
        stop();
        return;
      }
    }
    next = delivered + 1;
  };

  const broken = (cause: unknown) => {
    if (queue.isDone) return;
    drop();
    const now = Date.now();
    failingSince ??= now;
    if (now - failingSince >= options.reconnectTimeoutMs) {
      queue.fail(unavailable(conn.endpoints, cause));
      stop();
      return;
    }
    timer = setTimeout(open, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 1_000);
  };

  const open = () => {
    if (queue.isDone) return;
    const from = next;
    conn.client.watchClient.watch().then((raw) => {
      const s = raw as RawStream;
      if (queue.isDone) {
        s.on('error', () => undefined);
        s.cancel();
        return;
      }
      stream = s;
      if (queue.isPaused) s.pause();
      // Handlers of a replaced stream must not act: only the current stream counts.
      s.on('data', (res) => s === stream && onResponse(res));
      s.on('error', (e) => s === stream && broken(e));
      s.on('end', () => s === stream && broken(new Error('etcd ended the watch stream')));
      s.write({
        create_request: {
          key: Buffer.from(options.prefix), range_end: prefixEnd(Buffer.from(options.prefix)), start_revision: from, prev_kv: true,
        },
      });
    }, broken);
  };

  open();
  return queue;
}
