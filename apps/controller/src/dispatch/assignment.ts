/**
 * What one node's agent is told to run: the full desired set (DESIGN §1: level-triggered,
 * never deltas). Pure: built from cached objects, deterministic (sorted by name), and free of
 * status and resourceVersion, so a status write alone never changes an assignment and never
 * causes a re-send.
 */
import { createHash } from 'node:crypto';
import type { Image, Network, Secret, VirtualMachine } from '@hvs/domain';
import { agentv1, toProtoObject } from '@hvs/proto';
import type { StoredObject } from '../store/types';
import { imagesOf, type NodeScope } from './assignment-scope';
import { networkBindingsOf, nicBindingsOf, withReservedMacs } from './network-bindings';

export interface AssignmentInputs {
  node: string;
  /** What this node needs (assignment-scope.ts): its VMs and the Networks they use. */
  scope: NodeScope;
  peers: readonly agentv1.Peer[];
  fenceAfterMs?: number;
  /** This node's spec.address (its host part is the VXLAN tunnel endpoint). */
  address?: string;
}

/** The assignment without generation and fencing token, and a hash of its content. */
export interface Assignment {
  request: Omit<agentv1.AssignRequest, 'generation' | 'fencingToken'>;
  /** sha256 of the content: equal hashes mean nothing to re-send. */
  hash: string;
  vmNames: string[];
}

/** The object as the agent gets it: spec and identity, no status, no resourceVersion. */
export function desiredOnly(o: StoredObject): StoredObject {
  const { resourceVersion: _rv, ...metadata } = o.metadata;
  return { apiVersion: o.apiVersion, kind: o.kind, metadata, spec: o.spec };
}

const toProto = (o: StoredObject) => toProtoObject(desiredOnly(o));

/**
 * The values of a VM's `cloudInit.secretRefs`, as `<secret>/<key>` -> bytes: the one place they
 * leave the controller, inside this node's own mTLS Assign (never logged: see
 * observability/logger.ts). Insertion order is sorted, so the content hash is deterministic.
 */
export function resolvedSecrets(vm: VirtualMachine, secrets: ReadonlyMap<string, Secret>): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const ref of [...new Set(vm.spec.cloudInit?.secretRefs ?? [])].sort()) {
    const data = secrets.get(ref)?.spec.data ?? {};
    for (const key of Object.keys(data).sort()) out[`${ref}/${key}`] = Buffer.from(data[key]!, 'utf8');
  }
  return out;
}

/**
 * The digest each Image the VM uses must have: `sha256:<hex>` / `sha512:<hex>` from the spec,
 * else the digest pinned from the first download (allowUnverified). An allowUnverified Image not
 * pinned yet gets no entry: the agent pins on its first download. An Image missing from the
 * store gets none either (the VM waits for it). Keys sorted: the content hash is deterministic.
 */
export function imageDigests(vm: VirtualMachine, images: ReadonlyMap<string, Image>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of imagesOf(vm)) {
    const d = expectedDigest(images.get(name));
    if (d !== undefined) out[name] = d;
  }
  return out;
}

export function expectedDigest(image: Image | undefined): string | undefined {
  if (!image) return undefined;
  if (image.spec.sha256) return `sha256:${image.spec.sha256.toLowerCase()}`;
  if (image.spec.sha512) return `sha512:${image.spec.sha512.toLowerCase()}`;
  return image.status?.pinned ? image.status.digest : undefined;
}

export function buildAssignment(input: AssignmentInputs): Assignment {
  const { vms, networks, reservations } = input.scope;
  const byName = new Map<string, Network>(networks.map((n) => [n.metadata.name, n]));
  const request: Assignment['request'] = {
    node: input.node,
    vms: vms.map((vm) => {
      const nics = nicBindingsOf(vm, byName, reservations);
      return { vm: toProto(withReservedMacs(vm, nics)), secrets: resolvedSecrets(vm, input.scope.secrets), firewallPolicies: [], nics, imageDigests: imageDigests(vm, input.scope.images) };
    }),
    networks: networks.map((n) => toProto(n)),
    // Declared in the proto for the storage and firewall work; empty until an agent reads them.
    firewallPolicies: [],
    images: [...input.scope.images.values()].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1)).map((i) => toProto(i)),
    storagePools: [],
    peers: [...input.peers].sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0)),
    fenceAfterMs: input.fenceAfterMs ?? 0,
    networkBindings: networkBindingsOf(input.scope, input.address, input.peers),
  };
  // Over the protobuf bytes (deterministic: fields in order, lists sorted above), not a JSON
  // text of the request: that would turn every spec, already JSON in specJson, into text again.
  const hash = createHash('sha256').update(agentv1.AssignRequest.encode({ ...request, generation: 0, fencingToken: 0 }).finish()).digest('hex');
  return { request, hash, vmNames: vms.map((v) => v.metadata.name) };
}
