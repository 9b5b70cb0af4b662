import { z } from 'zod';
import { DurationSchema, NameSchema } from './common';
import { CommonStatusFields, resourceSchema } from './meta';

export const MigrationSpecSchema = z.strictObject({
  vm: NameSchema,
  /** Absent: the scheduler picks. */
  targetNode: NameSchema.optional(),
  mode: z.enum(['live', 'postcopy', 'offline']).default('live'),
  /** e.g. '300ms' (QEMU's default). */
  maxDowntime: DurationSchema.optional(),
  copyStorage: z.boolean().optional(),
});
export type MigrationSpec = z.infer<typeof MigrationSpecSchema>;

export const MigrationStatusSchema = z.strictObject({
  ...CommonStatusFields,
  phase: z.enum(['Pending', 'Running', 'Succeeded', 'Failed']).optional(),
  sourceNode: NameSchema.optional(),
  targetNode: NameSchema.optional(),
  progress: z
    .strictObject({ bytesTotal: z.number().min(0).optional(), bytesDone: z.number().min(0).optional(), dirtyRate: z.number().min(0).optional() })
    .optional(),
  downtimeMs: z.number().min(0).optional(),
});
export type MigrationStatus = z.infer<typeof MigrationStatusSchema>;

export const MigrationSchema = resourceSchema('Migration', MigrationSpecSchema, MigrationStatusSchema);
export type Migration = z.infer<typeof MigrationSchema>;
