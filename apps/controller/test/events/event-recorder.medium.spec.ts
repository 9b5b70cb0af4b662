/**
 * EventRecorder and EventService against a real etcd: keys and leases, folding of repeats with
 * rate-limited count writes (driven by a FakeClock: no sleeps), list order/limit/filters,
 * watch from a list's revision (created and updated records, no expiry events, Gone after
 * compaction), real expiry through the lease, recovery from a revoked lease, and a reporter
 * that never sees an exception.
 */
import { FakeClock } from '@hvs/reconcile';
import { freePort, startEtcd, waitFor, type EtcdInstance } from '../../../../test/harness';
import { EVENTS_PREFIX, EventRecorder, type EventInput, type StoredEvent } from '../../src/events';
import { EventService } from '../../src/services';
import { revokeLease } from '../../src/leases/etcd-lease';
import { MAX_PUTS_PER_TXN } from '../../src/events/event-recorder';
import { EtcdConnection, EtcdStore, prefixEnd } from '../../src/store';
import { asUser } from '../identity/as-user';
import type { EventFilter } from '../../src/services/event.service';

const listEvents = (f: EventFilter = {}, limit?: number) => service.list(f, limit, asUser());
const watchEvents = (f: EventFilter & { resourceVersion?: string } = {}) => service.watch(f, asUser());

jest.setTimeout(30_000);

let etcd: EtcdInstance;
let conn: EtcdConnection;
let service: EventService;
const closers: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  etcd = await startEtcd();
  conn = new EtcdConnection({ endpoints: [etcd.endpoint], callTimeoutMs: 3_000 });
  service = new EventService(conn);
});
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
  await conn.client.kv.deleteRange({ key: Buffer.from(EVENTS_PREFIX), range_end: prefixEnd(Buffer.from(EVENTS_PREFIX)) });
});
afterAll(async () => {
  conn?.close();
  await etcd?.stop();
});

const START = Date.parse('2030-01-01T12:00:00.000Z');
const crashed = (name = 'web-1', extra: Partial<EventInput> = {}): EventInput => ({
  kind: 'VirtualMachine', name, uid: 'u-1', type: 'Warning', reason: 'Crashed', message: 'qemu exited with signal 9', source: 'agent/host-a', node: 'host-a', ...extra,
});

function recorder(opts: { ttlSeconds?: number; clock?: FakeClock; errors?: unknown[] } = {}): EventRecorder {
  return new EventRecorder({ connection: conn, ttlSeconds: opts.ttlSeconds, clock: opts.clock, onError: (e) => opts.errors?.push(e) });
}

async function rawEvents(): Promise<{ key: string; lease: string }[]> {
  const res = await conn.client.kv.range({ key: Buffer.from(EVENTS_PREFIX), range_end: prefixEnd(Buffer.from(EVENTS_PREFIX)) });
  return res.kvs.map((kv) => ({ key: kv.key.toString(), lease: kv.lease }));
}

describe('EventRecorder (real etcd)', () => {
  it('writes one key per event under /hvs/v1/events/<kind>/<name>/<time id>, bound to a lease of TTL + reuse window', async () => {
    const r = recorder({ ttlSeconds: 3600 });
    await r.record(crashed());
    await r.record({ kind: 'Node', name: 'host-a', type: 'Normal', reason: 'NodeReady', message: 'Ready', source: 'controller/node-lifecycle' });
    const raw = await rawEvents();
    expect(raw.map((k) => k.key)).toEqual([
      expect.stringMatching(/^\/hvs\/v1\/events\/node\/host-a\/\d{15}-\d{4}-[0-9a-f]{6}$/),
      expect.stringMatching(/^\/hvs\/v1\/events\/virtualmachine\/web-1\/\d{15}-\d{4}-[0-9a-f]{6}$/),
    ]);
    // Both share one lease (one grant per reuse window), whose TTL is 1 h plus the 60 s window.
    expect(raw[0]!.lease).toBe(raw[1]!.lease);
    const ttl = await conn.client.leaseClient.leaseTimeToLive({ ID: raw[0]!.lease });
    expect(Number(ttl.grantedTTL)).toBe(3660);
    const { events } = await listEvents({ kind: 'vm', name: 'web-1' });
    expect(events).toEqual([expect.objectContaining({
      kind: 'VirtualMachine', name: 'web-1', uid: 'u-1', type: 'Warning', reason: 'Crashed', message: 'qemu exited with signal 9',
      source: 'agent/host-a', node: 'host-a', count: 1, resourceVersion: expect.stringMatching(/^\d+$/),
    })]);
    expect(events[0]!.firstTime).toBe(events[0]!.time);
  });

  it('folds identical consecutive events: one write per interval at most, the final count written when the interval ends', async () => {
    const clock = new FakeClock(START);
    const r = recorder({ clock });
    await r.record(crashed());
    for (let i = 0; i < 5; i++) {
      await clock.advance(1_000);
      await r.record(crashed());
    }
    expect(r.stats).toMatchObject({ created: 1, folded: 5, writes: 1 });
    let [e] = (await listEvents({ kind: 'VirtualMachine', name: 'web-1' })).events;
    expect(e!.count).toBe(1);

    // 10 s after the first write the deferred count goes out: once, carrying all six.
    await clock.advance(5_000);
    await r.flush();
    expect(r.stats.writes).toBe(2);
    [e] = (await listEvents({ kind: 'VirtualMachine', name: 'web-1' })).events;
    expect(e).toMatchObject({ count: 6, firstTime: '2030-01-01T12:00:00.000Z', time: '2030-01-01T12:00:05.000Z' });

    // A repeat after a quiet interval is written at once, into the same record.
    await clock.advance(20_000);
    await r.record(crashed());
    const all = (await listEvents({ kind: 'VirtualMachine', name: 'web-1' })).events;
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ id: e!.id, count: 7, time: '2030-01-01T12:00:30.000Z' });
    expect(r.stats.writes).toBe(3);
  });

  it('a different event ends the fold: the earlier record gets its final count at once and the new one is a new record', async () => {
    const clock = new FakeClock(START);
    const r = recorder({ clock });
    await r.record(crashed());
    await clock.advance(1_000);
    await r.record(crashed());
    await clock.advance(1_000);
    await r.record(crashed('web-1', { type: 'Normal', reason: 'Started', message: 'domain started' }));
    await r.flush();
    const { events } = await listEvents({ name: 'web-1' });
    expect(events.map((e) => [e.reason, e.count])).toEqual([['Crashed', 2], ['Started', 1]]);
    expect(clock.pending()).toBe(0);
    // Folding is per object: another VM's identical text is its own record.
    await r.record(crashed('web-2'));
    expect((await listEvents({ kind: 'vm' })).events.map((e) => e.name)).toEqual(['web-1', 'web-1', 'web-2']);
  });

  it('lists newest last, keeps the newest `limit`, and filters by kind (short names), name alone, and since', async () => {
    const clock = new FakeClock(START);
    const r = recorder({ clock });
    for (let i = 0; i < 5; i++) {
      await r.record(crashed(`vm-${i}`, { time: new Date(START + i * 60_000).toISOString() }));
    }
    await r.record({ kind: 'Node', name: 'vm-1', type: 'Normal', reason: 'NodeReady', message: 'Ready', source: 'controller/node-lifecycle', time: new Date(START + 30_000).toISOString() });
    expect((await listEvents()).events.map((e) => `${e.kind}/${e.name}`)).toEqual([
      'VirtualMachine/vm-0', 'Node/vm-1', 'VirtualMachine/vm-1', 'VirtualMachine/vm-2', 'VirtualMachine/vm-3', 'VirtualMachine/vm-4']);
    expect((await listEvents({}, 2)).events.map((e) => e.name)).toEqual(['vm-3', 'vm-4']);
    expect((await listEvents({ kind: 'vms' })).events).toHaveLength(5);
    expect((await listEvents({ name: 'vm-1' })).events.map((e) => e.kind)).toEqual(['Node', 'VirtualMachine']);
    expect((await listEvents({ since: '2030-01-01T12:03:00Z' })).events.map((e) => e.name)).toEqual(['vm-3', 'vm-4']);
    await expect(listEvents({ kind: 'vmz' })).rejects.toMatchObject({ code: 'HVS-KIND-UNKNOWN' });
    await expect(listEvents({ name: 'Web/1' })).rejects.toMatchObject({ code: 'HVS-EVENT-NAME-INVALID', category: 'InvalidArgument' });
    await expect(listEvents({ since: 'yesterday' })).rejects.toMatchObject({ code: 'HVS-EVENT-SINCE-INVALID' });
  });

  it('watch from a list revision delivers new records and count updates (same id) exactly once, and no expiry', async () => {
    const clock = new FakeClock(START);
    const r = recorder({ clock });
    await r.record(crashed('old'));
    const { revision } = await listEvents();
    const stream = watchEvents({ kind: 'vm', resourceVersion: revision });
    closers.push(() => stream.close());
    const got: StoredEvent[] = [];
    const reading = (async () => {
      for await (const e of stream) got.push(e);
    })();
    await r.record(crashed());
    await clock.advance(10_000);
    await r.record(crashed());
    await r.record({ kind: 'Node', name: 'host-a', type: 'Normal', reason: 'NodeReady', message: 'Ready', source: 'x' }); // other kind: filtered
    // Expiry (a revoked lease deletes every key on it) is not an event.
    for (const k of await rawEvents()) await revokeLease(conn, k.lease);
    await r.record(crashed('web-9'));
    await waitFor(() => got.length >= 3, { what: 'three watch events' });
    expect(got.map((e) => [e.name, e.count])).toEqual([['web-1', 1], ['web-1', 2], ['web-9', 1]]);
    expect(got[0]!.id).toBe(got[1]!.id);
    expect(Number(got[1]!.resourceVersion)).toBeGreaterThan(Number(got[0]!.resourceVersion));
    await stream.close();
    await reading;
    expect(got).toHaveLength(3);
  });

  it('watch from a compacted revision fails with HVS-STORE-WATCH-GONE; a bad revision fails before any event', async () => {
    const r = recorder();
    await r.record(crashed());
    const { revision } = await listEvents();
    await r.record(crashed('web-2'));
    const store = new EtcdStore({ endpoints: [etcd.endpoint], connection: conn });
    await store.compact(String(Number(revision) + 1));
    const stream = watchEvents({ resourceVersion: String(Number(revision) - 1) });
    closers.push(() => stream.close());
    await expect((async () => {
      for await (const e of stream) void e;
    })()).rejects.toMatchObject({ code: 'HVS-STORE-WATCH-GONE', category: 'Gone' });
    expect(() => watchEvents({ resourceVersion: 'abc' })).toThrow(expect.objectContaining({ code: 'HVS-API-RESOURCE-VERSION-INVALID' }));
  });

  it('records really expire: etcd deletes them when their lease runs out', async () => {
    const r = recorder({ ttlSeconds: 1 }); // lease of 1 s + the minimum 1 s reuse window
    await r.record(crashed());
    expect(await rawEvents()).toHaveLength(1);
    await waitFor(async () => (await rawEvents()).length === 0, { what: 'the event to expire', timeoutMs: 15_000 });
    expect((await listEvents()).events).toEqual([]);
  });

  it('a burst of events shares etcd transactions (at most MAX_PUTS_PER_TXN puts each), and every record lands', async () => {
    const r = recorder();
    const n = MAX_PUTS_PER_TXN + 50;
    await Promise.all(Array.from({ length: n }, (_, i) => r.record(crashed(`burst-${i}`))));
    expect(r.stats).toMatchObject({ created: n, writes: n, failed: 0 });
    expect(r.stats.transactions).toBe(2);
    const { events } = await listEvents({ kind: 'VirtualMachine' }, 1000);
    const names = new Set(events.map((e) => e.name));
    for (let i = 0; i < n; i++) expect(names.has(`burst-${i}`)).toBe(true);
  });

  it('a revoked shared lease is replaced on the next write', async () => {
    const errors: unknown[] = [];
    const r = recorder({ errors });
    await r.record(crashed('a'));
    const [first] = await rawEvents();
    await revokeLease(conn, first!.lease);
    await r.record(crashed('b'));
    const raw = await rawEvents();
    expect(raw).toHaveLength(1);
    expect(raw[0]!.key).toMatch(/\/virtualmachine\/b\//);
    expect(raw[0]!.lease).not.toBe(first!.lease);
    expect(errors).toEqual([]);
  });

  it('never throws at the reporter: an invalid event or an unreachable etcd goes to onError and the promise resolves', async () => {
    const errors: unknown[] = [];
    const r = recorder({ errors });
    await expect(r.record(crashed('web-1', { reason: 'not camel' }))).resolves.toBeUndefined();
    await expect(r.record(crashed('Web_1'))).resolves.toBeUndefined();
    expect(errors).toEqual([expect.objectContaining({ code: 'HVS-EVENT-INVALID' }), expect.objectContaining({ code: 'HVS-STORE-INVALID-WRITE' })]);

    const dead = new EtcdConnection({ endpoints: [`http://127.0.0.1:${await freePort()}`], callTimeoutMs: 300 });
    closers.push(() => dead.close());
    const deadErrors: unknown[] = [];
    const d = new EventRecorder({ connection: dead, onError: (e) => deadErrors.push(e) });
    await expect(d.record(crashed())).resolves.toBeUndefined();
    expect(deadErrors).toEqual([expect.objectContaining({ code: 'HVS-STORE-UNAVAILABLE' })]);
    expect(d.stats.failed).toBe(1);
  });
});
