import { z } from 'zod';
import { AnnotationsSchema, LabelsSchema, NameSchema, TextSchema } from './common';

export const API_VERSION = 'hvs/v1' as const;

const Timestamp = z.string().max(64);

export const ObjectMetaSchema = z.strictObject({
  name: NameSchema,
  uid: z.string().max(64).optional(),
  labels: LabelsSchema.optional(),
  annotations: AnnotationsSchema.optional(),
  generation: z.number().int().min(0).optional(),
  resourceVersion: z.string().max(32).optional(),
  creationTimestamp: Timestamp.optional(),
  deletionTimestamp: Timestamp.optional(),
  finalizers: z.array(z.string().max(253)).max(32).optional(),
});
export type ObjectMeta = z.infer<typeof ObjectMetaSchema>;

export const ConditionSchema = z.strictObject({
  type: z.string().regex(/^[A-Za-z][A-Za-z0-9]{0,63}$/),
  status: z.enum(['True', 'False', 'Unknown']),
  reason: z.string().max(128).optional(),
  message: TextSchema(4096).optional(),
  lastTransitionTime: Timestamp.optional(),
  observedGeneration: z.number().int().min(0).optional(),
});
export type Condition = z.infer<typeof ConditionSchema>;

export const KIND_NAMES = [
  'VirtualMachine',
  'Node',
  'Network',
  'FirewallPolicy',
  'Image',
  'StoragePool',
  'BackupPolicy',
  'Backup',
  'Snapshot',
  'Migration',
  'Secret',
] as const;
export type KindName = (typeof KIND_NAMES)[number];

export interface Resource<K extends string, S, St> {
  apiVersion: typeof API_VERSION;
  kind: K;
  metadata: ObjectMeta;
  spec: S;
  status?: St;
}

/** The envelope schema of one kind; strict, so unknown top-level fields are refused. */
export function resourceSchema<K extends KindName, S extends z.ZodType, St extends z.ZodType>(kind: K, spec: S, status: St) {
  return z.strictObject({
    apiVersion: z.literal(API_VERSION, { error: 'HVS-APIVERSION-UNSUPPORTED' }),
    kind: z.literal(kind),
    metadata: ObjectMetaSchema,
    spec,
    status: status.optional(),
  });
}

/** Status fields every kind shares. */
export const CommonStatusFields = {
  observedGeneration: z.number().int().min(0).optional(),
  conditions: z.array(ConditionSchema).max(32).optional(),
};
