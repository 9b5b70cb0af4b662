export * from './errors';
export * from './image-files';
export * from './image.service';
export * from './images.module';
