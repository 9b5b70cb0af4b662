export { VolumeManager, type BaseImage, type Volume, type VolumeManagerOptions } from './volume-manager';
export { imageInfo, qemuImgRunner, type ImageFormat, type ImageInfo } from './qemu-img';
export { poolRoot, resolveBase, resolveInPool } from './pool-path';
