import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsInt,
  IsOptional,
  IsString,
  Length,
  Max,
  Min,
} from 'class-validator';

export const MAX_BENCH_EVENTS = 100_000;
export const MAX_BENCH_EVENT_SIZE = 1024 * 1024;

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
}

export class BenchPublishResultDto {
  @ApiProperty() published!: number;
}
