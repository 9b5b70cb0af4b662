import { schedule, type Placement, type Unschedulable } from '../../src/scheduler';
import { GiB, node, vm } from './fixtures';

/** The reason `host` gets when `v` is scheduled onto exactly these nodes. */
function reasonsOf(result: ReturnType<typeof schedule>): Record<string, string> {
  expect(result.ok).toBe(false);
  return Object.fromEntries((result as Unschedulable).reasons.map((r) => [r.node, r.reason]));
}

function p(vmName: string, nodeName: string, o: Partial<Placement> = {}): Placement {
  return { vm: vmName, node: nodeName, cpus: 2, memoryBytes: 4 * GiB, labels: {}, ...o };
}

describe('node filters (the node takes no VM at all)', () => {
  it('Ready must be True; Unknown, False (with its reason) and a missing condition are named', () => {
    const r = reasonsOf(
      schedule(vm('web'), [
        node('a', { ready: 'Unknown' }),
        node('b', { ready: 'False', readyReason: 'AgentDown' }),
        node('c', { ready: 'missing' }),
      ], []),
    );
    expect(r).toEqual({ a: 'not Ready (Unknown)', b: 'not Ready (False: AgentDown)', c: 'not Ready (no Ready condition reported)' });
  });

  it('cordoned and maintenance nodes are skipped; a node without capacity too', () => {
    const r = reasonsOf(schedule(vm('web'), [node('a', { cordoned: true }), node('b', { maintenance: true }), node('c', { noCapacity: true })], []));
    expect(r).toEqual({ a: 'cordoned', b: 'in maintenance', c: 'no capacity reported' });
  });

  it('Ready is checked before cordon: the first failing filter gives the one reason', () => {
    expect(reasonsOf(schedule(vm('web'), [node('a', { ready: 'Unknown', cordoned: true })], []))).toEqual({ a: 'not Ready (Unknown)' });
  });
});

describe('resource filters', () => {
  it('memory: free = capacity * overcommit.memory (default 1.0) - placed, reason in human units', () => {
    const r = reasonsOf(schedule(vm('big', { memory: '4GiB' }), [node('host-b', { memoryGiB: 8 })], [p('x', 'host-b', { memoryBytes: 4.5 * GiB })]));
    expect(r['host-b']).toBe('3.5 GiB free < 4 GiB requested');
  });

  it('memory: precision grows so free and requested never read the same', () => {
    const near = reasonsOf(schedule(vm('v', { memory: '4GiB' }), [node('a', { memoryGiB: 8 })], [p('x', 'a', { memoryBytes: 4.05 * GiB })]));
    expect(near.a).toBe('3.95 GiB free < 4 GiB requested');
    const byte = reasonsOf(schedule(vm('v', { memory: '4GiB' }), [node('a', { memoryGiB: 8 })], [p('x', 'a', { memoryBytes: 4 * GiB + 1 })]));
    expect(byte.a).toBe('4294967295 B free < 4294967296 B requested');
  });

  it('memory overcommit ratio and allocatable (when reported) set the limit', () => {
    const nodes = [node('a', { memoryGiB: 8, overcommit: { memory: 1.5 } }), node('b', { memoryGiB: 64, allocatable: { cpus: 8, memoryBytes: 6 * GiB } })];
    const res = schedule(vm('v', { memory: '10GiB' }), nodes, []);
    expect(res).toMatchObject({ ok: true, node: 'a' });
    expect(reasonsOf(schedule(vm('v', { memory: '13GiB' }), nodes, []))).toEqual({ a: '12 GiB free < 13 GiB requested', b: '6 GiB free < 13 GiB requested' });
  });

  it('cpu: vCPUs = sockets*cores*threads against cpus * overcommit.cpu (default 4)', () => {
    const v = vm('v');
    v.spec.cpu = { sockets: 2, cores: 4, threads: 2 }; // 16 vCPUs
    const nodes = [node('a', { cpus: 4 }), node('b', { cpus: 4, overcommit: { cpu: 2 } })];
    expect(schedule(v, nodes, [])).toMatchObject({ ok: true, node: 'a' });
    expect(reasonsOf(schedule(v, nodes, [p('x', 'a', { cpus: 1 })]))).toEqual({ a: '15 vCPUs free < 16 vCPUs requested', b: '8 vCPUs free < 16 vCPUs requested' });
  });

  it('a fractional overcommit never shows a free count that looks sufficient', () => {
    const r = reasonsOf(schedule(vm('v', { cores: 4 }), [node('a', { cpus: 3, overcommit: { cpu: 1.3 } })], []));
    expect(r.a).toBe('3.9 vCPUs free < 4 vCPUs requested');
  });

  it("a VM's own placement does not count against it (rescheduling)", () => {
    const nodes = [node('a', { memoryGiB: 4 })];
    expect(schedule(vm('v', { memory: '4GiB' }), nodes, [p('v', 'a', { memoryBytes: 4 * GiB })])).toMatchObject({ ok: true, node: 'a' });
  });
});

describe('nodeSelector', () => {
  it('needs every pair on the node labels and names the pairs that do not match', () => {
    const v = vm('v', { placement: { nodeSelector: { gpu: 'true', zone: 'a' } } });
    const nodes = [node('host-e', { labels: { gpu: 'false', zone: 'a' } }), node('host-f', { labels: {} }), node('host-g', { labels: { gpu: 'true', zone: 'a', x: 'y' } })];
    expect(schedule(v, nodes, [])).toMatchObject({ ok: true, node: 'host-g' });
    expect(reasonsOf(schedule(v, nodes.slice(0, 2), []))).toEqual({ 'host-e': 'node selector gpu=true does not match', 'host-f': 'node selector gpu=true,zone=a does not match' });
  });
});

describe('storage pools', () => {
  it("the VM's disk pools (default 'default') and a cdrom pool must be on the node; no pool list means only 'default'", () => {
    const v = vm('v', { disks: [{ name: 'root' }, { name: 'data', pool: 'fast' }], cdrom: { image: 'ubuntu', pool: 'isos' } });
    const nodes = [node('a'), node('b', { pools: ['default', 'fast'] }), node('c', { pools: ['default', 'fast', 'isos'] })];
    expect(schedule(v, nodes, [])).toMatchObject({ ok: true, node: 'c' });
    expect(reasonsOf(schedule(v, nodes.slice(0, 2), []))).toEqual({ a: 'storage pools fast, isos not present', b: 'storage pool isos not present' });
    expect(schedule(vm('w'), [node('a')], [])).toMatchObject({ ok: true });
    expect(reasonsOf(schedule(vm('w'), [node('a', { pools: ['other'] })], []))).toEqual({ a: 'storage pool default not present' });
  });
});

describe('hostdevs', () => {
  const gpu = (addr: string, id = '10de:2204') => ({ pciAddress: addr, vendorDevice: id });

  it('by PCI address: present, right vendor:device, and not used by another VM', () => {
    const v = vm('win', { hostdevs: [{ name: 'gpu', pciAddress: '0000:01:00.0', vendorDevice: '10de:2204' }] });
    const nodes = [node('a'), node('b', { devices: [gpu('0000:01:00.0', '10de:1111')] }), node('c', { devices: [gpu('0000:01:00.0')] }), node('d', { devices: [gpu('0000:01:00.0')] })];
    const used = [p('other', 'c', { hostdevs: ['0000:01:00.0'] })];
    expect(schedule(v, nodes, used)).toMatchObject({ ok: true, node: 'd', hostdevs: ['0000:01:00.0'] });
    expect(reasonsOf(schedule(v, nodes.slice(0, 3), used))).toEqual({
      a: 'device 0000:01:00.0 (gpu) not present',
      b: 'device 0000:01:00.0 (gpu) is 10de:1111, not 10de:2204',
      c: 'device 0000:01:00.0 (gpu) in use by other',
    });
  });

  it('by vendor:device: takes the lowest free address; two requests take two devices; case-insensitive', () => {
    const v = vm('ml', { hostdevs: [{ name: 'g1', vendorDevice: '10DE:2204' }, { name: 'g2', vendorDevice: '10de:2204' }] });
    const nodes = [node('a', { devices: [gpu('0000:03:00.0'), gpu('0000:02:00.0'), gpu('0000:01:00.0')] })];
    expect(schedule(v, nodes, [p('x', 'a', { hostdevs: ['0000:01:00.0'] })])).toMatchObject({ ok: true, hostdevs: ['0000:02:00.0', '0000:03:00.0'] });
    const r = reasonsOf(schedule(v, nodes, [p('x', 'a', { hostdevs: ['0000:01:00.0', '0000:02:00.0'] })]));
    expect(r.a).toBe('no free device 10de:2204 for g2 (3 present, all in use)');
    expect(reasonsOf(schedule(v, [node('b')], []))).toEqual({ b: 'no free device 10de:2204 for g1 (none present)' });
  });

  it('an address request is served before a vendor-only one, so the vendor one cannot steal it; result in spec order', () => {
    const v = vm('ml', { hostdevs: [{ name: 'any', vendorDevice: '10de:2204' }, { name: 'pinned', pciAddress: '0000:01:00.0' }] });
    const res = schedule(v, [node('a', { devices: [gpu('0000:01:00.0'), gpu('0000:02:00.0')] })], []);
    expect(res).toMatchObject({ ok: true, hostdevs: ['0000:02:00.0', '0000:01:00.0'] });
  });
});

describe('required anti-affinity', () => {
  it('refuses a node running a VM that matches, naming it (the first by name)', () => {
    const v = vm('db-2', { labels: { app: 'db' }, placement: { antiAffinity: [{ labelSelector: { app: 'db' } }] } });
    const placed = [p('db-9', 'host-f', { labels: { app: 'db' } }), p('db-1', 'host-f', { labels: { app: 'db', tier: 'x' } }), p('web', 'host-g', { labels: { app: 'web' } })];
    const r = schedule(v, [node('host-f'), node('host-g')], placed);
    expect(r).toMatchObject({ ok: true, node: 'host-g' });
    expect(reasonsOf(schedule(v, [node('host-f')], placed))).toEqual({ 'host-f': 'anti-affinity: runs db-1 with app=db' });
  });

  it('is symmetric when the placed VM carries its own rule', () => {
    const placed = [p('db-1', 'a', { labels: { app: 'db' }, antiAffinity: [{ app: 'db' }] })];
    expect(reasonsOf(schedule(vm('db-2', { labels: { app: 'db' } }), [node('a')], placed))).toEqual({ a: 'anti-affinity: runs db-1, which refuses app=db' });
    expect(schedule(vm('web', { labels: { app: 'web' } }), [node('a')], placed)).toMatchObject({ ok: true });
  });

  it('a preferred (required: false) term does not filter', () => {
    const v = vm('db-2', { labels: { app: 'db' }, placement: { antiAffinity: [{ labelSelector: { app: 'db' }, required: false }] } });
    expect(schedule(v, [node('a')], [p('db-1', 'a', { labels: { app: 'db' } })])).toMatchObject({ ok: true, node: 'a' });
  });
});
