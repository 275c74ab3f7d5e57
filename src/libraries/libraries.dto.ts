import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import {
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { Type } from 'class-transformer';
import { LIBRARY_ROLES, type LibraryRole } from '../access/roles.js';
import { IsOptionalNotNull } from '../common/validation.decorators.js';
import { LIBRARY_TYPES, type LibraryType } from '../events/events.types.js';

export class LibraryCredentialsDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(256)
  username?: string;

  @ApiPropertyOptional({ writeOnly: true })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  password?: string;

  @ApiPropertyOptional({ description: 'e.g. an IPTV playlist address' })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  url?: string;
}

export class CreateLibraryDto {
  @ApiProperty({ example: 'Family photos' })
  @IsString()
  @Length(1, 200)
  name!: string;

  @ApiProperty({ enum: LIBRARY_TYPES })
  @IsIn(LIBRARY_TYPES)
  type!: LibraryType;

  @ApiPropertyOptional({ description: 'absolute folder on the server (server admins only)' })
  @IsOptionalNotNull()
  @IsString()
  @MaxLength(4096)
  @Matches(/^\/[^\0]*$/, { message: 'root must be an absolute path' })
  root?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptionalNotNull()
  @IsObject()
  settings?: Record<string, unknown>;

  @ApiPropertyOptional({ type: LibraryCredentialsDto, writeOnly: true })
  @IsOptionalNotNull()
  @IsObject()
  @ValidateNested()
  @Type(() => LibraryCredentialsDto)
  credentials?: LibraryCredentialsDto;
}

/** Every field may be left out; none may be `null`. */
export class UpdateLibraryDto extends PartialType(CreateLibraryDto, {
  skipNullProperties: false,
}) {}

export class SetLibraryRoleDto {
  @ApiProperty({ enum: LIBRARY_ROLES, description: '`none` removes the grant' })
  @IsIn(LIBRARY_ROLES)
  role!: LibraryRole;
}

export class LibraryDto {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: LIBRARY_TYPES }) type!: LibraryType;
  @ApiPropertyOptional({ nullable: true, description: 'library admins only' }) root?: string | null;
  @ApiPropertyOptional({ description: 'library admins only' }) settings?: Record<string, unknown>;
  @ApiProperty() createdAt!: number;
  @ApiProperty() updatedAt!: number;
  @ApiProperty({ enum: LIBRARY_ROLES, description: "the caller's role" }) role!: LibraryRole;
}
