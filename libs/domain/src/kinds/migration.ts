import { z } from 'zod';
import { DurationSchema, NameSchema, TextSchema } from './common';
import { CommonStatusFields, resourceSchema } from './meta';

export const MigrationSpecSchema = z.strictObject({
  vm: NameSchema,
  /** Absent: the scheduler picks. */
  targetNode: NameSchema.optional(),
  mode: z.enum(['live', 'postcopy', 'offline']).default('live'),
  /** e.g. '300ms' (QEMU's default). */
  maxDowntime: DurationSchema.optional(),
  copyStorage: z.boolean().optional(),
  /** Bytes/s the migration may use at most (libvirt --bandwidth, rounded up to whole MiB/s); absent: no limit. */
  bandwidthLimit: z.number().int().min(1).max(1e13).optional(),
  /**
   * true: stop the move (hvctl migrate --cancel). Pending: it never starts. Live/post-copy: the
   * source agent aborts libvirt's job and the VM keeps running on the source (too late once
   * post-copy switched over, or when it completes first). Offline: only while Stopping.
   * Ends Failed with reason Cancelled.
   */
  cancel: z.boolean().optional(),
});
export type MigrationSpec = z.infer<typeof MigrationSpecSchema>;

export const MigrationStatusSchema = z.strictObject({
  ...CommonStatusFields,
  phase: z.enum(['Pending', 'Running', 'Succeeded', 'Failed']).optional(),
  sourceNode: NameSchema.optional(),
  targetNode: NameSchema.optional(),
  progress: z
    .strictObject({
      bytesTotal: z.number().min(0).optional(),
      bytesDone: z.number().min(0).optional(),
      bytesRemaining: z.number().min(0).optional(),
      /** Bytes/s of guest memory dirtied. */
      dirtyRate: z.number().min(0).optional(),
      /** Pre-copy pass (1 = the first full copy). */
      iteration: z.number().int().min(0).optional(),
    })
    .optional(),
  downtimeMs: z.number().min(0).optional(),
  /** The mode actually used (a drain of a test-driver node moves offline). */
  mode: z.enum(['live', 'postcopy', 'offline']).optional(),
  copyStorage: z.boolean().optional(),
  /** Offline moves: Stopping -> Moving -> Starting. */
  step: z.enum(['Stopping', 'Moving', 'Starting']).optional(),
  /** CamelCase cause of the last phase change (Failed: why). */
  reason: z.string().max(128).optional(),
  /** Failed: what failed, why, and the fix (libvirt's own text included). */
  message: TextSchema(4096).optional(),
  startTime: z.string().max(64).optional(),
  completionTime: z.string().max(64).optional(),
  /** Wall time from Running to Succeeded/Failed. */
  durationMs: z.number().min(0).optional(),
});
export type MigrationStatus = z.infer<typeof MigrationStatusSchema>;

export const MigrationSchema = resourceSchema('Migration', MigrationSpecSchema, MigrationStatusSchema);
export type Migration = z.infer<typeof MigrationSchema>;
