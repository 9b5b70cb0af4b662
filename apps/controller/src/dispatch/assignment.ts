/**
 * What one node's agent is told to run: the full desired set (DESIGN §1: level-triggered,
 * never deltas). Pure: built from cached objects, deterministic (sorted by name), and free of
 * status and resourceVersion, so a status write alone never changes an assignment and never
 * causes a re-send.
 */
import { createHash } from 'node:crypto';
import type { FirewallPolicy, Image, Network, StoragePool, VirtualMachine } from '@hvs/domain';
import { agentv1, toProtoObject } from '@hvs/proto';
import type { StoredObject } from '../store/types';

export interface AssignmentInputs {
  node: string;
  /** VMs whose status.node is `node` (deleting ones are left out here). */
  vms: readonly VirtualMachine[];
  networks: { get(name: string): Network | undefined };
  images: { get(name: string): Image | undefined };
  storagePools: { get(name: string): StoragePool | undefined };
  firewallPolicies: readonly FirewallPolicy[];
  peers: readonly agentv1.Peer[];
  fenceAfterMs?: number;
}

/** The assignment without generation and fencing token, and a hash of its content. */
export interface Assignment {
  request: Omit<agentv1.AssignRequest, 'generation' | 'fencingToken'>;
  /** sha256 of the content: equal hashes mean nothing to re-send. */
  hash: string;
  vmNames: string[];
}

function byName<T extends StoredObject>(a: T, b: T): number {
  return a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;
}

/** The object as the agent gets it: spec and identity, no status, no resourceVersion. */
export function desiredOnly(o: StoredObject): StoredObject {
  const { resourceVersion: _rv, ...metadata } = o.metadata;
  return { apiVersion: o.apiVersion, kind: o.kind, metadata, spec: o.spec };
}

function matches(selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

export function buildAssignment(input: AssignmentInputs): Assignment {
  const vms = input.vms.filter((vm) => !vm.metadata.deletionTimestamp).sort(byName);
  const networks = new Map<string, StoredObject>();
  const images = new Map<string, StoredObject>();
  const pools = new Map<string, StoredObject>();
  const policies = new Map<string, StoredObject>();
  const policyByName = new Map(input.firewallPolicies.map((p) => [p.metadata.name, p]));
  const assignments: agentv1.VmAssignment[] = vms.map((vm) => {
    for (const nic of vm.spec.networks) {
      const n = input.networks.get(nic.network);
      if (n) networks.set(n.metadata.name, desiredOnly(n));
    }
    for (const image of [...vm.spec.disks.map((d) => d.image), vm.spec.cdrom?.image]) {
      const i = image ? input.images.get(image) : undefined;
      if (i) images.set(i.metadata.name, desiredOnly(i));
    }
    for (const pool of [...vm.spec.disks.map((d) => d.pool ?? 'default'), vm.spec.cdrom?.pool]) {
      const p = pool ? input.storagePools.get(pool) : undefined;
      if (p) pools.set(p.metadata.name, desiredOnly(p));
    }
    const names = new Set<string>();
    for (const p of input.firewallPolicies) if (matches(p.spec.selector, vm.metadata.labels)) names.add(p.metadata.name);
    for (const nic of vm.spec.networks) for (const n of nic.firewall?.policies ?? []) if (policyByName.has(n)) names.add(n);
    for (const n of names) policies.set(n, desiredOnly(policyByName.get(n)!));
    // Secret references (cloudInit.secretRefs) are resolved when the Secret store lands (issue #6).
    return { vm: toProtoObject(desiredOnly(vm)), secrets: {}, firewallPolicies: [...names].sort() };
  });
  const sorted = (m: Map<string, StoredObject>) => [...m.values()].sort(byName).map((o) => toProtoObject(o));
  const request: Assignment['request'] = {
    node: input.node,
    vms: assignments,
    networks: sorted(networks),
    firewallPolicies: sorted(policies),
    images: sorted(images),
    storagePools: sorted(pools),
    peers: [...input.peers].sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0)),
    fenceAfterMs: input.fenceAfterMs ?? 0,
  };
  // Over the protobuf bytes (deterministic: fields in order, lists sorted above), not a JSON
  // text of the request: that would turn every spec, already JSON in specJson, into text again.
  const hash = createHash('sha256').update(agentv1.AssignRequest.encode({ ...request, generation: 0, fencingToken: 0 }).finish()).digest('hex');
  return { request, hash, vmNames: vms.map((v) => v.metadata.name) };
}
