import type { DomainEvent, DomainEventType, HypervisorDriver } from '../../src/hypervisor';

/** What each implementation brings to the shared contract. */
export interface DriverHarness {
  driver: HypervisorDriver;
  /** A domain XML this driver can define and boot, named `name`; `memoryMiB` lets a test change it. */
  domainXml(name: string, memoryMiB?: number): string;
  /** Extra proof that a started guest really runs (real QEMU: the serial marker). */
  assertBooted?(name: string): Promise<void>;
  /** ACPI timeout used by the shutdown case (a busybox guest ignores ACPI: destroy follows). */
  shutdownTimeoutMs: number;
  /** Deadline for awaited conditions and events. */
  deadlineMs: number;
  cleanup(): Promise<void>;
}

/** Awaits a condition with a deadline (polling; no fixed sleeps). */
export async function until(what: string, cond: () => Promise<boolean> | boolean, deadlineMs: number): Promise<void> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > end) throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A next() that lost a race with a deadline stays pending; the following read reuses it, so no event is dropped. */
const pendingNext = new WeakMap<AsyncIterator<DomainEvent>, Promise<IteratorResult<DomainEvent>>>();

/** Reads events until one matches, with a deadline. */
export async function nextEvent(
  it: AsyncIterator<DomainEvent>, match: (e: DomainEvent) => boolean, deadlineMs: number,
): Promise<DomainEvent | undefined> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const left = end - Date.now();
    if (left <= 0) return undefined;
    let timer: NodeJS.Timeout | undefined;
    const next = pendingNext.get(it) ?? it.next();
    pendingNext.set(it, next);
    const r = await Promise.race([
      next,
      new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), left))),
    ]);
    clearTimeout(timer);
    if (r === 'timeout') return undefined;
    pendingNext.delete(it);
    if (r.done) return undefined;
    if (match(r.value)) return r.value;
  }
}

let seq = 0;

/**
 * The HypervisorDriver contract: every implementation must pass it unchanged. It checks the
 * world after each call (state, definitions, events, error codes), not which calls were made.
 */
export function describeHypervisorDriverContract(name: string, factory: () => Promise<DriverHarness>): void {
  describe(`HypervisorDriver contract: ${name}`, () => {
    let h: DriverHarness;
    let d: HypervisorDriver;
    const created: string[] = [];
    const fresh = (): string => {
      const n = `hvs-contract-${process.pid}-${++seq}`;
      created.push(n);
      return n;
    };

    beforeAll(async () => {
      h = await factory();
      d = h.driver;
    });
    afterEach(async () => {
      for (const n of created.splice(0)) await d.undefine(n).catch(() => undefined);
    });
    afterAll(async () => {
      await h?.cleanup();
    });

    it('reports host facts with a mode that says what runs guests', async () => {
      const f = await d.hostFacts();
      expect(f.cpus).toBeGreaterThan(0);
      expect(f.memoryBytes).toBeGreaterThan(0);
      expect(['kvm', 'qemu', 'test']).toContain(f.mode);
      expect(typeof f.kvmUsable).toBe('boolean');
      expect(Array.isArray(f.pciDevices)).toBe(true);
      expect(f.uri.length).toBeGreaterThan(0);
    });

    it('defines idempotently: same XML is unchanged, new XML changes, identity stays', async () => {
      const n = fresh();
      const first = await d.define(n, h.domainXml(n, 64));
      expect(first.changed).toBe(true);
      expect(first.info).toMatchObject({ name: n, state: 'shutoff', persistent: true });
      const again = await d.define(n, h.domainXml(n, 64));
      expect(again.changed).toBe(false);
      const bigger = await d.define(n, h.domainXml(n, 96));
      expect(bigger.changed).toBe(true);
      expect(bigger.info.uuid).toBe(first.info.uuid);
      expect((await d.list()).filter((x) => x.name === n)).toHaveLength(1);
    });

    it('refuses XML that names another domain', async () => {
      const n = fresh();
      await expect(d.define(n, h.domainXml(`${n}-other`))).rejects.toMatchObject({ code: 'HVS-LIBVIRT-XML-INVALID' });
      expect(await d.get(n)).toBeUndefined();
    });

    it('gives undefined for an unknown domain and NOT-FOUND when acting on one', async () => {
      expect(await d.get('hvs-contract-no-such-domain')).toBeUndefined();
      await expect(d.start('hvs-contract-no-such-domain')).rejects.toMatchObject({ code: 'HVS-LIBVIRT-DOMAIN-NOT-FOUND', fix: expect.any(String) });
      await expect(d.undefine('hvs-contract-no-such-domain')).resolves.toBeUndefined();
    });

    it('starts (idempotently), reports stats, destroys (idempotently)', async () => {
      const n = fresh();
      await d.define(n, h.domainXml(n));
      await d.start(n);
      expect((await d.get(n))?.state).toBe('running');
      await d.start(n);
      expect((await d.get(n))?.state).toBe('running');
      await h.assertBooted?.(n);
      const s = await d.stats(n);
      expect(s).toMatchObject({ name: n, state: 'running' });
      expect(s.cpuTimeNs).toBeGreaterThanOrEqual(0);
      expect(['full', 'basic']).toContain(s.detail);
      await d.destroy(n);
      expect((await d.get(n))?.state).toBe('shutoff');
      await d.destroy(n);
      expect((await d.get(n))?.state).toBe('shutoff');
    });

    it('shuts down within the timeout (ACPI, then destroy) and keeps the definition', async () => {
      const n = fresh();
      await d.define(n, h.domainXml(n));
      await d.start(n);
      await d.shutdown(n, { timeoutMs: h.shutdownTimeoutMs });
      expect(await d.get(n)).toMatchObject({ name: n, state: 'shutoff', persistent: true });
      await d.shutdown(n, { timeoutMs: h.shutdownTimeoutMs });
    });

    it('undefines a running domain: it is gone from list()', async () => {
      const n = fresh();
      await d.define(n, h.domainXml(n));
      await d.start(n);
      await d.undefine(n);
      expect(await d.get(n)).toBeUndefined();
      expect((await d.list()).map((x) => x.name)).not.toContain(n);
    });

    it('streams lifecycle events for started, stopped and undefined', async () => {
      const n = fresh();
      const it = d.events()[Symbol.asyncIterator]();
      try {
        // A subscription may take a moment to attach (virsh child): redefine until 'defined' arrives.
        let attached: DomainEvent | undefined;
        const end = Date.now() + h.deadlineMs;
        while (!attached && Date.now() < end) {
          await d.define(n, h.domainXml(n));
          attached = await nextEvent(it, (e) => e.name === n && e.type === 'defined', 500);
        }
        if (!attached) throw new Error(`no 'defined' event for ${n} within ${h.deadlineMs} ms: the subscription never attached`);
        const want = async (type: DomainEventType): Promise<void> => {
          const e = await nextEvent(it, (x) => x.name === n && x.type === type, h.deadlineMs);
          if (!e) throw new Error(`no '${type}' event for ${n} within ${h.deadlineMs} ms`);
          expect(e).toMatchObject({ name: n, type });
          expect(typeof e?.at).toBe('number');
        };
        await d.start(n);
        await want('started');
        await d.destroy(n);
        await want('stopped');
        await d.undefine(n);
        await want('undefined');
      } finally {
        await it.return?.();
      }
    });
  });
}
