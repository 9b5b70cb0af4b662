/**
 * hvs.v1.ImageService: the bytes of uploaded Images (docs/images.md).
 * - upload: the header names the Image; the bytes go to a temp file while their sha256 is
 *   computed, bounded by the size cap and the free disk space; a digest the header expects must
 *   match; only then is the file renamed to its digest name and the Image created or updated
 *   (source.upload, status Ready, uploaded, sizeBytes, digest) with its audit record. A failed or
 *   interrupted upload leaves no file and no object.
 * - download: a node fetches the bytes of an uploaded Image one of ITS VMs uses, from an offset
 *   (256 KiB messages; the total and digest in the first).
 * Uploaded bytes live on the controller replica that received them (replication: planned); a
 * replica without them answers HVS-IMAGE-BYTES-ELSEWHERE.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { HvsError, isName, isSha256, validateResource, type Image, type VirtualMachine } from '@hvs/domain';
import type { AuditService } from '../audit';
import { actorOf, forbidden } from '../identity';
import { admit, principalOf } from '../services/access';
import type { CallContext } from '../services/call-context';
import { auditFailure, auditedBatch, readOptional } from '../services/writes';
import type { ObjectStore } from '../store';
import { imageBytesElsewhere, imageDigestMismatch, imageDiskFull, imageNotUploaded, imageSourceConflict, imageTooLarge, uploadHeaderMissing, uploadInvalid, uploadSizeMismatch } from './errors';
import type { ImageFiles } from './image-files';

export const DEFAULT_MAX_UPLOAD_BYTES = 64 * 1024 ** 3;
/**
 * Download message size. Measured (128 MiB, loaded 2-core host): 256 KiB 55 MiB/s, 1 MiB
 * 16 MiB/s (bigger messages cost more protobuf copying and GC than they save).
 */
export const DOWNLOAD_CHUNK_BYTES = 256 * 1024;
const FORMATS = ['iso', 'qcow2', 'raw'] as const;

export interface UploadHeader {
  name: string;
  format: string;
  /** The file size: required (> 0), the upload is kept only when exactly this many bytes arrived. */
  sizeBytes: number;
  /** Hex; empty: none expected. */
  sha256: string;
  labels: Record<string, string>;
}

/** What an upload stream carries: the header first, then the bytes. */
export type UploadPart = { header: UploadHeader } | { data: Uint8Array };

export interface UploadOutcome {
  name: string;
  sizeBytes: number;
  digest: string;
  /** False: the same bytes were already stored for this Image (nothing rewritten). */
  changed: boolean;
}

export interface DownloadChunk {
  /** Set on the first chunk only. */
  totalBytes: number;
  digest: string;
  data: Buffer;
}

export interface ImageServiceOptions {
  maxUploadBytes?: number;
}

export class ImageService {
  private readonly maxUploadBytes: number;

  constructor(private readonly store: ObjectStore, private readonly audit: AuditService, private readonly files: ImageFiles, options: ImageServiceOptions = {}) {
    this.maxUploadBytes = options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
  }

  async upload(parts: AsyncIterable<UploadPart>, ctx: CallContext): Promise<UploadOutcome> {
    admit(ctx, 'ImageService/Upload', { kind: 'Image' });
    const it = parts[Symbol.asyncIterator]();
    const first = await it.next();
    if (first.done || !('header' in first.value)) throw uploadHeaderMissing();
    const header = first.value.header;
    checkHeader(header, this.maxUploadBytes);
    const current = await readOptional(this.store, 'Image', header.name) as Image | undefined;
    admit(ctx, 'ImageService/Upload', { kind: 'Image', name: header.name, labels: header.labels });
    if (current) admit(ctx, 'ImageService/Upload', { kind: 'Image', name: header.name, labels: current.metadata.labels ?? {} });
    if (current?.spec.source.url !== undefined) throw imageSourceConflict(header.name);
    try {
      const received = await this.receive(header, { [Symbol.asyncIterator]: () => it });
      return await this.record(header, current, received, ctx);
    } catch (e) {
      await auditFailure(this.audit, e, { operation: 'upload', kind: 'Image', name: header.name, actor: ctx.actor });
      throw e;
    }
  }

  /** The bytes into a temp file, hashed as they come; renamed to their digest name when complete and as expected. */
  private async receive(header: UploadHeader, rest: AsyncIterable<UploadPart>): Promise<{ hex: string; size: number; stored: boolean }> {
    await this.files.prepare();
    const free = await this.files.freeBytes();
    if (header.sizeBytes > free) throw imageDiskFull(header.name, header.sizeBytes, free);
    const temp = this.files.tempPath();
    const hash = createHash('sha256');
    let size = 0;
    let committed = false;
    const file = await fs.promises.open(temp, 'wx', 0o600);
    try {
      try {
        for await (const part of rest) {
          if (!('data' in part)) throw uploadInvalid('the upload carries a second header', 'only the first message of an upload is a header', 'send the header once, then the bytes');
          size += part.data.length;
          if (size > this.maxUploadBytes) throw imageTooLarge(header.name, size, this.maxUploadBytes);
          if (size > header.sizeBytes) throw uploadSizeMismatch(header.name, header.sizeBytes, size);
          hash.update(part.data);
          await file.write(part.data);
        }
        await file.sync();
      } finally {
        await file.close();
      }
      if (size !== header.sizeBytes) throw uploadSizeMismatch(header.name, header.sizeBytes, size);
      const hex = hash.digest('hex');
      if (header.sha256 !== '' && header.sha256.toLowerCase() !== hex) throw imageDigestMismatch(header.name, `sha256:${header.sha256.toLowerCase()}`, `sha256:${hex}`);
      const stored = await this.files.commit(temp, hex);
      committed = true;
      return { hex, size, stored };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOSPC') throw imageDiskFull(header.name, Math.max(header.sizeBytes, size), await this.files.freeBytes().catch(() => 0));
      throw e;
    } finally {
      if (!committed) await fs.promises.rm(temp, { force: true });
    }
  }

  /** Creates or updates the Image and its status (with the audit record); removes bytes stored for it when that fails. */
  private async record(header: UploadHeader, current: Image | undefined, got: { hex: string; size: number; stored: boolean }, ctx: CallContext): Promise<UploadOutcome> {
    const digest = `sha256:${got.hex}`;
    const spec: Image['spec'] = { source: { upload: true }, format: header.format as Image['spec']['format'], sha256: got.hex };
    const status: NonNullable<Image['status']> = { ...(current?.status ?? {}), phase: 'Ready', uploaded: true, sizeBytes: got.size, digest };
    delete status.pinned;
    const labels = { ...(current?.metadata.labels ?? {}), ...header.labels };
    const outcome = { name: header.name, sizeBytes: got.size, digest };
    const sameSpec = current !== undefined && JSON.stringify(current.spec) === JSON.stringify(spec) && JSON.stringify(current.metadata.labels ?? {}) === JSON.stringify(labels);
    if (sameSpec && current.status?.digest === digest && current.status.uploaded === true) return { ...outcome, changed: false };
    const generation = current?.metadata.generation ?? 0;
    const entry = { operation: 'upload', kind: 'Image', name: header.name, actor: ctx.actor, generationBefore: generation, generationAfter: sameSpec ? generation : generation + 1 };
    try {
      if (current === undefined) {
        const object: Image = { apiVersion: 'hvs/v1', kind: 'Image', metadata: { name: header.name, ...(Object.keys(labels).length ? { labels } : {}) }, spec, status };
        await auditedBatch(this.store, this.audit, [{ op: 'create', object }], [entry]);
      } else {
        const ops = sameSpec ? [] : [{ op: 'update' as const, object: { ...current, metadata: { ...current.metadata, labels }, spec } }];
        const written = (await auditedBatch(this.store, this.audit, ops, [entry])).results[0]?.object as Image | undefined;
        await this.store.updateStatus({ ...(written ?? current), status });
      }
    } catch (e) {
      if (got.stored && !(await this.inUse(got.hex, header.name))) await fs.promises.rm(this.files.pathOf(got.hex), { force: true });
      throw e;
    }
    return { ...outcome, changed: true };
  }

  /** Whether another Image already records these bytes (then a failed write must not remove them). */
  private async inUse(hex: string, except: string): Promise<boolean> {
    const { items } = await this.store.list<Image>('Image');
    return items.some((i) => i.metadata.name !== except && i.status?.digest === `sha256:${hex}`);
  }

  /** The bytes of an uploaded Image from `offset`, for a node one of whose VMs uses it. */
  async *download(name: string, offset: number, ctx: CallContext): AsyncGenerator<DownloadChunk> {
    const p = principalOf(ctx);
    admit(ctx, 'ImageService/Download', { kind: 'Image', name, node: p.kind === 'node' ? p.node : undefined });
    const image = await this.store.get<Image>('Image', name);
    if (p.kind === 'node') {
      const { items } = await this.store.list<VirtualMachine>('VirtualMachine');
      if (!items.some((vm) => vm.status?.node === p.node && usesImage(vm, name))) {
        throw forbidden(`ImageService/Download on Image/${name}`, actorOf(p), 'node.self', `no VM assigned to node ${p.node} uses the Image ${name}`);
      }
    }
    const digest = image.status?.uploaded ? image.status.digest : undefined;
    if (!image.spec.source.upload || digest === undefined || !digest.startsWith('sha256:')) throw imageNotUploaded(name);
    const hex = digest.slice('sha256:'.length);
    const total = await this.files.sizeOf(hex);
    if (total === undefined) throw imageBytesElsewhere(name, digest);
    if (!Number.isSafeInteger(offset) || offset < 0 || offset > total) {
      throw uploadInvalid(`offset ${offset} is outside Image ${name} (${total} bytes)`, 'a download resumes at a byte the image has', 'ask from 0 up to the size');
    }
    const file = await fs.promises.open(this.files.pathOf(hex), 'r');
    try {
      let at = offset;
      let first = true;
      while (at < total || first) {
        const buf = Buffer.allocUnsafe(Math.min(DOWNLOAD_CHUNK_BYTES, total - at));
        const { bytesRead } = buf.length > 0 ? await file.read(buf, 0, buf.length, at) : { bytesRead: 0 };
        at += bytesRead;
        yield { totalBytes: first ? total : 0, digest: first ? digest : '', data: buf.subarray(0, bytesRead) };
        first = false;
        if (bytesRead === 0) break;
      }
    } finally {
      await file.close();
    }
  }
}

/** Whether the VM's disks or cdrom name the Image. */
export function usesImage(vm: VirtualMachine, image: string): boolean {
  return vm.spec.disks.some((d) => d.image === image) || vm.spec.cdrom?.image === image;
}

function checkHeader(h: UploadHeader, max: number): void {
  if (!isName(h.name)) throw uploadInvalid(`"${String(h.name).slice(0, 64)}" is not a valid Image name`, 'names are DNS labels: lower-case letters, digits and "-", at most 63', 'pass --name with a valid name, e.g. debian-12');
  if (!(FORMATS as readonly string[]).includes(h.format)) {
    throw uploadInvalid(`format "${h.format.slice(0, 32)}" is not iso, qcow2 or raw`, 'the format is never guessed from the bytes (a raw image could pose as qcow2)', 'pass --format iso, qcow2 or raw');
  }
  if (h.sha256 !== '' && !isSha256(h.sha256.toLowerCase())) throw uploadInvalid('the expected sha256 is not 64 hex digits', 'it is compared with the digest of the uploaded bytes', 'pass --sha256 with the output of `sha256sum FILE`');
  // The object the upload will write, checked by the kind's schema before any byte is taken
  // (labels come from the caller; the store trusts what the controller writes).
  const draft = validateResource({ apiVersion: 'hvs/v1', kind: 'Image', metadata: { name: h.name, labels: h.labels }, spec: { source: { upload: true }, format: h.format, sha256: '0'.repeat(64) } });
  if (!draft.ok) throw new HvsError({ ...draft.problems[0]!, category: 'InvalidArgument', problems: draft.problems });
  if (h.sizeBytes > max) throw imageTooLarge(h.name, h.sizeBytes, max);
  // Required: the end of a gRPC client stream does not prove the client finished (a cancel can
  // arrive as an end first), the byte count against the announced size does.
  if (!(h.sizeBytes > 0)) {
    throw uploadInvalid(`the upload of Image ${h.name} announces no size`, 'the controller keeps an upload only when exactly the announced number of bytes arrived (a cut-off stream must not become an image)', 'send size_bytes, the file size, in the header (hvctl image import does)');
  }
}
