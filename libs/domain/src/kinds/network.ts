import { z } from 'zod';
import { CidrSchema, CountSchema, InterfaceNameSchema, IpSchema, LabelsSchema, NameSchema, PortSchema, TextSchema } from './common';
import { CommonStatusFields, resourceSchema } from './meta';

export const NetworkSpecSchema = z.strictObject({
  /** bridge: attach to an existing host bridge; nat: libvirt NAT network; isolated: no uplink. */
  mode: z.enum(['bridge', 'nat', 'isolated']),
  bridge: InterfaceNameSchema.optional(),
  vlan: CountSchema(1, 4094, 'HVS-NET-VLAN-INVALID').optional(),
  subnet: CidrSchema.optional(),
  gateway: IpSchema.optional(),
  dhcp: z.strictObject({ start: IpSchema, end: IpSchema }).optional(),
});
export type NetworkSpec = z.infer<typeof NetworkSpecSchema>;

export const NetworkStatusSchema = z.strictObject({
  ...CommonStatusFields,
  /** Per-node realisation: which bridge backs the network on each node. */
  nodes: z.array(z.strictObject({ node: NameSchema, bridge: z.string().max(15).optional(), ready: z.boolean().optional() })).max(1024).optional(),
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
