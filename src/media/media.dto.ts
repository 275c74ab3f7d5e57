import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { IsOptionalNotNull } from '../common/validation.decorators.js';
import type { Media } from '../events/events.types.js';
import {
  AUDIO_CODECS,
  type AudioCodec,
  type Container,
  CONTAINERS,
  MAX_HEIGHTS,
  type MaxHeight,
  type Preset,
  PRESETS,
  VIDEO_CODECS,
  type VideoCodec,
} from './conversion-options.js';
import { MIMETYPE_PATTERN } from './mimetypes.js';

export const MAX_BULK_MEDIAS = 1000;
export const MAX_PAGE_SIZE = 1000;
export const DEFAULT_PAGE_SIZE = 100;
const MAX_DIMENSION = 100_000;

export class CreateMediaDto {
  @ApiProperty({ example: 'Holiday 2024.mp4' })
  @IsString()
  @Length(1, 255)
  @Matches(/^[^\0]*$/, { message: 'name must not contain NUL characters' })
  name!: string;

  @ApiPropertyOptional({ example: 'video/mp4', description: 'guessed from the name if absent' })
  @IsOptionalNotNull()
  @IsString()
  @Matches(MIMETYPE_PATTERN, { message: 'mimetype must look like type/subtype' })
  mimetype?: string;

  @ApiPropertyOptional({ nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(10_000)
  description?: string | null;

  @ApiPropertyOptional({ nullable: true, description: 'milliseconds' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  durationMs?: number | null;

  @ApiPropertyOptional({ nullable: true })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_DIMENSION)
  width?: number | null;

  @ApiPropertyOptional({ nullable: true })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_DIMENSION)
  height?: number | null;

  @ApiPropertyOptional({ description: 'epoch ms; now if absent' })
  @IsOptionalNotNull()
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  modified?: number;
}

export class UpdateMediaDto extends PartialType(CreateMediaDto, { skipNullProperties: false }) {}

export class MediaChangeDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  id!: string;

  @ApiProperty({ type: UpdateMediaDto })
  @IsObject()
  @ValidateNested()
  @Type(() => UpdateMediaDto)
  changes!: UpdateMediaDto;
}

/** Either the same `changes` for every media of `ids`, or one change set per media (`items`). */
export class UpdateMediasDto {
  @ApiPropertyOptional({ type: [String], format: 'uuid' })
  @IsOptionalNotNull()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_BULK_MEDIAS)
  @ArrayUnique()
  @IsUUID(undefined, { each: true })
  ids?: string[];

  @ApiPropertyOptional({ type: UpdateMediaDto })
  @IsOptionalNotNull()
  @IsObject()
  @ValidateNested()
  @Type(() => UpdateMediaDto)
  changes?: UpdateMediaDto;

  @ApiPropertyOptional({ type: [MediaChangeDto] })
  @IsOptionalNotNull()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_BULK_MEDIAS)
  @ValidateNested({ each: true })
  @Type(() => MediaChangeDto)
  items?: MediaChangeDto[];
}

export class DeleteMediasDto {
  @ApiProperty({ type: [String], format: 'uuid' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_BULK_MEDIAS)
  @ArrayUnique()
  @IsUUID(undefined, { each: true })
  ids!: string[];
}

export class ListMediasQueryDto {
  @ApiPropertyOptional({ default: DEFAULT_PAGE_SIZE, maximum: MAX_PAGE_SIZE })
  @IsOptionalNotNull()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  limit?: number;

  @ApiPropertyOptional({ description: 'skip this many medias (not with cursor)' })
  @IsOptionalNotNull()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  offset?: number;

  @ApiPropertyOptional({ description: 'the nextCursor of the previous page (not with offset)' })
  @IsOptionalNotNull()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}

export class MediaDto {
  @ApiProperty() id!: string;
  @ApiProperty() library!: string;
  @ApiProperty() name!: string;
  @ApiProperty() mimetype!: string;
  @ApiProperty() size!: number;
  @ApiProperty({ description: 'epoch ms' }) modified!: number;
  @ApiProperty({ description: 'epoch ms' }) added!: number;
  @ApiProperty({ description: 'epoch ms' }) updated!: number;
  @ApiProperty({ enum: ['scan', 'upload', 'conversion', 'metadata'] })
  origin!: 'scan' | 'upload' | 'conversion' | 'metadata';
  @ApiPropertyOptional({ nullable: true }) description?: string | null;
  @ApiPropertyOptional({ nullable: true }) durationMs?: number | null;
  @ApiPropertyOptional({ nullable: true }) width?: number | null;
  @ApiPropertyOptional({ nullable: true }) height?: number | null;
  @ApiProperty({ description: 'whether GET .../file serves a file' }) hasFile!: boolean;
}

export class MediaPageDto {
  @ApiProperty({ type: [MediaDto] }) items!: Media[];
  @ApiProperty({ description: 'medias in the library' }) total!: number;
  @ApiProperty() limit!: number;
  @ApiProperty({ nullable: true, description: 'null when paging by cursor' })
  offset!: number | null;
  @ApiProperty({ nullable: true, description: 'pass as ?cursor= for the next page' })
  nextCursor!: string | null;
}

export class ConvertMediaDto {
  @ApiProperty({ enum: CONTAINERS })
  @IsIn(CONTAINERS)
  container!: Container;

  @ApiPropertyOptional({ enum: VIDEO_CODECS })
  @IsOptionalNotNull()
  @IsIn(VIDEO_CODECS)
  videoCodec?: VideoCodec;

  @ApiPropertyOptional({ enum: AUDIO_CODECS, description: '`none` drops the audio' })
  @IsOptionalNotNull()
  @IsIn(AUDIO_CODECS)
  audioCodec?: AudioCodec;

  @ApiPropertyOptional({ enum: PRESETS, default: 'fast' })
  @IsOptionalNotNull()
  @IsIn(PRESETS)
  preset?: Preset;

  @ApiPropertyOptional({ enum: MAX_HEIGHTS, description: 'scale down to at most this height' })
  @IsOptionalNotNull()
  @IsIn(MAX_HEIGHTS)
  maxHeight?: MaxHeight;
}

export class ConversionJobDto {
  @ApiProperty() jobId!: string;
  @ApiProperty() library!: string;
  @ApiProperty({ description: 'the media being converted' }) mediaId!: string;
  @ApiProperty({ enum: ['queued', 'processing', 'completed', 'failed', 'canceled'] })
  status!: string;
  @ApiProperty() progress!: number;
  @ApiProperty({ enum: CONTAINERS }) container!: Container;
  @ApiProperty({ enum: VIDEO_CODECS }) videoCodec!: VideoCodec;
  @ApiProperty({ enum: AUDIO_CODECS }) audioCodec!: AudioCodec;
  @ApiProperty({ enum: PRESETS }) preset!: Preset;
  @ApiProperty({ nullable: true }) maxHeight!: number | null;
  @ApiPropertyOptional({ nullable: true }) outputMediaId?: string | null;
  @ApiPropertyOptional({ nullable: true }) error?: string | null;
  @ApiProperty({ description: 'epoch ms' }) queuedAt!: number;
}

export class ScanStatusDto {
  @ApiProperty() scanId!: string;
  @ApiProperty() library!: string;
  @ApiProperty({ enum: ['running', 'completed', 'failed'] }) status!: string;
  @ApiProperty() progress!: number;
  @ApiProperty() added!: number;
  @ApiProperty() updated!: number;
  @ApiProperty() removed!: number;
  @ApiProperty({ description: 'epoch ms' }) startedAt!: number;
  @ApiPropertyOptional({ nullable: true }) finishedAt!: number | null;
  @ApiPropertyOptional({ nullable: true }) error!: string | null;
}
