/** The VM clean-up check and the finalizer helpers, pure: every verdict from cached state alone. */
import type { Node, VirtualMachine } from '@hvs/domain';
import { vmHostCleanup } from '../../src/deletion';
import { finalizersFor, idleFinalizers, VM_HOST_CLEANUP } from '../../src/runtime';
import { nodeDoc, vmDoc } from '../runtime/fixtures';

const UID = '6f1c0000-0000-4000-8000-000000000001';

function vm(status?: VirtualMachine['status']): VirtualMachine {
  const v = vmDoc('web');
  return { ...v, metadata: { ...v.metadata, uid: UID, finalizers: [VM_HOST_CLEANUP], deletionTimestamp: '2026-12-07T07:00:00Z' }, ...(status ? { status } : {}) };
}

function check(v: VirtualMachine, nodes: Node[], confirmed: string[] = []) {
  const byName = new Map(nodes.map((n) => [n.metadata.name, n]));
  return vmHostCleanup({ nodes: byName, confirmations: { isConfirmed: (node, uid) => confirmed.includes(`${node}/${uid}`) } }).check(v);
}

describe('vmHostCleanup', () => {
  it('done for a VM bound to no node, and once its node confirmed; pending otherwise, saying why', () => {
    expect(check(vm(), [])).toMatchObject({ done: true });
    const bound = vm({ node: 'n1', phase: 'Running' });
    expect(check(bound, [nodeDoc('n1')], [`n1/${UID}`])).toMatchObject({ done: true, message: expect.stringContaining('node n1 confirmed') });
    expect(check(bound, [nodeDoc('n1')], [`n2/${UID}`])).toMatchObject({ done: false, reason: 'AwaitingNodeCleanup', message: expect.stringContaining(`domain hvs-${UID}`) });
    expect(check(bound, [nodeDoc('n1', { ready: false })])).toMatchObject({ done: false, reason: 'NodeNotReady', message: expect.stringContaining('hvctl delete vm web --force') });
    expect(check(bound, [])).toMatchObject({ done: false, reason: 'NodeGone' });
  });

  it('waits for a migration in flight even when the node already confirmed', () => {
    const moving = vm({ node: 'n1', phase: 'Migrating', migration: 'web-m1' });
    expect(check(moving, [nodeDoc('n1')], [`n1/${UID}`])).toMatchObject({ done: false, reason: 'MigrationInProgress', message: expect.stringContaining('web-m1') });
  });
});

describe('finalizers', () => {
  it('a new VM gets the host clean-up finalizer, other kinds none yet; it is idle while the VM is bound to no node', () => {
    expect(finalizersFor('VirtualMachine')).toEqual([VM_HOST_CLEANUP]);
    expect(finalizersFor('Network')).toEqual([]);
    expect(idleFinalizers(vm())).toEqual([VM_HOST_CLEANUP]);
    expect(idleFinalizers(vm({ node: 'n1', phase: 'Running' }))).toEqual([]);
    const other = { ...vm(), metadata: { ...vm().metadata, finalizers: ['example.com/keep', VM_HOST_CLEANUP] } };
    expect(idleFinalizers(other)).toEqual([VM_HOST_CLEANUP]);
  });
});
