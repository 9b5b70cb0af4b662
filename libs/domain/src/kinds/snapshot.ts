import { z } from 'zod';
import { NameSchema, TextSchema } from './common';
import { CommonStatusFields, resourceSchema } from './meta';

export const SnapshotSpecSchema = z.strictObject({
  vm: NameSchema,
  description: TextSchema(1024).optional(),
  /** Include guest memory (a running VM resumes where it was). */
  memory: z.boolean().optional(),
});
export type SnapshotSpec = z.infer<typeof SnapshotSpecSchema>;

export const SnapshotStatusSchema = z.strictObject({
  ...CommonStatusFields,
  phase: z.enum(['Pending', 'Ready', 'Failed']).optional(),
  sizeBytes: z.number().int().min(0).optional(),
});
export type SnapshotStatus = z.infer<typeof SnapshotStatusSchema>;

export const SnapshotSchema = resourceSchema('Snapshot', SnapshotSpecSchema, SnapshotStatusSchema);
export type Snapshot = z.infer<typeof SnapshotSchema>;
