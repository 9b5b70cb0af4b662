import { z } from 'zod';
import { CountSchema, NameSchema, PciAddressSchema, VendorDeviceSchema } from './common';
import { CommonStatusFields, resourceSchema } from './meta';

export const NodeSpecSchema = z.strictObject({
  /** host:port the controller dials for this node's agent. */
  address: z.string().max(261).regex(/^[A-Za-z0-9.:[\]-]+$/, { error: 'HVS-NODE-ADDRESS-INVALID' }).optional(),
  cordoned: z.boolean().optional(),
  maintenance: z.boolean().optional(),
  overcommit: z
    .strictObject({
      /** vCPU:pCPU ratio, default 4. */
      cpu: z.number().min(0.1, { error: 'HVS-NODE-OVERCOMMIT-INVALID' }).max(64, { error: 'HVS-NODE-OVERCOMMIT-INVALID' }).optional(),
      /** memory ratio, default 1.0. */
      memory: z.number().min(0.1, { error: 'HVS-NODE-OVERCOMMIT-INVALID' }).max(4, { error: 'HVS-NODE-OVERCOMMIT-INVALID' }).optional(),
    })
    .optional(),
});
export type NodeSpec = z.infer<typeof NodeSpecSchema>;

const Capacity = z.strictObject({ cpus: CountSchema(0, 65536), memoryBytes: z.number().int().min(0) });

export const NodeStatusSchema = z.strictObject({
  capacity: Capacity.optional(),
  allocatable: Capacity.optional(),
  devices: z
    .array(
      z.strictObject({
        pciAddress: PciAddressSchema,
        vendorDevice: VendorDeviceSchema,
        iommuGroup: z.number().int().min(0).optional(),
        description: z.string().max(256).optional(),
      }),
    )
    .max(1024)
    .optional(),
  pools: z
    .array(
      z.strictObject({
        name: NameSchema,
        path: z.string().max(4096).optional(),
        type: z.string().max(32).optional(),
        capacityBytes: z.number().int().min(0).optional(),
        availableBytes: z.number().int().min(0).optional(),
      }),
    )
    .max(256)
    .optional(),
  /**
   * The node's own IPv4 routes and addresses (CIDR, e.g. `192.168.1.0/24`, `192.168.1.7/32`),
   * without the bridges of our Networks: a Network subnet overlapping one is refused
   * (HVS-NET-SUBNET-HOST-CONFLICT). Left out by an agent that does not report them.
   */
  ipv4Routes: z.array(z.string().max(64)).max(1024).optional(),
  conditions: CommonStatusFields.conditions,
  observedGeneration: CommonStatusFields.observedGeneration,
  agentVersion: z.string().max(64).optional(),
  hypervisor: z.strictObject({
    mode: z.enum(['kvm', 'qemu', 'test']),
    uri: z.string().max(1024),
    /**
     * Whether libvirt confines this node's VMs (sVirt, docs/security.md): the model their
     * `<seclabel>` names, libvirt's security models and the kernel's AppArmor state. Left out when
     * the agent does not report it (older agent).
     */
    confinement: z.strictObject({
      confined: z.boolean(),
      model: z.enum(['apparmor', 'selinux']).optional(),
      securityModels: z.array(z.string().max(64)).max(16),
      apparmorEnabled: z.boolean(),
    }).optional(),
  }).optional(),
  lastHeartbeat: z.string().max(64).optional(),
});
export type NodeStatus = z.infer<typeof NodeStatusSchema>;

export const NodeSchema = resourceSchema('Node', NodeSpecSchema, NodeStatusSchema);
export type Node = z.infer<typeof NodeSchema>;
