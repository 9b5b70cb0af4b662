import { credentials, Metadata } from '@grpc/grpc-js';
import { status as grpcStatus } from '@grpc/grpc-js';
import type { ClientTls } from '@hvs/pki';
import { v1 } from '@hvs/proto';
import { HvsError } from '@hvs/domain';
import { diskFull, markResumable } from './errors';
import { freeBytes, type PartFile } from './part-file';
import type { ProgressMeter } from './progress';

/** The bytes of an uploaded Image, from the controller (ImageService.Download), resumable by offset. */
export interface UploadedImageSource {
  download(req: { name: string; offset: number }, signal?: AbortSignal): AsyncIterable<v1.ImageChunk>;
  close(): void;
}

/**
 * ImageService.Download over the agent's controller connection settings: the controller address
 * and the node's mTLS identity (ClusterIdentity.controllerTls), so the controller knows which
 * node asks (permission node.self: only images its VMs use). One channel per download, dialled
 * with the credentials of that moment: a download is rare and may start after a certificate
 * renewal, which the controller wants used from then on (docs/joining.md).
 */
export function grpcImageSource(address: string, tls?: () => ClientTls | undefined): UploadedImageSource {
  const open = new Set<v1.ImageServiceClient>();
  return {
    download(req, signal) {
      const creds = tls?.();
      const client = new v1.ImageServiceClient(address, creds?.credentials ?? credentials.createInsecure(), creds?.options ?? {});
      open.add(client);
      const call = client.download({ name: req.name, offset: req.offset }, new Metadata());
      signal?.addEventListener('abort', () => call.cancel(), { once: true });
      const done = () => {
        open.delete(client);
        client.close();
      };
      call.once('end', done);
      call.once('error', done);
      return call as AsyncIterable<v1.ImageChunk>;
    },
    close: () => {
      for (const c of open) c.close();
      open.clear();
    },
  };
}

/**
 * Streams an uploaded image into `part` from its current size on. The controller's first
 * message carries the total size (free space is checked then). Errors: HVS-IMAGE-DISK-FULL,
 * HVS-IMAGE-DOWNLOAD-FAILED (with the gRPC status and the controller's message).
 */
export async function fetchUploaded(image: string, dir: string, source: UploadedImageSource, part: PartFile, meter: ProgressMeter, signal?: AbortSignal): Promise<number> {
  let total: number | undefined;
  try {
    for await (const chunk of source.download({ name: image, offset: part.size }, signal)) {
      if (total === undefined) {
        total = chunk.totalBytes > 0 ? chunk.totalBytes : 0;
        const free = await freeBytes(dir);
        if (total - part.size > free) throw diskFull(image, dir, total - part.size, free);
        meter.reset(part.size, total);
      }
      if (chunk.data.length > 0) await part.write(chunk.data, meter);
    }
  } catch (e) {
    if (e instanceof HvsError) throw e;
    const err = e as { code?: number | string; details?: string; message: string };
    if (err.code === 'ENOSPC') throw diskFull(image, dir, Math.max(0, (total ?? 0) - part.size), await freeBytes(dir).catch(() => 0));
    const named = typeof err.code === 'number' ? grpcStatus[err.code] : String(err.code ?? '');
    const resumable = err.code === grpcStatus.UNAVAILABLE || err.code === grpcStatus.ABORTED || err.code === grpcStatus.INTERNAL;
    const out = new HvsError({
      code: 'HVS-IMAGE-DOWNLOAD-FAILED', category: 'Unavailable',
      message: `image '${image}': download from the controller failed`,
      why: `${err.details || err.message}${named ? ` (${named})` : ''}`,
      fix: err.code === grpcStatus.NOT_FOUND ? `upload the image first (hvctl image import FILE, docs/images.md)`
        : err.code === grpcStatus.PERMISSION_DENIED || err.code === grpcStatus.UNAUTHENTICATED ? 'check this node\'s identity (docs/joining.md) and that a VM assigned here uses the image'
          : 'check that the controller is reachable; the agent resumes where it stopped',
    });
    throw resumable ? markResumable(out) : out;
  }
  if (total !== undefined && total > 0 && part.size !== total) {
    throw markResumable(new HvsError({
      code: 'HVS-IMAGE-DOWNLOAD-FAILED', category: 'Unavailable', message: `image '${image}': download from the controller ended early`,
      why: `the stream ended after ${part.size} of ${total} bytes`, fix: 'the agent resumes where it stopped',
    }));
  }
  return part.size;
}
