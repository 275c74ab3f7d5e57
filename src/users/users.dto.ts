import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsString, Length, Matches } from 'class-validator';
import { SERVER_ROLES, type ServerRole } from '../access/roles.js';

export const USERNAME_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

export class CreateUserDto {
  @ApiProperty({ example: 'alice' })
  @IsString()
  @Matches(USERNAME_PATTERN, {
    message: 'username may hold 1 to 64 letters, digits, ".", "_" or "-"',
  })
  username!: string;

  @ApiProperty({ minLength: 8, maxLength: 256 })
  @IsString()
  @Length(8, 256)
  password!: string;

  @ApiProperty({ enum: SERVER_ROLES })
  @IsIn(SERVER_ROLES)
  role!: ServerRole;
}

export class UserDto {
  @ApiProperty() id!: string;
  @ApiProperty() username!: string;
  @ApiProperty({ enum: SERVER_ROLES }) role!: ServerRole;
  @ApiProperty({ description: 'epoch milliseconds' }) createdAt!: number;
}
