import type { Migration, VirtualMachine } from '../../src';
import { chooseTarget, occupiedPlacements, planDrain, reservationKey, reservationOf, reservationsOf } from '../../src/migration';
import { node, vm } from '../scheduler/fixtures';

const noPools = { get: () => undefined };

function on(v: VirtualMachine, n: string): VirtualMachine {
  return { ...v, status: { node: n, phase: 'Running' } };
}

function migration(name: string, v: string, target: string | undefined, phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed', statusTarget?: string): Migration {
  return {
    apiVersion: 'hvs/v1', kind: 'Migration', metadata: { name },
    spec: { vm: v, mode: 'live', ...(target ? { targetNode: target } : {}) },
    ...(phase || statusTarget ? { status: { ...(phase ? { phase } : {}), ...(statusTarget ? { targetNode: statusTarget } : {}) } } : {}),
  };
}

describe('reservationOf', () => {
  const web = on(vm('web', { memory: '6GiB', disks: [] }), 'a');

  it('a Pending or Running migration holds the VM\'s size on its target under its own key', () => {
    for (const phase of [undefined, 'Pending', 'Running'] as const) {
      expect(reservationOf(migration('m1', 'web', 'b', phase), web)).toMatchObject({ vm: reservationKey('m1'), node: 'b', cpus: 2, memoryBytes: 6 * 1024 ** 3 });
    }
    // The target the reconciler admitted with wins over the one asked for.
    expect(reservationOf(migration('m1', 'web', undefined, 'Running', 'c'), web)?.node).toBe('c');
  });

  it('holds nothing once ended, without a target, for a missing or deleting VM, or once the VM is bound to the target', () => {
    expect(reservationOf(migration('m1', 'web', 'b', 'Succeeded'), web)).toBeUndefined();
    expect(reservationOf(migration('m1', 'web', 'b', 'Failed'), web)).toBeUndefined();
    expect(reservationOf(migration('m1', 'web', undefined, 'Pending'), web)).toBeUndefined();
    expect(reservationOf(migration('m1', 'web', 'b', 'Running'), undefined)).toBeUndefined();
    expect(reservationOf(migration('m1', 'web', 'b', 'Running'), { ...web, metadata: { ...web.metadata, deletionTimestamp: '2026-01-01T00:00:00Z' } })).toBeUndefined();
    expect(reservationOf(migration('m1', 'web', 'b', 'Running'), on(web, 'b'))).toBeUndefined(); // offline move after the flip
    expect(reservationOf(migration('m1', 'other', 'b', 'Running'), web)).toBeUndefined();
  });
});

describe('capacity with reservations', () => {
  // a and b: 8 GiB each. web (6 GiB) is moving a -> b.
  const nodes = [node('a', { memoryGiB: 8 }), node('b', { memoryGiB: 8 })];
  const web = on(vm('web', { memory: '6GiB', disks: [] }), 'a');
  const db = on(vm('db', { memory: '6GiB', disks: [] }), 'c');
  const m1 = migration('m1', 'web', 'b', 'Running');

  it('a second migration to the same node sees the first one\'s reservation; the first one does not see its own', () => {
    const all = [web, db];
    expect(chooseTarget(db, 'c', nodes, occupiedPlacements(all), 'b')).toMatchObject({ ok: true, node: 'b' });
    expect(chooseTarget(db, 'c', nodes, occupiedPlacements(all, [m1]), 'b')).toMatchObject({ ok: false, reasons: [{ node: 'b', reason: '2 GiB free < 6 GiB requested' }] });
    expect(chooseTarget(web, 'a', nodes, occupiedPlacements(all, [m1], 'm1'), 'b')).toMatchObject({ ok: true, node: 'b' });
    expect(reservationsOf([m1, migration('m2', 'db', 'b', 'Failed')], all)).toHaveLength(1);
  });

  it('a drain plan counts the reservations of migrations in flight', () => {
    const nodesC = [...nodes, node('c', { memoryGiB: 8 })];
    const free = planDrain({ node: 'c', nodes: nodesC, vms: [web, db], pools: noPools });
    expect(free.items[0]).toMatchObject({ vm: 'db', action: 'migrate', target: 'b' });
    const held = planDrain({ node: 'c', nodes: nodesC, vms: [web, db], pools: noPools, migrations: [m1] });
    expect(held.items[0]).toMatchObject({ vm: 'db', action: 'blocked', code: 'HVS-MIGRATION-NO-TARGET' });
  });
});

describe('a cache that lags', () => {
  it('a Succeeded Migration whose VM still points at it (the flip not seen yet) keeps its reservation; after the flip it holds none', () => {
    const moving = { ...vm('web', { memory: '6GiB', disks: [] }), status: { node: 'a', phase: 'Running' as const, migration: 'm1' } };
    expect(reservationOf(migration('m1', 'web', 'b', 'Succeeded'), moving)?.node).toBe('b');
    expect(reservationOf(migration('m1', 'web', 'b', 'Failed'), moving)).toBeUndefined();
    expect(reservationOf(migration('m1', 'web', 'b', 'Succeeded'), { ...moving, status: { node: 'b', phase: 'Running' } })).toBeUndefined();
  });
});
