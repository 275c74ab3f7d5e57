import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';
import { SERVER_ROLES, type ServerRole } from '../access/roles.js';

export class LoginDto {
  @ApiProperty({ example: 'admin' })
  @IsString()
  @Length(1, 64)
  username!: string;

  @ApiProperty()
  @IsString()
  @Length(1, 256)
  password!: string;
}

export class LoginResponseDto {
  @ApiProperty() accessToken!: string;
  @ApiProperty({ example: 'Bearer' }) tokenType!: 'Bearer';
  @ApiProperty({ description: 'seconds until the token expires' }) expiresIn!: number;
}

export class SessionDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'date-time', description: 'the login' }) createdAt!: string;
  @ApiProperty({ format: 'date-time', description: 'the login or the last refresh' })
  lastUsedAt!: string;
  @ApiProperty({ format: 'date-time', description: 'when it ends unless refreshed before' })
  expiresAt!: string;
  @ApiProperty({ description: "the login request's User-Agent (at most 200 characters)" })
  userAgent!: string;
  @ApiProperty({ description: 'whether it is the session of the token that asks' })
  current!: boolean;
}

export class StreamTicketDto {
  @ApiProperty({ description: 'opens one stream as the `ticket` query' }) ticket!: string;
  @ApiProperty({ description: 'seconds it may wait to be used', example: 30 })
  expiresIn!: number;
}

export class PrincipalDto {
  @ApiProperty() id!: string;
  @ApiProperty() username!: string;
  @ApiProperty({ enum: SERVER_ROLES }) role!: ServerRole;
  @ApiProperty({
    description: 'library id -> role, for the libraries with a stored grant',
    type: 'object',
    additionalProperties: { type: 'string', enum: ['read', 'write', 'admin'] },
  })
  libraries!: Record<string, string>;
}
