import { ApiProperty, ApiPropertyOptional, IntersectionType, PartialType } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, IsUUID, Length, Max, MaxLength, Min } from 'class-validator';

/**
 * The fields of the catalog, one class each, combined per kind below. Optional fields accept
 * `null`, which clears them; an update leaves out what it does not change.
 */
class NameField {
  @ApiProperty({ example: 'The Expanse' })
  @IsString()
  @Length(1, 500)
  name!: string;
}

class OverviewField {
  @ApiPropertyOptional({ nullable: true, type: String })
  @IsOptional()
  @IsString()
  @MaxLength(20_000)
  overview?: string | null;
}

class YearField {
  @ApiPropertyOptional({ nullable: true, type: Number, example: 2015 })
  @IsOptional()
  @IsInt()
  @Min(1000)
  @Max(9999)
  year?: number | null;
}

class NumberingFields {
  @ApiPropertyOptional({ nullable: true, type: Number, example: 1 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(100_000)
  season?: number | null;

  @ApiPropertyOptional({ nullable: true, type: Number, example: 3 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  number?: number | null;
}

class MediaLinkField {
  @ApiPropertyOptional({
    nullable: true,
    type: String,
    description: 'id of a media of the same library that holds this element',
  })
  @IsOptional()
  @IsUUID()
  media?: string | null;
}

export class CreateSerieDto extends IntersectionType(NameField, OverviewField, YearField) {}
export class CreateEpisodeDto extends IntersectionType(
  NameField,
  NumberingFields,
  OverviewField,
  MediaLinkField,
) {}
export class CreateMovieDto extends IntersectionType(
  NameField,
  OverviewField,
  YearField,
  MediaLinkField,
) {}
export class CreatePersonDto extends IntersectionType(NameField, OverviewField) {}
export class CreateTagDto extends NameField {}

/** `null` stays refused where the create refuses it (a name), so an update cannot erase one. */
const updateOf = <T>(create: new () => T) => PartialType(create, { skipNullProperties: false });

export class UpdateSerieDto extends updateOf(CreateSerieDto) {}
export class UpdateEpisodeDto extends updateOf(CreateEpisodeDto) {}
export class UpdateMovieDto extends updateOf(CreateMovieDto) {}
export class UpdatePersonDto extends updateOf(CreatePersonDto) {}
export class UpdateTagDto extends updateOf(CreateTagDto) {}

/** What any catalog create or update carries, once validated by its kind's DTO. */
export interface CatalogInput {
  name?: string;
  overview?: string | null;
  year?: number | null;
  season?: number | null;
  number?: number | null;
  media?: string | null;
}
