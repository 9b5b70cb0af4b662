export { VolumeManager, VOLUME_FILE_MODE, type BaseImage, type Volume, type VolumeManagerOptions } from './volume-manager';
export { VolumeSet, type DiskToGrow, type LocalImageFormat, type LocalImage, type PoolUsage, type UnownedVolume } from './volume-set';
export { imageInfo, qemuImgRunner, type ImageFormat, type ImageInfo } from './qemu-img';
export { poolRoot, resolveBase, resolveInPool } from './pool-path';
export { confineAllToPools, confineToPool } from './path-confinement';
