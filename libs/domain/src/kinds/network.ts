import { z } from 'zod';
import { CidrSchema, CountSchema, InterfaceNameSchema, IpSchema, LabelsSchema, NameSchema, PortSchema, TextSchema } from './common';
import { CommonStatusFields, resourceSchema } from './meta';

/** A port of a node forwarded to a VM on a `nat` network (realised on the node that runs the VM). */
export const PortForwardSchema = z.strictObject({
  protocol: z.enum(['tcp', 'udp']).default('tcp'),
  /** The port on the node's addresses. */
  hostPort: CountSchema(1, 65535, 'HVS-PORT-INVALID'),
  /** The VirtualMachine (same cluster) and its port. The VM's first NIC on this Network gets the traffic. */
  vm: NameSchema,
  port: CountSchema(1, 65535, 'HVS-PORT-INVALID'),
});
export type PortForward = z.infer<typeof PortForwardSchema>;

/**
 * How a Network is realised on a node: the agent's own Linux bridge, dnsmasq and nftables
 * (docs/adr/0006-networks-own-bridges.md), never libvirt's network objects.
 */
export const NetworkSpecSchema = z.strictObject({
  /**
   * bridge: VMs join an existing host bridge (the operator's; nothing is created);
   * nat: a bridge per node with DHCP/DNS and masquerade to the node's uplink;
   * isolated: a bridge per node with DHCP/DNS and no uplink;
   * vxlan: like isolated, and the nodes' bridges are joined into one L2 by a VXLAN overlay.
   */
  mode: z.enum(['bridge', 'nat', 'isolated', 'vxlan']),
  bridge: InterfaceNameSchema.optional(),
  /** 802.1Q tag on the VMs' ports (rendered; needs a kernel with VLAN filtering on the bridge). */
  vlan: CountSchema(1, 4094, 'HVS-NET-VLAN-INVALID').optional(),
  /** Of the bridge and the VMs' NICs; default 1500 (1450 for vxlan: 50 bytes go to the overlay). */
  mtu: CountSchema(576, 9000, 'HVS-NET-MTU-INVALID').optional(),
  subnet: CidrSchema.optional(),
  gateway: IpSchema.optional(),
  /** The range the controller reserves VM addresses from (IPAM); default: the subnet minus network, gateway and broadcast. */
  dhcp: z.strictObject({ start: IpSchema, end: IpSchema }).optional(),
  /** DNS: each VM is `<vm>.<domain>`; default domain: the Network's name. */
  dns: z.strictObject({ domain: NameSchema.optional() }).optional(),
  /** vxlan mode: the VXLAN Network Identifier and UDP port. */
  vxlan: z.strictObject({ vni: CountSchema(1, 16777215, 'HVS-NET-VXLAN-INVALID'), port: CountSchema(1, 65535, 'HVS-PORT-INVALID').optional() }).optional(),
  /** nat mode: node ports forwarded to VMs (DNAT on the node that runs the VM). */
  portForwards: z.array(PortForwardSchema).max(256).optional(),
});
export type NetworkSpec = z.infer<typeof NetworkSpecSchema>;

export const NetworkStatusSchema = z.strictObject({
  ...CommonStatusFields,
  /** Per-node realisation: which bridge backs the network on each node. */
  nodes: z
    .array(z.strictObject({
      node: NameSchema,
      bridge: z.string().max(15).optional(),
      ready: z.boolean().optional(),
      /** CamelCase: Realised, Simulated, BridgeMissing, DnsmasqFailed, ... */
      reason: z.string().max(64).optional(),
      message: z.string().max(1024).optional(),
    }))
    .max(1024)
    .optional(),
  /** Addresses reserved for VM NICs (IPAM), and how many the range holds. */
  addresses: z.strictObject({ reserved: z.number().int().min(0), capacity: z.number().int().min(0) }).optional(),
});
export type NetworkStatus = z.infer<typeof NetworkStatusSchema>;

export const NetworkSchema = resourceSchema('Network', NetworkSpecSchema, NetworkStatusSchema);
export type Network = z.infer<typeof NetworkSchema>;

export const FirewallRuleSchema = z.strictObject({
  direction: z.enum(['in', 'out']),
  protocol: z.enum(['tcp', 'udp', 'icmp', 'any']).optional(),
  ports: z.array(PortSchema).max(64).optional(),
  cidrs: z.array(CidrSchema).max(256).optional(),
  action: z.enum(['accept', 'drop', 'reject']),
  comment: TextSchema(128).optional(),
});
export type FirewallRule = z.infer<typeof FirewallRuleSchema>;

export const FirewallPolicySpecSchema = z.strictObject({
  /** Applies to every VM whose labels match all of these. */
  selector: LabelsSchema,
  /** Ordered: the first matching rule decides. */
  rules: z.array(FirewallRuleSchema).max(1024),
  defaultAction: z.enum(['accept', 'drop']).optional(),
});
export type FirewallPolicySpec = z.infer<typeof FirewallPolicySpecSchema>;

export const FirewallPolicyStatusSchema = z.strictObject({
  ...CommonStatusFields,
  counters: z.array(z.strictObject({ rule: z.number().int().min(0), packets: z.number().int().min(0), bytes: z.number().int().min(0) })).max(1024).optional(),
});
export type FirewallPolicyStatus = z.infer<typeof FirewallPolicyStatusSchema>;

export const FirewallPolicySchema = resourceSchema('FirewallPolicy', FirewallPolicySpecSchema, FirewallPolicyStatusSchema);
export type FirewallPolicy = z.infer<typeof FirewallPolicySchema>;
