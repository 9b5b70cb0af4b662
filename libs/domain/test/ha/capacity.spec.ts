import { capacityN1, formatCapacityN1, haRestartOrder, isHaVm } from '../../src/ha';
import { placementOf } from '../../src/scheduler';
import type { VirtualMachine } from '../../src/kinds/vm';
import { node, vm } from '../scheduler/fixtures';

function ha(name: string, priority?: number, o: Parameters<typeof vm>[1] = {}): VirtualMachine {
  const v = vm(name, o);
  return { ...v, spec: { ...v.spec, ha: { restartPolicy: 'Always', ...(priority !== undefined ? { priority } : {}) } } };
}

describe('haRestartOrder', () => {
  it('higher priority first, then by name; non-HA and restartPolicy Never left out; input untouched', () => {
    const never = { ...vm('n'), spec: { ...vm('n').spec, ha: { restartPolicy: 'Never' as const, priority: 999 } } };
    const input = [ha('b'), ha('a', 10), vm('plain'), never, ha('c', 10), ha('a0')];
    const copy = [...input];
    expect(haRestartOrder(input).map((v) => v.metadata.name)).toEqual(['a', 'c', 'a0', 'b']);
    expect(input).toEqual(copy);
    expect(isHaVm(never)).toBe(false);
  });
});

describe('capacityN1', () => {
  it('OK when each host\'s HA VMs fit on the others; says where each would go', () => {
    const nodes = [node('a', { cpus: 2, memoryGiB: 8 }), node('b', { cpus: 2, memoryGiB: 8 }), node('c', { cpus: 2, memoryGiB: 8 })];
    const vms = [ha('web', 0, { memory: '4GiB' }), ha('db', 0, { memory: '4GiB' })];
    const report = capacityN1(nodes, [placementOf(vms[0], 'a'), placementOf(vms[1], 'b')], vms);
    expect(report.ok).toBe(true);
    expect(report.hosts.map((h) => h.node)).toEqual(['a', 'b', 'c']);
    expect(report.hosts[0]).toEqual({ node: 'a', haVms: ['web'], placed: [{ vm: 'web', node: 'c' }], unplaced: [] });
    expect(report.hosts[2]).toEqual({ node: 'c', haVms: [], placed: [], unplaced: [] });
  });

  it('NOT OK when a host\'s HA VMs cannot all restart; priority decides who gets the room', () => {
    const nodes = [node('a', { memoryGiB: 8 }), node('b', { memoryGiB: 8 })];
    const low = ha('low', 1, { memory: '6GiB' });
    const high = ha('high', 100, { memory: '6GiB' });
    const report = capacityN1(nodes, [placementOf(low, 'a'), placementOf(high, 'a')], [low, high]);
    expect(report.ok).toBe(false);
    const a = report.hosts.find((h) => h.node === 'a')!;
    expect(a.haVms).toEqual(['high', 'low']);
    expect(a.placed).toEqual([{ vm: 'high', node: 'b' }]);
    expect(a.unplaced).toEqual([{ vm: 'low', reason: '0/1 node can run the VM: b: 2 GiB free < 6 GiB requested' }]);
    expect(formatCapacityN1(report)).toContain('low would NOT restart: 0/1 node can run the VM');
  });

  it('non-HA VMs of the dead host need no room; those staying elsewhere still count', () => {
    const nodes = [node('a', { memoryGiB: 8 }), node('b', { memoryGiB: 8 })];
    const plain = vm('plain', { memory: '8GiB' });
    const web = ha('web', 0, { memory: '6GiB' });
    const big = vm('big', { memory: '4GiB' });
    const report = capacityN1(nodes, [placementOf(plain, 'a'), placementOf(web, 'a'), placementOf(big, 'b')], [plain, web, big]);
    expect(report.hosts.find((h) => h.node === 'a')!.unplaced.map((u) => u.vm)).toEqual(['web']);
    expect(report.hosts.find((h) => h.node === 'b')!.haVms).toEqual([]);
  });

  it('a cordoned or not-Ready survivor does not help; a single host is never N+1 with HA VMs', () => {
    const web = ha('web');
    expect(capacityN1([node('a'), node('b', { cordoned: true })], [placementOf(web, 'a')], [web]).ok).toBe(false);
    expect(capacityN1([node('a'), node('b', { ready: 'Unknown' })], [placementOf(web, 'a')], [web]).ok).toBe(false);
    expect(capacityN1([node('a')], [placementOf(web, 'a')], [web]).ok).toBe(false);
    expect(capacityN1([node('a')], [], []).ok).toBe(true);
  });

  it('honours required anti-affinity on the survivors', () => {
    const db1 = ha('db1', 0, { labels: { app: 'db' }, placement: { antiAffinity: [{ labelSelector: { app: 'db' } }] } });
    const db2 = ha('db2', 0, { labels: { app: 'db' }, placement: { antiAffinity: [{ labelSelector: { app: 'db' } }] } });
    const report = capacityN1([node('a'), node('b')], [placementOf(db1, 'a'), placementOf(db2, 'b')], [db1, db2]);
    expect(report.ok).toBe(false);
    expect(report.hosts[0].unplaced[0].reason).toMatch(/anti-affinity/);
  });
});
