/**
 * IPAM and Network admission at apply, against real etcd through the ResourceService: the
 * reservation is written in the VM's transaction, kept across re-applies and node changes,
 * unique under racing applies, refused with a coded error (and nothing written) when taken or
 * exhausted, released when the NIC goes or the VM is removed; subnets defaulted and checked;
 * references checked at apply and plan; a Network in use cannot be deleted.
 */
import { HvsError, type Network, type VirtualMachine } from '@hvs/domain';
import { startEtcd, waitFor, type EtcdInstance } from '../../../../test/harness';
import { AuditService } from '../../src/audit';
import { IPAM_PREFIX, ReservationCache, ReservationSweeper, type ReservationValue } from '../../src/ipam';
import { ResourceService } from '../../src/services';
import { EtcdStore } from '../../src/store';
import { asUser } from '../identity/as-user';
import { nodeDoc, startInformer } from '../runtime/fixtures';

jest.setTimeout(30_000);

const ctx = asUser('ipam');
let etcd: EtcdInstance;
let store: EtcdStore;
let service: ResourceService;

beforeAll(async () => {
  etcd = await startEtcd();
});
afterAll(async () => {
  await etcd?.stop();
});
beforeEach(async () => {
  store = new EtcdStore({ endpoints: [etcd.endpoint], callTimeoutMs: 3_000 });
  // Each test starts from an empty keyspace.
  await store.connection.client.delete().all();
  service = new ResourceService(store, new AuditService(store));
});
afterEach(async () => {
  await store.close();
});

function net(name: string, spec: string): string {
  return `apiVersion: hvs/v1\nkind: Network\nmetadata:\n  name: ${name}\nspec:\n${spec.split('\n').map((l) => `  ${l}`).join('\n')}\n`;
}

interface Nic { name?: string; network: string; ip?: string; mac?: string }
function vm(name: string, nics: Nic[], extra = ''): string {
  const list = nics.map((n, i) => `    - name: ${n.name ?? `eth${i}`}\n      network: ${n.network}${n.ip ? `\n      ip: ${n.ip}` : ''}${n.mac ? `\n      mac: "${n.mac}"` : ''}`).join('\n');
  return `apiVersion: hvs/v1\nkind: VirtualMachine\nmetadata:\n  name: ${name}\nspec:\n  cpu:\n    cores: 1\n  memory:\n    size: 256MiB\n  disks: []\n${extra}  networks:${nics.length ? `\n${list}` : ' []'}\n`;
}

const LAN = net('lan', 'mode: nat\nsubnet: 10.10.0.0/24\ngateway: 10.10.0.1');
const apply = (...docs: string[]) => service.apply([{ content: docs.join('---\n') }], {}, ctx);

async function records(): Promise<Record<string, ReservationValue>> {
  const l = await store.listRecords<ReservationValue>(IPAM_PREFIX);
  return Object.fromEntries(l.records.map((r) => [r.key.slice(IPAM_PREFIX.length), r.value]));
}

async function refusal(p: Promise<unknown>): Promise<HvsError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof HvsError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}

async function exists(kind: string, name: string): Promise<boolean> {
  return (await store.getMany([{ kind, name }]))[0] !== undefined;
}

describe('reservations at apply', () => {
  it('reserves the lowest free address and a 52:54:00 MAC in the VM\'s transaction, and keeps both on re-apply and spec changes', async () => {
    const first = await apply(LAN, vm('web-1', [{ network: 'lan' }]));
    const uid = (await store.get<VirtualMachine>('VirtualMachine', 'web-1')).metadata.uid;
    const held = await records();
    expect(Object.keys(held)).toEqual(['lan/10.10.0.2']);
    expect(held['lan/10.10.0.2']).toEqual({ vm: 'web-1', vmUid: uid, nic: 'eth0', mac: expect.stringMatching(/^52:54:00(:[0-9a-f]{2}){3}$/) });
    // One transaction: the VM and its reservation carry the same revision.
    const rec = (await store.listRecords(IPAM_PREFIX)).records[0]!;
    expect(rec.version).toBe(first.resourceVersion);

    expect((await apply(LAN, vm('web-1', [{ network: 'lan' }]))).results.map((r) => r.action)).toEqual(['unchanged', 'unchanged']);
    await apply(vm('web-1', [{ network: 'lan' }]).replace('256MiB', '512MiB'));
    await apply(vm('web-2', [{ network: 'lan' }]));
    expect(await records()).toEqual({ 'lan/10.10.0.2': held['lan/10.10.0.2'], 'lan/10.10.0.3': expect.objectContaining({ vm: 'web-2', nic: 'eth0' }) });
  });

  it('keeps the address when the VM changes node (migration, HA restart): reservations belong to the VM', async () => {
    await apply(LAN, vm('web-1', [{ network: 'lan' }]));
    const before = await records();
    const v = await store.get<VirtualMachine>('VirtualMachine', 'web-1');
    await store.updateStatus({ ...v, status: { node: 'node-a', phase: 'Running' } });
    const moved = await store.get<VirtualMachine>('VirtualMachine', 'web-1');
    await store.updateStatus({ ...moved, status: { node: 'node-b', phase: 'Running' } });
    await apply(vm('web-1', [{ network: 'lan' }]));
    expect(await records()).toEqual(before);
  });

  it('honours spec.ip and spec.mac; a taken address is HVS-NET-ADDRESS-TAKEN naming the holder and nothing is written', async () => {
    await apply(LAN, vm('web-1', [{ network: 'lan', ip: '10.10.0.50', mac: '52:54:00:aa:bb:cc' }]));
    expect(await records()).toEqual({ 'lan/10.10.0.50': expect.objectContaining({ vm: 'web-1', mac: '52:54:00:aa:bb:cc' }) });
    const e = await refusal(apply(vm('web-2', [{ network: 'lan', ip: '10.10.0.50' }])));
    expect(e.code).toBe('HVS-NET-ADDRESS-TAKEN');
    expect(e.message).toMatch(/web-1 \(NIC eth0\)/);
    expect(e.problems[0]!.path).toBe('spec.networks[0].ip');
    expect(await exists('VirtualMachine', 'web-2')).toBe(false);
    for (const bad of ['10.10.0.1', '10.10.0.255', '10.10.1.7']) {
      expect((await refusal(apply(vm('web-3', [{ network: 'lan', ip: bad }])))).code).toBe('HVS-NET-ADDRESS-INVALID');
    }
    // Moving to another address releases the old one in the same transaction.
    await apply(vm('web-1', [{ network: 'lan', ip: '10.10.0.51', mac: '52:54:00:aa:bb:cc' }]));
    expect(Object.keys(await records())).toEqual(['lan/10.10.0.51']);
  });

  it('two applies racing for addresses never both win: free picks end distinct, the same spec.ip goes to exactly one', async () => {
    await apply(LAN);
    const other = new ResourceService(store, new AuditService(store));
    await Promise.all([apply(vm('a-1', [{ network: 'lan' }])), other.apply([{ content: vm('a-2', [{ network: 'lan' }]) }], {}, ctx)]);
    expect(Object.keys(await records()).sort()).toEqual(['lan/10.10.0.2', 'lan/10.10.0.3']);
    const outcomes = await Promise.allSettled([
      apply(vm('b-1', [{ network: 'lan', ip: '10.10.0.9' }])),
      other.apply([{ content: vm('b-2', [{ network: 'lan', ip: '10.10.0.9' }]) }], {}, ctx),
    ]);
    const failed = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(failed).toHaveLength(1);
    expect((failed[0]!.reason as HvsError).code).toBe('HVS-NET-ADDRESS-TAKEN');
    expect(Number(await exists('VirtualMachine', 'b-1')) + Number(await exists('VirtualMachine', 'b-2'))).toBe(1);
  });

  it('an exhausted range is HVS-NET-RANGE-EXHAUSTED (what, why, fix) and writes nothing', async () => {
    await apply(net('tiny', 'mode: isolated\nsubnet: 10.20.0.0/24\ngateway: 10.20.0.1\ndhcp:\n  start: 10.20.0.10\n  end: 10.20.0.11'));
    await apply(vm('t-1', [{ network: 'tiny' }]), vm('t-2', [{ network: 'tiny' }]));
    const e = await refusal(apply(vm('t-3', [{ network: 'tiny' }])));
    expect(e.code).toBe('HVS-NET-RANGE-EXHAUSTED');
    expect(e.category).toBe('ResourceExhausted');
    expect(e.fix).toMatch(/widen the range/);
    expect(await exists('VirtualMachine', 't-3')).toBe(false);
    expect(Object.keys(await records()).sort()).toEqual(['tiny/10.20.0.10', 'tiny/10.20.0.11']);
  });

  it('bridge Networks get a MAC record only, stable across re-applies', async () => {
    await apply(net('uplink', 'mode: bridge\nbridge: br0'), vm('b-1', [{ network: 'uplink' }]));
    const uid = (await store.get('VirtualMachine', 'b-1')).metadata.uid!;
    const first = await records();
    expect(Object.keys(first)).toEqual([`uplink/mac/${uid}/eth0`]);
    await apply(vm('b-1', [{ network: 'uplink' }]).replace('256MiB', '1GiB'));
    expect(await records()).toEqual(first);
  });

  it('releases a removed or moved NIC in the same apply, and every reservation once the VM object is removed', async () => {
    await apply(LAN, net('lab', 'mode: nat\nsubnet: 10.30.0.0/24'), vm('web-1', [{ network: 'lan' }, { network: 'lan' }]));
    expect(Object.keys(await records()).sort()).toEqual(['lan/10.10.0.2', 'lan/10.10.0.3']);
    await apply(vm('web-1', [{ network: 'lab' }]));
    expect(Object.keys(await records())).toEqual(['lab/10.30.0.2']);

    const vms = await startInformer<VirtualMachine>(store, 'VirtualMachine');
    const cache = new ReservationCache(store);
    await cache.start();
    const sweeper = new ReservationSweeper({ store, vms, reservations: cache });
    sweeper.start();
    try {
      await service.delete('vm', 'web-1', {}, ctx);
      await waitFor(async () => Object.keys(await records()).length === 0, { what: 'the reservation of the deleted VM released' });
    } finally {
      await sweeper.stop();
      await cache.stop();
      await vms.stop();
    }
  });
});

describe('Network admission', () => {
  it('defaults a missing subnet to a free /24 of 10.88-10.99 with its first host as gateway, and keeps it on re-apply', async () => {
    await apply(net('auto-a', 'mode: nat'), net('auto-b', 'mode: isolated'));
    const a = await store.get<Network>('Network', 'auto-a');
    const b = await store.get<Network>('Network', 'auto-b');
    expect([a.spec.subnet, a.spec.gateway, b.spec.subnet, b.spec.gateway]).toEqual(['10.88.0.0/24', '10.88.0.1', '10.88.1.0/24', '10.88.1.1']);
    expect((await apply(net('auto-a', 'mode: nat'))).results[0]!.action).toBe('unchanged');
    // A subnet another Network takes explicitly is skipped.
    await apply(net('manual', 'mode: nat\nsubnet: 10.88.2.0/24'), net('auto-c', 'mode: vxlan\nvxlan:\n  vni: 7'));
    expect((await store.get<Network>('Network', 'auto-c')).spec.subnet).toBe('10.88.3.0/24');
  });

  it('refuses overlapping subnets (store or batch) and host routes naming the other side; nothing is written', async () => {
    await apply(LAN);
    let e = await refusal(apply(net('half', 'mode: nat\nsubnet: 10.10.0.128/25'), vm('h-1', [{ network: 'half' }])));
    expect(e.code).toBe('HVS-NET-SUBNET-OVERLAP');
    expect(e.message).toMatch(/Network lan \(10\.10\.0\.0\/24\)/);
    expect(await exists('Network', 'half')).toBe(false);
    expect(await exists('VirtualMachine', 'h-1')).toBe(false);
    e = await refusal(apply(net('x', 'mode: nat\nsubnet: 10.40.0.0/16'), net('y', 'mode: isolated\nsubnet: 10.40.3.0/24')));
    expect(e.code).toBe('HVS-NET-SUBNET-OVERLAP');

    const node = nodeDoc('node-a');
    await store.create({ ...node, status: { ...node.status, ipv4Routes: ['0.0.0.0/0', '192.168.1.0/24', '192.168.1.7/32'] } });
    e = await refusal(apply(net('home', 'mode: nat\nsubnet: 192.168.0.0/16')));
    expect(e.code).toBe('HVS-NET-SUBNET-HOST-CONFLICT');
    expect(e.message).toMatch(/192\.168\.1\.0\/24 on node node-a/);
    expect(await exists('Network', 'home')).toBe(false);
    // The default route does not count: an unrelated subnet is fine.
    await apply(net('fine', 'mode: nat\nsubnet: 10.50.0.0/24'));
  });

  it('refuses a new subnet while VMs hold addresses, and deleting a Network a VM uses (naming the VMs)', async () => {
    await apply(LAN, vm('web-1', [{ network: 'lan' }]), vm('web-2', [{ network: 'lan' }]));
    const e = await refusal(apply(net('lan', 'mode: nat\nsubnet: 10.11.0.0/24\ngateway: 10.11.0.1')));
    expect(e.code).toBe('HVS-NET-SUBNET-IN-USE');
    const d = await refusal(service.delete('network', 'lan', {}, ctx));
    expect(d.code).toBe('HVS-NET-IN-USE');
    expect(d.message).toMatch(/web-1, web-2/);
    expect((await refusal(service.deleteMany('network', { names: ['lan'] }, {}, ctx))).code).toBe('HVS-NET-IN-USE');
    expect(await exists('Network', 'lan')).toBe(true);
    await service.delete('vm', 'web-1', {}, ctx);
    await service.delete('vm', 'web-2', {}, ctx);
    await service.delete('network', 'lan', {}, ctx);
    expect(await exists('Network', 'lan')).toBe(false);
  });
});

describe('references', () => {
  it('a VM naming a missing Network, Image or pool is refused at apply and plan with HVS-VM-REFERENCE-MISSING (path, did-you-mean)', async () => {
    await apply(LAN);
    const bad = vm('r-1', [{ network: 'lann' }]).replace('  disks: []\n', '  disks:\n    - name: os\n      image: debian-12\n      pool: fast\n');
    for (const attempt of [() => apply(bad), () => service.plan([{ content: bad }], {}, ctx)]) {
      const e = await refusal(attempt());
      expect(e.code).toBe('HVS-VM-REFERENCE-MISSING');
      expect(e.problems.map((p) => p.path)).toEqual(['spec.networks[0].network', 'spec.disks[0].image', 'spec.disks[0].pool']);
      expect(e.problems[0]!.message).toMatch(/did you mean "lan"/);
      expect(e.problems[0]!.fix).toMatch(/hvctl get networks/);
    }
    expect(await exists('VirtualMachine', 'r-1')).toBe(false);
    // In the same batch, or reported by a node: accepted.
    const image = 'apiVersion: hvs/v1\nkind: Image\nmetadata:\n  name: debian-12\nspec:\n  source:\n    upload: true\n  sha256: ' + 'a'.repeat(64) + '\n  format: qcow2\n';
    const node = nodeDoc('node-a');
    await store.create({ ...node, status: { ...node.status, pools: [{ name: 'fast' }] } });
    await apply(image, bad.replace('network: lann', 'network: lan'));
    expect(await exists('VirtualMachine', 'r-1')).toBe(true);
  });
});
