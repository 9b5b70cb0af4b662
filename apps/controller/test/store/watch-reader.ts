import type { StoredObject, WatchEvent, WatchStream } from '../../src/store';

/** Reads a watch through one iterator, each read bounded by a deadline (tests never hang). */
export function watchReader(stream: WatchStream) {
  const it = stream[Symbol.asyncIterator]();
  return {
    async take(n: number, timeoutMs = 10_000): Promise<WatchEvent[]> {
      const out: WatchEvent[] = [];
      const deadline = Date.now() + timeoutMs;
      while (out.length < n) {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`watch: got ${out.length} of ${n} events before the deadline: ${summary(out)}`)),
            Math.max(0, deadline - Date.now()));
        });
        try {
          const r = await Promise.race([it.next(), timeout]);
          if (r.done) throw new Error(`watch ended after ${out.length} of ${n} events`);
          out.push(r.value);
        } finally {
          clearTimeout(timer);
        }
      }
      return out;
    },
    /** The error the stream ends with (rejects if it yields an event or ends cleanly). */
    async error(timeoutMs = 10_000): Promise<unknown> {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('watch did not fail before the deadline')), timeoutMs);
      });
      try {
        const r = await Promise.race([it.next(), timeout]);
        throw new Error(`expected the watch to fail, got ${r.done ? 'end' : JSON.stringify(r.value)}`);
      } catch (e) {
        if (e instanceof Error && /^(expected the watch|watch did not fail)/.test(e.message)) throw e;
        return e;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

export function summary(events: WatchEvent[]): string {
  return events.map((e) => `${e.type} ${e.object.metadata.name}@${e.revision}`).join(', ');
}

export function vm(name: string, labels?: Record<string, string>, extra: Partial<StoredObject> = {}): StoredObject {
  return {
    apiVersion: 'hvs/v1', kind: 'VirtualMachine',
    metadata: { name, ...(labels ? { labels } : {}) },
    spec: { cpu: { cores: 1 }, memory: { size: '512MiB' }, disks: [], networks: [], runState: 'Running' },
    ...extra,
  };
}
