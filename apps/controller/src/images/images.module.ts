/** Image bytes as a Nest module: the content-addressed files under <dataDir>/images and the ImageService. */
import { Module } from '@nestjs/common';
import { AuditService } from '../audit';
import { ControllerConfig } from '../config';
import { ServicesModule } from '../services';
import { OBJECT_STORE } from '../services/tokens';
import type { ObjectStore } from '../store';
import { ImageFiles } from './image-files';
import { ImageService } from './image.service';

@Module({
  imports: [ServicesModule],
  providers: [{
    provide: ImageService, inject: [OBJECT_STORE, AuditService, ControllerConfig],
    useFactory: (s: ObjectStore, a: AuditService, c: ControllerConfig) => new ImageService(s, a, new ImageFiles(c.dataDir), { maxUploadBytes: c.imageMaxUploadBytes }),
  }],
  exports: [ImageService],
})
export class ImagesModule {}
