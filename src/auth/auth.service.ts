import { Injectable, UnauthorizedException } from '@nestjs/common';
import type { Principal } from '../access/principal.js';
import { UsersService } from '../users/users.service.js';
import type { LoginDto, LoginResponseDto, PrincipalDto } from './auth.dto.js';
import { TokenService } from './token.service.js';

@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersService,
    private readonly tokens: TokenService,
  ) {}

  async login({ username, password }: LoginDto): Promise<LoginResponseDto> {
    const user = await this.users.authenticate(username, password);
    if (!user) throw new UnauthorizedException('Wrong username or password');
    return {
      accessToken: this.tokens.sign(user.id),
      tokenType: 'Bearer',
      expiresIn: this.tokens.ttlSeconds,
    };
  }

  describe(principal: Principal): PrincipalDto {
    return {
      id: principal.userId,
      username: principal.username,
      role: principal.serverRole,
      libraries: Object.fromEntries(principal.grants()),
    };
  }
}
