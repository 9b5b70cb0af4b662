export { ImageCache, type ImageCacheOptions, type ImageNeeds, type LocalImage, type LocalImageFormat } from './image-cache';
export { grpcImageSource, type UploadedImageSource } from './controller-source';
export { parseDigest, formatDigest, expectedDigest, type Digest } from './digest';
export { refusedAddress, refusingLookup } from './address-policy';
export { imagesOf } from './image-use';
