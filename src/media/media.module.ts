import { Module } from '@nestjs/common';
import { LibrariesModule } from '../libraries/libraries.module.js';
import { FfmpegAdapter } from './ffmpeg.adapter.js';
import { MediaController } from './media.controller.js';
import { MediaRepository } from './media.repository.js';
import { MediaService } from './media.service.js';
import { MediaConversionController } from './media-conversion.controller.js';
import { MediaConversionService } from './media-conversion.service.js';
import { MediaScanController } from './media-scan.controller.js';
import { MediaScanService } from './media-scan.service.js';
import { MediaStorage } from './media-storage.repository.js';
import { MediaUploadController } from './media-upload.controller.js';
import { MediaUploadService } from './media-upload.service.js';
import { MultipartAdapter } from './multipart.adapter.js';

/** Medias of a library: metadata, files (streamed with Range), uploads, scans, conversions. */
@Module({
  imports: [LibrariesModule],
  controllers: [
    MediaController,
    MediaUploadController,
    MediaScanController,
    MediaConversionController,
  ],
  providers: [
    MediaRepository,
    MediaStorage,
    MultipartAdapter,
    MediaService,
    MediaUploadService,
    MediaScanService,
    FfmpegAdapter,
    MediaConversionService,
  ],
})
export class MediaModule {}
