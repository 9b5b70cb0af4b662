import type { VirtualMachine } from '@hvs/domain';
import { networkUsers } from '../../src/ipam/network-in-use';

const vm = (name: string, networks: string[], deleting = false): VirtualMachine => ({
  apiVersion: 'hvs/v1', kind: 'VirtualMachine',
  metadata: { name, ...(deleting ? { deletionTimestamp: '2026-12-07T00:00:00Z' } : {}) },
  spec: { cpu: { cores: 1 }, memory: { size: '64MiB' }, disks: [], networks: networks.map((n, i) => ({ name: `eth${i}`, network: n })), runState: 'Running' },
});

describe('networkUsers (what keeps a Network from being deleted)', () => {
  it('names the VMs that use each Network, sorted; a VM being deleted no longer counts', () => {
    const users = networkUsers([vm('web-2', ['lan']), vm('web-1', ['lan', 'dmz']), vm('old', ['lan'], true), vm('db', ['dmz'], true)], ['lan', 'dmz', 'free']);
    expect([...users]).toEqual([['lan', ['web-1', 'web-2']], ['dmz', ['web-1']]]);
  });
});
