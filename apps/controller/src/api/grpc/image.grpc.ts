/**
 * hvs.v1.ImageService over gRPC: Upload (client stream: header, then bytes) and Download
 * (server stream from an offset), both delegating to images/ImageService.
 */
import type { v1 } from '@hvs/proto';
import type { ImageService, UploadPart } from '../../images/image.service';
import { clientStream, serverStream, type GrpcEdge } from './grpc-call';

/** The wire messages as the service's parts (an empty message is skipped). */
async function* partsOf(messages: AsyncIterable<v1.ImageUploadChunk>): AsyncGenerator<UploadPart> {
  for await (const m of messages) {
    if (m.part?.$case === 'header') yield { header: m.part.value };
    else if (m.part?.$case === 'data') yield { data: m.part.value };
  }
}

export function imageHandlers(service: ImageService, edge: GrpcEdge): v1.ImageServiceServer {
  return {
    upload: clientStream(edge, 'ImageService/Upload', async (messages: AsyncIterable<v1.ImageUploadChunk>, ctx): Promise<v1.ImageUploadResponse> => {
      const r = await service.upload(partsOf(messages), ctx);
      return { name: r.name, sizeBytes: r.sizeBytes, digest: r.digest, changed: r.changed };
    }),
    download: serverStream(edge, 'ImageService/Download', (r: v1.ImageDownloadRequest, ctx) => service.download(r.name, r.offset, ctx)),
  };
}
