import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  Length,
  Max,
  Min,
} from 'class-validator';

export const MAX_BENCH_EVENTS = 100_000;
export const MAX_BENCH_EVENT_SIZE = 1024 * 1024;
export const MAX_BENCH_SCHEDULE_MS = 10 * 60 * 1000;

export class BenchPublishDto {
  @ApiProperty({ minimum: 1, maximum: MAX_BENCH_EVENTS, description: 'events to publish' })
  @IsInt()
  @Min(1)
  @Max(MAX_BENCH_EVENTS)
  count!: number;

  @ApiPropertyOptional({
    minimum: 0,
    maximum: MAX_BENCH_EVENT_SIZE,
    default: 512,
    description: 'about how many bytes the data line of each event holds',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_BENCH_EVENT_SIZE)
  size?: number;

  @ApiPropertyOptional({
    type: [String],
    description: 'event i goes to libraries[i % length]; default: every library',
  })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  @IsString({ each: true })
  @Length(1, 128, { each: true })
  libraries?: string[];

  @ApiPropertyOptional({
    minimum: 1,
    maximum: 60_000,
    description: 'publish one event every intervalMs rather than all at once',
  })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(1)
  @Max(60_000)
  intervalMs?: number;
}

export class BenchPublishResultDto {
  @ApiProperty() published!: number;
}
