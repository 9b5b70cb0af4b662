import { z } from 'zod';
import { NameSchema, Sha256Schema, Sha512Schema, UrlSchema } from './common';
import { CommonStatusFields, resourceSchema } from './meta';

export const ImageSpecSchema = z.strictObject({
  /** url: http(s), downloaded by each node that needs it (never file://); upload: `hvctl image import FILE` through the controller. */
  source: z.strictObject({ url: UrlSchema.optional(), upload: z.boolean().optional() }),
  /** The expected digest; sha256 or sha512 (some distributions publish only that). One is required unless allowUnverified. */
  sha256: Sha256Schema.optional(),
  sha512: Sha512Schema.optional(),
  /** Required and explicit: the format is never probed from the content (a raw image could pose as qcow2). */
  format: z.enum(['iso', 'qcow2', 'raw']),
  /**
   * Trust on first download: no digest given; the digest of the first complete download is
   * pinned in status.digest and every later copy (any node) must match it. Audited and warned.
   */
  allowUnverified: z.boolean().optional(),
});
export type ImageSpec = z.infer<typeof ImageSpecSchema>;

export const IMAGE_PHASES = ['Pending', 'Downloading', 'Ready', 'Failed'] as const;

/** Per node: the copy in that node's content-addressed cache. */
export const ImageNodeStatusSchema = z.strictObject({
  node: NameSchema,
  phase: z.enum(IMAGE_PHASES),
  cached: z.boolean(),
  verified: z.boolean().optional(),
  bytes: z.number().int().min(0).optional(),
  totalBytes: z.number().int().min(0).optional(),
  bytesPerSecond: z.number().min(0).optional(),
  etaSeconds: z.number().min(0).optional(),
  reason: z.string().max(64).optional(),
  message: z.string().max(1024).optional(),
  /** With reason DigestMismatch: `sha256:<hex>` expected and actual. */
  expectedDigest: z.string().max(160).optional(),
  actualDigest: z.string().max(160).optional(),
});
export type ImageNodeStatus = z.infer<typeof ImageNodeStatusSchema>;

export const ImageStatusSchema = z.strictObject({
  ...CommonStatusFields,
  /** Ready once verified bytes exist (an upload, or a node's verified download); Failed on a digest mismatch. */
  phase: z.enum(IMAGE_PHASES).optional(),
  sizeBytes: z.number().int().min(0).optional(),
  /** `sha256:<hex>` / `sha512:<hex>`: the spec's digest, or the pinned one (allowUnverified). */
  digest: z.string().max(160).optional(),
  /** allowUnverified: the digest was pinned from the first download (trust on first use). */
  pinned: z.boolean().optional(),
  /** source.upload: the bytes are held by the controller (sha256 computed during the upload). */
  uploaded: z.boolean().optional(),
  nodes: z.array(ImageNodeStatusSchema).max(1024).optional(),
});
export type ImageStatus = z.infer<typeof ImageStatusSchema>;

export const ImageSchema = resourceSchema('Image', ImageSpecSchema, ImageStatusSchema);
export type Image = z.infer<typeof ImageSchema>;
