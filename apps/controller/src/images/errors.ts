/** Errors of the controller's image handling (upload, download, sources at apply): what, why, fix. */
import { HvsError } from '@hvs/domain';

const GiB = 1024 ** 3;
const size = (n: number) => (n >= GiB ? `${(n / GiB).toFixed(1)} GiB` : `${(n / 1024 ** 2).toFixed(1)} MiB`);

export function uploadHeaderMissing(): HvsError {
  return new HvsError({
    code: 'HVS-IMAGE-UPLOAD-INVALID', category: 'InvalidArgument',
    message: 'the upload did not start with a header naming the Image',
    why: 'ImageService/Upload takes the header (name, format) first, then the bytes',
    fix: 'use `hvctl image import FILE --name NAME`, or send an ImageUploadHeader as the first message',
  });
}

export function uploadInvalid(message: string, why: string, fix: string): HvsError {
  return new HvsError({ code: 'HVS-IMAGE-UPLOAD-INVALID', category: 'InvalidArgument', message, why, fix });
}

export function imageTooLarge(name: string, bytes: number, max: number): HvsError {
  return new HvsError({
    code: 'HVS-IMAGE-TOO-LARGE', category: 'ResourceExhausted',
    message: `the upload of Image ${name} is larger than ${size(max)} (${bytes} bytes at least)`,
    why: 'the controller caps one upload at HVS_IMAGE_MAX_UPLOAD_BYTES; nothing was kept',
    fix: 'raise HVS_IMAGE_MAX_UPLOAD_BYTES on the controller (docs/controller-config.md), or serve the image over http(s) and use source.url',
  });
}

export function imageDiskFull(name: string, needed: number, free: number): HvsError {
  return new HvsError({
    code: 'HVS-IMAGE-DISK-FULL', category: 'ResourceExhausted',
    message: `not enough disk space on the controller for Image ${name}: ${size(needed)} needed, ${size(free)} free`,
    why: 'uploaded images are kept in <data dir>/images on the controller that received them; nothing was kept',
    fix: 'free space there (delete Images no VM uses: `hvctl delete image NAME`), or grow the file system',
  });
}

export function imageDigestMismatch(name: string, expected: string, actual: string): HvsError {
  return new HvsError({
    code: 'HVS-IMAGE-DIGEST-MISMATCH', category: 'InvalidArgument',
    message: `the bytes uploaded for Image ${name} have the digest ${actual}, not the expected ${expected}`,
    why: 'the file changed, was truncated, or the expected digest is wrong; the upload was deleted and no object written',
    fix: 'check the file (`sha256sum FILE`) and the digest you passed with --sha256, then import again',
  });
}

export function uploadSizeMismatch(name: string, declared: number, got: number): HvsError {
  return new HvsError({
    code: 'HVS-IMAGE-UPLOAD-INCOMPLETE', category: 'FailedPrecondition',
    message: `the upload of Image ${name} carried ${got} bytes, not the ${declared} its header announced`,
    why: 'the client stopped sending early or was cut off (or the file changed while it was read); nothing was kept',
    fix: 'import again; do not change the file while it uploads',
  });
}

export function imageSourceConflict(name: string): HvsError {
  return new HvsError({
    code: 'HVS-IMAGE-SOURCE-CONFLICT', category: 'FailedPrecondition',
    message: `Image ${name} already exists with a source.url; an upload cannot replace it`,
    why: 'one Image has one source: the nodes download it from its URL',
    fix: `import under another --name, or delete the Image first (hvctl delete image ${name})`,
  });
}

export function imageNotUploaded(name: string): HvsError {
  return new HvsError({
    code: 'HVS-IMAGE-NOT-UPLOADED', category: 'FailedPrecondition',
    message: `Image ${name} has no uploaded bytes to download`,
    why: 'only Images imported with `hvctl image import` (source.upload) are served by the controller; URL images are downloaded from their URL',
    fix: `import it (hvctl image import FILE --name ${name}) or give it a source.url`,
  });
}

/** Uploaded bytes live on the controller that received them (replication between replicas: planned). */
export function imageBytesElsewhere(name: string, digest: string): HvsError {
  return new HvsError({
    code: 'HVS-IMAGE-BYTES-ELSEWHERE', category: 'FailedPrecondition',
    message: `this controller does not hold the bytes of Image ${name} (${digest})`,
    why: 'uploaded bytes are kept only by the controller replica that received the upload; replication between replicas is planned (docs/images.md)',
    fix: `import the image again through this controller (hvctl image import FILE --name ${name}), or point the node's agent at the replica that received it`,
  });
}
