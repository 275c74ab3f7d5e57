import { Body, Controller, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCookieAuth,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { Principal } from '../access/principal.js';
import { CurrentPrincipal, Public } from '../common/auth.decorators.js';
import { LoginDto, LoginResponseDto, PrincipalDto, StreamTicketDto } from './auth.dto.js';
import { AuthService } from './auth.service.js';
import { StreamTicketService } from './stream-ticket.service.js';
import { extractToken } from './token-extractor.js';
import { PublishesNoEvents } from '../common/event-backlog.guard.js';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly tickets: StreamTicketService,
  ) {}

  @Public()
  @PublishesNoEvents()
  @Post('login')
  @HttpCode(200)
  @ApiOkResponse({ type: LoginResponseDto })
  @ApiTooManyRequestsResponse({ description: 'too many failed logins; see Retry-After' })
  async login(
    @Body() body: LoginDto,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<LoginResponseDto> {
    const result = await this.auth.login(body, request.ip ?? request.socket.remoteAddress ?? '');
    response.cookie('token', result.accessToken, {
      httpOnly: true,
      sameSite: 'strict',
      secure: request.secure,
      path: '/',
      maxAge: result.expiresIn * 1000,
    });
    return result;
  }

  @Public()
  @PublishesNoEvents()
  @Post('logout')
  @HttpCode(204)
  logout(@Res({ passthrough: true }) response: Response): void {
    response.clearCookie('token', { path: '/' });
  }

  @Get('me')
  @ApiBearerAuth()
  @ApiCookieAuth('token')
  @ApiOkResponse({ type: PrincipalDto })
  me(@CurrentPrincipal() principal: Principal): PrincipalDto {
    return this.auth.describe(principal);
  }

  /**
   * A single-use ticket that opens one stream as `GET /sse?ticket=` or Socket.IO's `ticket`
   * query, within 30 s: for clients that must put a credential in a URL, so that the token
   * itself never appears in URLs and proxy logs. The stream ends when this token expires.
   */
  @PublishesNoEvents()
  @Post('stream-ticket')
  @ApiBearerAuth()
  @ApiCookieAuth('token')
  @ApiCreatedResponse({ type: StreamTicketDto })
  streamTicket(@Req() request: Request): Promise<StreamTicketDto> {
    return this.tickets.issue(extractToken(request));
  }
}
