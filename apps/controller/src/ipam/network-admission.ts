/**
 * Network admission at apply (pure; docs/networking.md "Addresses (IPAM)"):
 * - a nat/isolated/vxlan Network without subnet gets one: the one it already has in the store
 *   (so re-applying the same document is `unchanged`), else the first free /24 of
 *   10.88.0.0/24 .. 10.99.255.0/24 (like Incus `auto`); and a gateway, when it has none, the
 *   subnet's first host (IPAM must know it so that it never hands it to a VM);
 * - a subnet overlapping another Network (store or batch): HVS-NET-SUBNET-OVERLAP naming it;
 * - a subnet overlapping a route or address a Node reports (status.ipv4Routes):
 *   HVS-NET-SUBNET-HOST-CONFLICT naming node and route;
 * - a changed subnet while the Network holds reservations: HVS-NET-SUBNET-IN-USE.
 * bridge Networks are the operator's L2: no subnet of ours, nothing checked here.
 */
import type { Network, NetworkSpec, Node, Problem } from '@hvs/domain';
import { defaultGateway, formatSubnet, parseSubnet, subnetsOverlap, type Subnet } from './ipv4';

export const AUTO_SUBNET_FIRST = '10.88.0.0/24';
export const AUTO_SUBNET_LAST = '10.99.255.0/24';

export interface NetworkAdmissionInput {
  /** The batch's Networks as they will be written (desired), with what the store holds now. */
  batch: readonly { desired: Network; current: Network | undefined }[];
  /** Every Network in the store. */
  stored: readonly Network[];
  nodes: readonly Node[];
  /** Networks that hold reservations now (by name). */
  reserved: ReadonlySet<string>;
}

export interface NetworkAdmission {
  /** The batch's Networks with defaults filled in, in batch order. */
  networks: Network[];
  problems: Problem[];
}

const routed = (mode: NetworkSpec['mode']) => mode !== 'bridge';

export function admitNetworks(input: NetworkAdmissionInput): NetworkAdmission {
  const problems: Problem[] = [];
  const inBatch = new Set(input.batch.map((b) => b.desired.metadata.name));
  // Subnets already spoken for: the store's Networks not in the batch, then the batch's own as decided.
  const claimed: { name: string; subnet: Subnet }[] = input.stored
    .filter((n) => !inBatch.has(n.metadata.name) && n.spec.subnet && routed(n.spec.mode))
    .map((n) => ({ name: n.metadata.name, subnet: parseSubnet(n.spec.subnet!) }));
  // A default route (/0) overlaps everything and says nothing about the addresses the node uses.
  const hostRoutes = input.nodes
    .flatMap((n) => (n.status?.ipv4Routes ?? []).map((route) => ({ node: n.metadata.name, route, subnet: parseSubnet(route.includes('/') ? route : `${route}/32`) })))
    .filter((h) => h.subnet.prefix > 0);
  // Explicit subnets first, so a defaulted one never takes what another document of the batch asks for.
  for (const b of input.batch) {
    const s = b.desired.spec.subnet;
    if (s && routed(b.desired.spec.mode)) claimed.push({ name: b.desired.metadata.name, subnet: parseSubnet(s) });
  }
  const networks = input.batch.map(({ desired, current }) => {
    const name = desired.metadata.name;
    if (!routed(desired.spec.mode)) return desired;
    const spec: NetworkSpec = { ...desired.spec };
    if (!spec.subnet) {
      const kept = current?.spec.subnet;
      const auto = kept ?? autoSubnet(claimed, hostRoutes.map((h) => h.subnet));
      if (auto === undefined) {
        problems.push({
          code: 'HVS-NET-SUBNET-POOL-EXHAUSTED', path: 'spec.subnet', message: `Network ${name}: no free /24 left in 10.88.0.0-10.99.255.255 to give it a subnet`,
          why: 'a Network without spec.subnet gets a /24 of that pool that no other Network and no node route uses',
          fix: 'set spec.subnet (and spec.gateway) yourself to a range that no other Network uses',
        });
        return desired;
      }
      spec.subnet = auto;
      if (!kept) claimed.push({ name, subnet: parseSubnet(auto) });
      if (!spec.gateway && current?.spec.subnet === auto && current.spec.gateway) spec.gateway = current.spec.gateway;
    }
    const subnet = parseSubnet(spec.subnet);
    spec.gateway ??= defaultGateway(subnet);
    for (const other of claimed) {
      if (other.name !== name && subnetsOverlap(subnet, other.subnet)) {
        problems.push({
          code: 'HVS-NET-SUBNET-OVERLAP', path: 'spec.subnet', message: `Network ${name}: subnet ${formatSubnet(subnet)} overlaps Network ${other.name} (${formatSubnet(other.subnet)})`,
          why: 'two Networks with overlapping subnets would route the same addresses to two bridges on a node',
          fix: `choose a subnet that no other Network uses (\`hvctl get networks -o wide\`), or leave spec.subnet out to get a free /24`,
        });
        break;
      }
    }
    for (const h of hostRoutes) {
      if (subnetsOverlap(subnet, h.subnet)) {
        problems.push({
          code: 'HVS-NET-SUBNET-HOST-CONFLICT', path: 'spec.subnet', message: `Network ${name}: subnet ${formatSubnet(subnet)} overlaps ${h.route} on node ${h.node}`,
          why: 'the node already routes (or holds) those addresses; a bridge with this subnet would break its existing traffic',
          fix: 'choose another subnet, or leave spec.subnet out to get a free /24',
        });
        break;
      }
    }
    const before = current?.spec.subnet;
    if (before && formatSubnet(parseSubnet(before)) !== formatSubnet(subnet) && input.reserved.has(name)) {
      problems.push({
        code: 'HVS-NET-SUBNET-IN-USE', path: 'spec.subnet', message: `Network ${name}: its subnet cannot change from ${before} to ${formatSubnet(subnet)} while VMs hold addresses on it`,
        why: 'VMs keep their reserved addresses for life; a new subnet would leave them outside it',
        fix: `delete or move the VMs on ${name} first (\`hvctl get vms\`), or create a new Network with the new subnet`,
      });
    }
    return { ...desired, spec };
  });
  return { networks, problems };
}

function autoSubnet(claimed: readonly { subnet: Subnet }[], host: readonly Subnet[]): string | undefined {
  const first = parseSubnet(AUTO_SUBNET_FIRST).base;
  const last = parseSubnet(AUTO_SUBNET_LAST).base;
  for (let base = first; base <= last; base += 256) {
    const candidate: Subnet = { base, prefix: 24, last: base + 255 };
    if (!claimed.some((c) => subnetsOverlap(c.subnet, candidate)) && !host.some((h) => subnetsOverlap(h, candidate))) return formatSubnet(candidate);
  }
  return undefined;
}
