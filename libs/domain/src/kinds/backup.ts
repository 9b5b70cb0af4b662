import { z } from 'zod';
import { CountSchema, CronSchema, HostPathSchema, NameSchema, TextSchema, UrlSchema } from './common';
import { CommonStatusFields, resourceSchema } from './meta';

export const BackupPolicySpecSchema = z.strictObject({
  /** 5-field cron, in the controller's time zone (UTC). */
  schedule: CronSchema,
  mode: z.enum(['full', 'incremental']),
  retention: z.strictObject({
    keepLast: CountSchema(0, 10000, 'HVS-BACKUP-RETENTION-INVALID').optional(),
    keepDaily: CountSchema(0, 10000, 'HVS-BACKUP-RETENTION-INVALID').optional(),
    keepWeekly: CountSchema(0, 10000, 'HVS-BACKUP-RETENTION-INVALID').optional(),
  }),
  target: z.strictObject({
    type: z.enum(['local', 'nfs', 's3']),
    path: HostPathSchema.optional(),
    bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { error: 'HVS-BACKUP-BUCKET-INVALID' }).optional(),
    endpoint: UrlSchema.optional(),
    /** Name of a secret holding the credentials; never the credentials themselves. */
    secretRef: NameSchema.optional(),
  }),
  verify: z.boolean().optional(),
});
export type BackupPolicySpec = z.infer<typeof BackupPolicySpecSchema>;

export const BackupPolicyStatusSchema = z.strictObject({
  ...CommonStatusFields,
  lastRun: z.string().max(64).optional(),
  lastVerified: NameSchema.optional(),
});
export type BackupPolicyStatus = z.infer<typeof BackupPolicyStatusSchema>;

export const BackupPolicySchema = resourceSchema('BackupPolicy', BackupPolicySpecSchema, BackupPolicyStatusSchema);
export type BackupPolicy = z.infer<typeof BackupPolicySchema>;

export const BackupSpecSchema = z.strictObject({
  vm: NameSchema,
  policy: NameSchema.optional(),
  /** The backup an incremental one builds on. */
  parent: NameSchema.optional(),
  mode: z.enum(['full', 'incremental']),
  target: TextSchema(1024).optional(),
});
export type BackupSpec = z.infer<typeof BackupSpecSchema>;

export const BackupStatusSchema = z.strictObject({
  ...CommonStatusFields,
  phase: z.enum(['Pending', 'Running', 'Completed', 'Failed']).optional(),
  sizeBytes: z.number().int().min(0).optional(),
  sha256: z.string().max(64).optional(),
  verified: z.boolean().optional(),
});
export type BackupStatus = z.infer<typeof BackupStatusSchema>;

export const BackupSchema = resourceSchema('Backup', BackupSpecSchema, BackupStatusSchema);
export type Backup = z.infer<typeof BackupSchema>;
