import { AuditService } from '../../src/audit';
import { NodeService, RESTARTED_AT_ANNOTATION, ResourceService, VmService, type NodeHeartbeats } from '../../src/services';
import { MemoryStore } from '../../src/store';
import { batch, seedLan, vmYaml } from './manifests';
import { asNode, asUser } from '../identity/as-user';

const ctx = asUser('bob');

/** Counts lease renewals (the real NodeLeases is covered against etcd in test/api). */
class CountingHeartbeats implements NodeHeartbeats {
  readonly ttlSeconds = 8;
  beats = 0;
  async heartbeat(): Promise<void> {
    this.beats++;
  }
}

describe('VmService', () => {
  it('stops and starts by name and selector with one result per VM, and restart bumps the annotation', async () => {
    const store = new MemoryStore();
    await seedLan(store);
    const audit = new AuditService(store);
    let now = new Date('2030-01-01T00:00:00Z');
    const vms = new VmService(store, audit, () => now);
    await new ResourceService(store, audit).apply([{ content: batch(vmYaml('a'), vmYaml('b'), vmYaml('c', { labels: { app: 'db' } })) }], {}, ctx);

    const stopped = await vms.stop({ labelSelector: 'app=web', names: ['ghost'] }, ctx);
    expect(stopped.map((r) => [r.name, r.ok, r.changed])).toEqual([['ghost', false, false], ['a', true, true], ['b', true, true]]);
    expect(stopped[0]!.error?.code).toBe('HVS-STORE-NOT-FOUND');
    const again = await vms.stop({ names: ['a'] }, ctx);
    expect(again[0]).toMatchObject({ ok: true, changed: false });
    const a = await store.get('VirtualMachine', 'a');
    expect(a.spec).toMatchObject({ runState: 'Stopped' });
    expect(a.metadata.generation).toBe(2);

    await vms.restart({ names: ['a'] }, ctx);
    now = new Date('2030-01-01T00:01:00Z');
    await vms.restart({ names: ['a'] }, ctx);
    const restarted = await store.get('VirtualMachine', 'a');
    expect(restarted.spec).toMatchObject({ runState: 'Running' });
    expect(restarted.metadata.annotations?.[RESTARTED_AT_ANNOTATION]).toBe('2030-01-01T00:01:00.000Z');
    const ops = (await audit.list({ name: 'a' })).records.map((r) => `${r.operation}:${r.result}`);
    expect(ops).toEqual(['restart:ok', 'restart:ok', 'stop:ok', 'apply:ok']);
  });

  it('re-applying the file after a restart keeps the system annotation (unchanged)', async () => {
    const store = new MemoryStore();
    await seedLan(store);
    const audit = new AuditService(store);
    const resources = new ResourceService(store, audit);
    await resources.apply([{ content: vmYaml('a') }], {}, ctx);
    await new VmService(store, audit).restart({ names: ['a'] }, ctx);
    const r = await resources.apply([{ content: vmYaml('a') }], {}, ctx);
    expect(r.results[0]!.action).toBe('unchanged');
  });
});

describe('NodeService', () => {
  it('registers a node (create, then update), renews the lease on every beat but writes lastHeartbeat only occasionally', async () => {
    const store = new MemoryStore();
    await seedLan(store);
    const audit = new AuditService(store);
    const leases = new CountingHeartbeats();
    let now = new Date('2030-01-01T00:00:00Z');
    const nodes = new NodeService(store, audit, leases, { clock: () => now, statusHeartbeatEveryMs: 60_000 });
    const facts = { capacity: { cpus: 8, memoryBytes: 16 * 2 ** 30 }, devices: [], pools: [], hypervisor: { mode: 'test' as const, uri: 'test:///default' }, agentVersion: '0.1.0' };
    const reg = await nodes.registerNode({ name: 'host-a', address: '10.0.0.1:7444', facts, labels: { zone: 'a' } }, asNode('host-a'));
    expect(reg.node.metadata.labels).toEqual({ zone: 'a' });
    expect(reg.node.status).toMatchObject({ capacity: facts.capacity, allocatable: facts.capacity, lastHeartbeat: '2030-01-01T00:00:00.000Z' });
    expect(reg.leaseTtlMs).toBe(8000);

    const rvAfterRegister = (await store.get('Node', 'host-a')).metadata.resourceVersion;
    for (let i = 1; i <= 5; i++) {
      now = new Date(now.getTime() + 2_000);
      expect((await nodes.heartbeat('host-a', asNode('host-a'))).statusWritten).toBe(false);
    }
    expect((await store.get('Node', 'host-a')).metadata.resourceVersion).toBe(rvAfterRegister);
    now = new Date(now.getTime() + 60_000);
    expect((await nodes.heartbeat('host-a', asNode('host-a'))).statusWritten).toBe(true);
    expect(leases.beats).toBe(7);
    expect((await store.get('Node', 'host-a')).status).toMatchObject({ lastHeartbeat: now.toISOString() });

    const moved = await nodes.registerNode({ name: 'host-a', address: '10.0.0.2:7444', facts, labels: { zone: 'b' } }, asNode('host-a'));
    expect(moved.node.spec).toEqual({ address: '10.0.0.2:7444' });
    expect(moved.node.metadata.labels).toEqual({ zone: 'a' });
  });

  it('cordons and uncordons (idempotent, audited); a heartbeat from an unknown node is NotFound', async () => {
    const store = new MemoryStore();
    await seedLan(store);
    const audit = new AuditService(store);
    const nodes = new NodeService(store, audit, new CountingHeartbeats());
    await nodes.registerNode({ name: 'host-a', address: '10.0.0.1:7444', facts: {} }, asNode('host-a'));
    expect((await nodes.cordon('host-a', ctx)).spec).toMatchObject({ cordoned: true });
    expect((await nodes.cordon('host-a', ctx)).metadata.generation).toBe(2);
    expect((await nodes.uncordon('host-a', ctx)).spec).toMatchObject({ cordoned: false });
    expect((await audit.list({ kind: 'Node' })).records.map((r) => r.operation)).toEqual(['uncordon', 'cordon', 'register']);
    await expect(nodes.heartbeat('ghost', asNode('ghost'))).rejects.toMatchObject({ code: 'HVS-STORE-NOT-FOUND' });
  });
});
