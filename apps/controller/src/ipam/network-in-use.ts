/**
 * A Network is deleted only when no VM uses it: the agents would otherwise tear down a bridge
 * that running VMs are plugged into. Checked by ResourceService delete (single and batch).
 * A VM that is itself being deleted does not count: it has left its node's assignment already
 * (assignment-scope.ts), so its agent stops it and removes its domain whatever happens to the
 * Network, and `hvctl delete -f` of a file holding VMs and their Network works in one go.
 */
import { HvsError, type VirtualMachine } from '@hvs/domain';
import type { ObjectStore } from '../store/types';

/** The names of the VMs that use each Network, sorted. */
export function networkUsers(vms: readonly VirtualMachine[], networks: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const n of networks) {
    const users = vms.filter((vm) => !vm.metadata.deletionTimestamp && vm.spec.networks.some((nic) => nic.network === n)).map((vm) => vm.metadata.name).sort();
    if (users.length > 0) out.set(n, users);
  }
  return out;
}

/** Throws HVS-NET-IN-USE naming the VMs when any of `networks` is still used. */
export async function refuseNetworkInUse(store: ObjectStore, networks: readonly string[]): Promise<void> {
  const { items } = await store.list<VirtualMachine>('VirtualMachine');
  const users = networkUsers(items, networks);
  if (users.size === 0) return;
  const problems = [...users].map(([network, vms]) => ({
    code: 'HVS-NET-IN-USE', path: network,
    message: `Network ${network} is used by ${vms.length} VirtualMachine(s): ${vms.slice(0, 20).join(', ')}${vms.length > 20 ? ', ...' : ''}`,
    why: 'deleting it would tear down the bridge those VMs are plugged into on their nodes',
    fix: `delete those VMs or move their NICs to another Network first (\`hvctl delete vm ${vms.slice(0, 3).join(' ')}\`), then delete the Network`,
  }));
  throw new HvsError({ ...problems[0]!, category: 'FailedPrecondition', problems });
}
