// VM status from its agent's report (pure): the per-NIC interfaces follow the report like ips do.
import type { agentv1 } from '@hvs/proto';
import { statusFromObservation } from '../../src/dispatch/observed-status';
import { vmDoc } from '../runtime/fixtures';

const NOW = '2026-12-07T12:00:00Z';
const eth0: agentv1.InterfaceObserved = { name: 'eth0', mac: '52:54:00:ab:cd:ef', network: 'lan', ipv4: '10.88.0.100', ipv6: [], source: 'lease', dnsName: 'web.lan' };
const report = (interfaces: agentv1.InterfaceObserved[], ips: string[]): agentv1.VmObserved => ({
  name: 'web', uid: 'u-web', phase: 'Running', reason: 'Running', message: '', ips, node: 'a', observedGeneration: 1, pendingRestart: [], interfaces,
});

describe('statusFromObservation: interfaces', () => {
  const vm = vmDoc('web', { node: 'a', networks: ['lan'] });

  it('takes the reported interfaces and ips', () => {
    const s = statusFromObservation(vm, { node: 'a', uid: 'u-web', observed: report([eth0], ['10.88.0.100']) }, NOW);
    expect(s.interfaces).toStrictEqual([{ name: 'eth0', mac: '52:54:00:ab:cd:ef', network: 'lan', ipv4: '10.88.0.100', source: 'lease', dnsName: 'web.lan' }]);
    expect(s.ips).toStrictEqual(['10.88.0.100']);
  });

  it('drops them when the report has none, and when the agent no longer reports the VM', () => {
    const before = { ...vm, status: statusFromObservation(vm, { node: 'a', uid: 'u-web', observed: report([eth0], ['10.88.0.100']) }, NOW) };
    const empty = statusFromObservation(before, { node: 'a', uid: 'u-web', observed: report([], []) }, NOW);
    expect(empty).not.toHaveProperty('interfaces');
    expect(empty).not.toHaveProperty('ips');
    const gone = statusFromObservation(before, { node: 'a', uid: 'u-web', observed: undefined }, NOW);
    expect(gone).not.toHaveProperty('interfaces');
    expect(gone).not.toHaveProperty('ips');
  });

  it('is deep-equal to the current status when the same report comes again (the caller skips the write)', () => {
    const first = statusFromObservation(vm, { node: 'a', uid: 'u-web', observed: report([eth0], ['10.88.0.100']) }, NOW);
    const again = statusFromObservation({ ...vm, status: first }, { node: 'a', uid: 'u-web', observed: report([eth0], ['10.88.0.100']) }, '2026-12-07T12:00:10Z');
    expect(again).toStrictEqual(first);
  });
});
