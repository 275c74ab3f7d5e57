import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsInt, Max, Min } from 'class-validator';

/** 0 to 5 in half steps. */
export const RATING_STEPS = Array.from({ length: 11 }, (_, step) => step / 2);

export class SetProgressDto {
  @ApiProperty({ description: 'playback position in milliseconds', example: 754_000 })
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  progress!: number;
}

export class SetRatingDto {
  @ApiProperty({ description: 'from 0 to 5, in half steps', enum: RATING_STEPS, example: 4.5 })
  @IsIn(RATING_STEPS, { message: 'rating must be one of 0, 0.5, 1, ... 5' })
  rating!: number;
}

export class MediaProgressDto {
  @ApiProperty() userRef!: string;
  @ApiProperty() mediaRef!: string;
  @ApiProperty({ description: 'playback position in milliseconds' }) progress!: number;
  @ApiProperty({ description: 'when it was set, epoch milliseconds' }) modified!: number;
}

export class MediaRatingDto {
  @ApiProperty() userRef!: string;
  @ApiProperty() mediaRef!: string;
  @ApiProperty({ description: 'from 0 to 5, in half steps' }) rating!: number;
  @ApiProperty({ description: 'when it was set, epoch milliseconds' }) modified!: number;
}
