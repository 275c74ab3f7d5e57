import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Post,
  Req,
  Res,
  UnauthorizedException,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCookieAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiParam,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { Principal } from '../access/principal.js';
import { CurrentPrincipal, Public } from '../common/auth.decorators.js';
import {
  LoginDto,
  LoginResponseDto,
  PrincipalDto,
  SessionDto,
  StreamTicketDto,
} from './auth.dto.js';
import { AuthFailures } from './auth-failures.js';
import { AuthService } from './auth.service.js';
import { SessionService, type SessionTokens } from './session.service.js';
import { StreamTicketService } from './stream-ticket.service.js';
import { extractToken } from './token-extractor.js';
import { PublishesNoEvents } from '../common/event-backlog.guard.js';

const TOKEN_COOKIE = 'token';
const REFRESH_COOKIE = 'refresh';
/** The refresh cookie goes only where it is read: login, refresh and logout. */
const REFRESH_COOKIE_PATH = '/auth';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly sessions: SessionService,
    private readonly tickets: StreamTicketService,
    private readonly failures: AuthFailures,
  ) {}

  /** Logs in: an access token, and a session whose refresh cookie gets the next ones. */
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
    const tokens = await this.auth.login(
      body,
      request.ip ?? request.socket.remoteAddress ?? '',
      request.headers['user-agent'],
    );
    return handOut(request, response, tokens);
  }

  /**
   * A new access token for the `refresh` cookie, which is replaced by a new one. The cookie a
   * refresh replaced still gets an access token, and no new cookie, for REFRESH_GRACE_MS (tabs
   * that refresh at the same moment); after that, it ends the session, as a stolen one.
   */
  @Public()
  @PublishesNoEvents()
  @Post('refresh')
  @HttpCode(200)
  @ApiCookieAuth(REFRESH_COOKIE)
  @ApiOkResponse({ type: LoginResponseDto })
  @ApiUnauthorizedResponse({
    description: 'the session is unknown, expired or ended: both cookies are cleared',
  })
  async refresh(
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<LoginResponseDto> {
    try {
      const tokens = await this.sessions.refresh(cookieOf(request, REFRESH_COOKIE));
      return handOut(request, response, tokens);
    } catch (error) {
      if (error instanceof UnauthorizedException) {
        this.failures.count('refresh');
        clearCookies(response);
      }
      throw error;
    }
  }

  /**
   * Ends the session of the `refresh` cookie and of the access token, each when present and
   * valid: its tokens stop working and its streams close at once, on every process.
   */
  @Public()
  @PublishesNoEvents()
  @Post('logout')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'logged out; both cookies are cleared' })
  async logout(
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<void> {
    await this.sessions.logout({
      refreshToken: cookieOf(request, REFRESH_COOKIE),
      accessToken: extractToken(request),
    });
    clearCookies(response);
  }

  @Get('me')
  @ApiBearerAuth()
  @ApiCookieAuth(TOKEN_COOKIE)
  @ApiOkResponse({ type: PrincipalDto })
  me(@CurrentPrincipal() principal: Principal): PrincipalDto {
    return this.auth.describe(principal);
  }

  /** The caller's sessions that have neither expired nor ended, the last used first. */
  @Get('sessions')
  @ApiBearerAuth()
  @ApiCookieAuth(TOKEN_COOKIE)
  @ApiOkResponse({ type: [SessionDto] })
  listSessions(@Req() request: Request): Promise<SessionDto[]> {
    return this.sessions.list(extractToken(request));
  }

  /** Ends one of the caller's sessions: its tokens stop working and its streams close. */
  @PublishesNoEvents()
  @Delete('sessions/:id')
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiCookieAuth(TOKEN_COOKIE)
  @ApiParam({ name: 'id', format: 'uuid', description: 'the session' })
  @ApiNoContentResponse({ description: 'the session has ended' })
  @ApiNotFoundResponse({ description: 'the caller has no live session of this id' })
  revokeSession(
    @Param('id', ParseUUIDPipe) id: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<void> {
    return this.sessions.revoke(principal, id);
  }

  /**
   * A single-use ticket that opens one stream as `GET /sse?ticket=` or Socket.IO's `ticket`
   * query, within 30 s: for clients that must put a credential in a URL, so that the token
   * itself never appears in URLs and proxy logs. The stream ends when this token expires or
   * its session ends.
   */
  @PublishesNoEvents()
  @Post('stream-ticket')
  @ApiBearerAuth()
  @ApiCookieAuth(TOKEN_COOKIE)
  @ApiCreatedResponse({ type: StreamTicketDto })
  streamTicket(@Req() request: Request): Promise<StreamTicketDto> {
    return this.tickets.issue(extractToken(request));
  }
}

function cookieOf(request: Request, name: string): unknown {
  return (request.cookies as Record<string, unknown> | undefined)?.[name];
}

/** Sets the cookies of a login or a refresh; the body tells the access token too. */
function handOut(request: Request, response: Response, tokens: SessionTokens): LoginResponseDto {
  const { accessToken, expiresIn, refresh } = tokens;
  response.cookie(TOKEN_COOKIE, accessToken, {
    httpOnly: true,
    sameSite: 'strict',
    secure: request.secure,
    path: '/',
    maxAge: expiresIn * 1000,
  });
  if (refresh !== undefined) {
    response.cookie(REFRESH_COOKIE, refresh.token, {
      httpOnly: true,
      sameSite: 'strict',
      secure: request.secure,
      path: REFRESH_COOKIE_PATH,
      maxAge: refresh.expiresIn * 1000,
    });
  }
  return { accessToken, tokenType: 'Bearer', expiresIn };
}

function clearCookies(response: Response): void {
  response.clearCookie(TOKEN_COOKIE, { path: '/' });
  response.clearCookie(REFRESH_COOKIE, { path: REFRESH_COOKIE_PATH });
}
