import type { VmObservation } from '@hvs/domain';
import { ObservedState, type SequencedChange } from '../../src/observed/observed-state';

const vm = (uid: string, phase: VmObservation['phase'] = 'Running'): VmObservation => ({
  name: `vm-${uid}`, uid, phase, reason: phase, message: '', ips: [], node: 'node-1', observedGeneration: 1, pendingRestart: [],
});

describe('ObservedState (domain values, sequenced)', () => {
  it('starts a subscription with a snapshot carrying the last sequence, then every later change in order', async () => {
    const o = new ObservedState();
    o.set(vm('a'));
    o.setUnmanaged(['legacy-db']);
    const it = o.watch(() => ({ host: undefined, observedGeneration: 4, fencingToken: 9 }))[Symbol.asyncIterator]();
    o.set(vm('b', 'Pending'));
    o.event({ name: 'vm-a', uid: 'a', type: 'Started', reason: 'Started', message: 'domain started' }, Date.UTC(2026, 0, 1));
    o.remove('a', 'hvs-a');
    const got: SequencedChange[] = [];
    for (let i = 0; i < 4; i++) got.push((await it.next()).value as SequencedChange);
    await it.return?.();
    expect(got[0]).toEqual({ sequence: 1, change: { type: 'snapshot', snapshot: { host: undefined, vms: [vm('a')], observedGeneration: 4, unmanagedDomains: ['legacy-db'], fencingToken: 9, networks: [], images: [] } } });
    expect(got.slice(1).map((c) => [c.sequence, c.change.type])).toEqual([[2, 'vm'], [3, 'vmEvent'], [4, 'vmRemoved']]);
    expect(got[2].change).toEqual({ type: 'vmEvent', event: { name: 'vm-a', uid: 'a', type: 'Started', reason: 'Started', message: 'domain started', time: '2026-01-01T00:00:00.000Z' } });
    o.close();
  });

  it('carries networks and images in the snapshot, publishes their changes once, and a removed network once with removed', async () => {
    const o = new ObservedState();
    const net = { network: 'lan', bridge: 'hvs-0123456789', ready: true, reason: 'Realised', message: '' };
    const img = { image: 'deb', phase: 'Downloading' as const, bytes: 5, totalBytes: 10, bytesPerSecond: 5, etaSeconds: 1, verified: false, digest: '', reason: 'Downloading', message: '' };
    o.setNetwork(net);
    o.setNetwork({ ...net });
    o.setImage(img);
    expect(o.sequence).toBe(2);
    const it = o.watch(() => ({ host: undefined, observedGeneration: 0, fencingToken: 0 }))[Symbol.asyncIterator]();
    o.removeNetwork('lan', 'hvs-0123456789');
    o.removeNetwork('lan', 'hvs-0123456789');
    const first = (await it.next()).value as SequencedChange;
    const second = (await it.next()).value as SequencedChange;
    await it.return?.();
    expect(first.change).toMatchObject({ type: 'snapshot', snapshot: { networks: [net], images: [img] } });
    expect(second).toEqual({ sequence: 3, change: { type: 'network', network: expect.objectContaining({ network: 'lan', removed: true, ready: false }) } });
    expect(o.sequence).toBe(3);
    expect(o.network('lan')).toBeUndefined();
    o.close();
  });

  it('publishes a VM only when it changed, and counts VMs per phase with every phase present', () => {
    const o = new ObservedState();
    o.set(vm('a'));
    o.set(vm('a'));
    o.set(vm('b', 'Failed'));
    expect(o.sequence).toBe(2);
    expect(o.countByPhase()).toEqual({ Pending: 0, Starting: 0, Running: 1, Stopping: 0, Stopped: 0, Failed: 1 });
    o.remove('zz', 'hvs-zz'); // not known: nothing published
    expect(o.sequence).toBe(2);
    o.close();
  });

  it('close() ends a subscription at once, a pending next() included (a cancelled Watch leaves no subscriber)', async () => {
    const o = new ObservedState();
    const w = o.watch(() => ({ host: undefined, observedGeneration: 0, fencingToken: 0 }));
    const it = w[Symbol.asyncIterator]();
    await it.next(); // the snapshot
    const pending = it.next();
    expect(o.subscribers()).toBe(1);
    await w.close();
    await expect(pending).resolves.toMatchObject({ done: true });
    expect(o.subscribers()).toBe(0);
    o.close();
  });
});
