import { z } from 'zod';
import { HostPathSchema, NameSchema } from './common';
import { CommonStatusFields, resourceSchema } from './meta';

export const StoragePoolSpecSchema = z.strictObject({
  type: z.enum(['dir', 'lvm-thin', 'zfs', 'nfs']),
  /** Absolute: the directory (dir) or mount point (nfs). */
  path: HostPathSchema.optional(),
  /** Every node sees the same content (NFS): disks need no copy on migration. */
  shared: z.boolean().optional(),
  /** Nodes that have this pool; absent = all. */
  nodes: z.array(NameSchema).max(1024).optional(),
  /** vg/thinpool (lvm-thin), pool/dataset (zfs), host:/export (nfs). */
  source: z.string().max(1024).regex(/^[A-Za-z0-9._\-/:[\]@]+$/, { error: 'HVS-POOL-SOURCE-INVALID' }).optional(),
});
export type StoragePoolSpec = z.infer<typeof StoragePoolSpecSchema>;

export const StoragePoolStatusSchema = z.strictObject({
  ...CommonStatusFields,
  capacityBytes: z.number().int().min(0).optional(),
  availableBytes: z.number().int().min(0).optional(),
});
export type StoragePoolStatus = z.infer<typeof StoragePoolStatusSchema>;

export const StoragePoolSchema = resourceSchema('StoragePool', StoragePoolSpecSchema, StoragePoolStatusSchema);
export type StoragePool = z.infer<typeof StoragePoolSchema>;
