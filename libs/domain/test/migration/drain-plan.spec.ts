import type { StoragePool } from '../../src/kinds/storage';
import { chooseTarget, decideMove, planDrain, placementsOf } from '../../src/migration';
import { node, vm } from '../scheduler/fixtures';
import type { Node, VirtualMachine } from '../../src';

const noPools = { get: () => undefined };
const shared: StoragePool = { apiVersion: 'hvs/v1', kind: 'StoragePool', metadata: { name: 'nfs' }, spec: { type: 'nfs', shared: true } };
const pools = { get: (n: string) => (n === 'nfs' ? shared : undefined) };

function on(v: VirtualMachine, n: string): VirtualMachine {
  return { ...v, status: { node: n, phase: 'Running' } };
}

function testDriver(n: Node): Node {
  return { ...n, status: { ...n.status, hypervisor: { mode: 'test', uri: 'test:///default' } } };
}

describe('decideMove', () => {
  it('a PCI passthrough device blocks any move', () => {
    const d = decideMove(vm('gpu', { hostdevs: [{ name: 'gpu0', pciAddress: '0000:01:00.0' }] }), { source: node('a'), pools: noPools });
    expect(d).toMatchObject({ ok: false, code: 'HVS-MIGRATION-PASSTHROUGH' });
    expect(!d.ok && d.reason).toMatch(/gpu0 \(0000:01:00.0\)/);
  });

  it('live with local disks copies them; with copy-storage off it is blocked; shared-pool disks need no copy', () => {
    expect(decideMove(vm('v'), { source: node('a'), pools: noPools })).toMatchObject({ ok: true, mode: 'live', copyStorage: true, localDisks: ['root'] });
    expect(decideMove(vm('v'), { source: node('a'), pools: noPools, copyStorage: false })).toMatchObject({ ok: false, code: 'HVS-MIGRATION-LOCAL-DISK' });
    expect(decideMove(vm('v', { disks: [{ name: 'root', pool: 'nfs', size: '1GiB' }] }), { source: node('a'), pools, copyStorage: false }))
      .toMatchObject({ ok: true, mode: 'live', copyStorage: false, localDisks: [] });
  });

  it('a test-driver source moves offline by default and refuses an explicit live move', () => {
    const src = testDriver(node('a'));
    const d = decideMove(vm('v', { disks: [] }), { source: src, pools: noPools });
    expect(d).toMatchObject({ ok: true, mode: 'offline', copyStorage: false });
    expect(d.ok && d.notes.join(' ')).toMatch(/cannot live-migrate/);
    expect(decideMove(vm('v'), { source: src, pools: noPools, mode: 'live' })).toMatchObject({ ok: false, code: 'HVS-MIGRATION-MODE-UNSUPPORTED' });
    const local = decideMove(vm('v'), { source: src, pools: noPools });
    expect(local.ok && local.notes.join(' ')).toMatch(/do not copy local disks \(root\).*out of scope/);
  });

  it('a stopped VM only changes placement', () => {
    const stopped = vm('v', { disks: [] });
    stopped.spec.runState = 'Stopped';
    expect(decideMove(stopped, { source: node('a'), pools: noPools })).toMatchObject({ ok: true, mode: 'offline', running: false });
  });
});

describe('chooseTarget', () => {
  const nodes = [node('a'), node('b'), node('c', { memoryGiB: 2 })];
  it('never picks the source; an explicit target is checked like a scheduling decision', () => {
    const v = on(vm('v', { memory: '4GiB' }), 'a');
    const r = chooseTarget(v, 'a', nodes, placementsOf([v]));
    expect(r).toMatchObject({ ok: true, node: 'b' });
    expect(chooseTarget(v, 'a', nodes, placementsOf([v]), 'c')).toMatchObject({ ok: false, reasons: [{ node: 'c', reason: '2 GiB free < 4 GiB requested' }] });
    expect(chooseTarget(v, 'a', nodes, [], 'a')).toMatchObject({ ok: false, reasons: [{ node: 'a', reason: 'is the node the VM runs on' }] });
    expect(chooseTarget(v, 'a', nodes, [], 'zz')).toMatchObject({ ok: false, reasons: [{ node: 'zz', reason: 'no such node' }] });
  });
});

describe('planDrain', () => {
  it('moves what can move, each decision seeing the previous ones, and lists what cannot and why', () => {
    const nodes = [node('a'), node('b', { memoryGiB: 8 }), node('c', { memoryGiB: 8 })];
    const vms = [
      on(vm('big', { memory: '6GiB', disks: [] }), 'a'),
      on(vm('mid', { memory: '6GiB', disks: [] }), 'a'),
      on(vm('huge', { memory: '16GiB', disks: [] }), 'a'),
      on(vm('gpu', { disks: [], hostdevs: [{ name: 'gpu0', pciAddress: '0000:01:00.0' }] }), 'a'),
      on(vm('elsewhere', { disks: [] }), 'b'),
    ];
    const plan = planDrain({ node: 'a', nodes, vms, pools: noPools });
    const by = Object.fromEntries(plan.items.map((i) => [i.vm, i]));
    expect(plan.items.map((i) => i.vm)).toEqual(['huge', 'big', 'mid', 'gpu']);
    expect(by.huge).toMatchObject({ action: 'blocked', code: 'HVS-MIGRATION-NO-TARGET' });
    expect(by.huge!.reason).toMatch(/^no capacity elsewhere: 0\/2 nodes can run the VM: b: .*; c: /);
    // b holds 'elsewhere' (4 GiB): big goes to c, then mid fits nowhere (b: 4 GiB free, c: 2 GiB free).
    expect(by.big).toMatchObject({ action: 'migrate', target: 'c', mode: 'live' });
    expect(by.mid).toMatchObject({ action: 'blocked' });
    expect(by.gpu).toMatchObject({ action: 'blocked', code: 'HVS-MIGRATION-PASSTHROUGH' });
    expect(plan).toMatchObject({ movable: 1, blocked: 3 });
    expect(by.big!.estimate?.downtimeMs).toBeGreaterThan(0);
  });

  it('honours required anti-affinity at the targets and is deterministic', () => {
    const db = (n: string) => vm(n, { labels: { app: 'db' }, disks: [], placement: { antiAffinity: [{ labelSelector: { app: 'db' }, required: true }] } });
    const nodes = [node('a'), node('b'), node('c')];
    const vms = [on(db('db-1'), 'a'), on(db('db-2'), 'b'), on(vm('web', { disks: [] }), 'a')];
    const plan = planDrain({ node: 'a', nodes, vms, pools: noPools });
    expect(plan.items.find((i) => i.vm === 'db-1')).toMatchObject({ action: 'migrate', target: 'c' });
    expect(planDrain({ node: 'a', nodes: [...nodes].reverse(), vms: [...vms].reverse(), pools: noPools })).toEqual(plan);
    const tight = planDrain({ node: 'a', nodes: [node('a'), node('b')], vms, pools: noPools });
    expect(tight.items.find((i) => i.vm === 'db-1')).toMatchObject({ action: 'blocked' });
    expect(tight.items.find((i) => i.vm === 'db-1')!.reason).toMatch(/anti-affinity/);
  });

  it('on a test-driver node every running VM moves offline, stopped ones are reassigned', () => {
    const nodes = [testDriver(node('a')), testDriver(node('b'))];
    const stopped = on(vm('off', { disks: [] }), 'a');
    stopped.spec.runState = 'Stopped';
    const plan = planDrain({ node: 'a', nodes, vms: [on(vm('run', { disks: [] }), 'a'), stopped], pools: noPools });
    expect(plan.items).toEqual([
      expect.objectContaining({ vm: 'off', action: 'reassign', target: 'b', mode: 'offline' }),
      expect.objectContaining({ vm: 'run', action: 'migrate', target: 'b', mode: 'offline' }),
    ]);
  });
});
