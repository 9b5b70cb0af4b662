import { z } from 'zod';
import { NameSchema, Sha256Schema, UrlSchema } from './common';
import { CommonStatusFields, resourceSchema } from './meta';

export const ImageSpecSchema = z.strictObject({
  source: z.strictObject({ url: UrlSchema.optional(), upload: z.boolean().optional() }),
  /** Required: every image is verified before use, whatever its source. */
  sha256: Sha256Schema,
  /** Required and explicit: the format is never probed from the content (a raw image could pose as qcow2). */
  format: z.enum(['iso', 'qcow2', 'raw']),
  allowUnverified: z.boolean().optional(),
});
export type ImageSpec = z.infer<typeof ImageSpecSchema>;

export const ImageStatusSchema = z.strictObject({
  ...CommonStatusFields,
  sizeBytes: z.number().int().min(0).optional(),
  nodes: z.array(z.strictObject({ node: NameSchema, cached: z.boolean(), verified: z.boolean().optional() })).max(1024).optional(),
});
export type ImageStatus = z.infer<typeof ImageStatusSchema>;

export const ImageSchema = resourceSchema('Image', ImageSpecSchema, ImageStatusSchema);
export type Image = z.infer<typeof ImageSchema>;
