/**
 * Every key the controller writes to etcd, seen by one watch on the whole key space, so a fuzz
 * case can tell what it wrote: `settle()` waits until the watch has caught up with etcd's current
 * revision and hands back the writes (puts and deletes) since the last `settle()`. Exact (each
 * revision is seen once) and cheap (one range call per settle when nothing was written).
 */
import { Etcd3, Range, type Watcher } from 'etcd3';
import { KEY_ROOT } from '../../src/store/objects';

/** Where audit records live (`Audit` objects): the only keys an authenticated refused call may add. */
export const AUDIT_PREFIX = `${KEY_ROOT}audit/`;

export interface EtcdWrite {
  key: string;
  /** The value put ('' for a delete). */
  value: string;
}

const WHOLE_KEYSPACE = new Range(Buffer.from([0]), Buffer.from([0]));
const CATCH_UP_MS = 10_000;

export class EtcdWrites {
  private seen = 0;
  private keys: EtcdWrite[] = [];
  private readonly waiting = new Set<() => void>();

  private constructor(private readonly client: Etcd3, private readonly watcher: Watcher) {
    watcher.on('data', (res) => {
      for (const e of res.events) this.keys.push({ key: e.kv.key.toString('utf8'), value: e.kv.value?.toString('utf8') ?? '' });
      this.seen = Math.max(this.seen, Number(res.header.revision));
      for (const wake of this.waiting) wake();
    });
  }

  static async open(endpoint: string): Promise<EtcdWrites> {
    const client = new Etcd3({ hosts: endpoint });
    try {
      const start = await EtcdWrites.currentRevision(client);
      const watcher = await client.watch().inRange(WHOLE_KEYSPACE).startRevision(String(start + 1)).create();
      const w = new EtcdWrites(client, watcher);
      w.seen = start;
      return w;
    } catch (e) {
      client.close();
      throw e;
    }
  }

  private static async currentRevision(client: Etcd3): Promise<number> {
    const res = await client.kv.range({ key: Buffer.from([0]), count_only: true });
    return Number(res.header.revision);
  }

  /** Writes since the last call (in order), once the watch has seen etcd's current revision. */
  async settle(): Promise<EtcdWrite[]> {
    const target = await EtcdWrites.currentRevision(this.client);
    const deadline = Date.now() + CATCH_UP_MS;
    while (this.seen < target) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`the etcd watch saw revision ${this.seen}, etcd is at ${target}: events are missing`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(left, 200));
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.waiting.add(done);
      }).finally(() => this.waiting.clear());
    }
    const out = this.keys;
    this.keys = [];
    return out;
  }

  async close(): Promise<void> {
    await this.watcher.cancel().catch(() => undefined);
    this.client.close();
  }
}
