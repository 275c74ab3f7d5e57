import { Injectable, Logger, UnauthorizedException } from '@nestjs/common';
import type { Principal } from '../access/principal.js';
import { UsersService } from '../users/users.service.js';
import type { LoginDto, PrincipalDto } from './auth.dto.js';
import { RetryLaterException } from '../common/retry-later.exception.js';
import { FailureThrottle, type ThrottlePolicy } from './failure-throttle.js';
import { AuthFailures } from './auth-failures.js';
import { type IssuedRefresh, SessionService, type SessionTokens } from './session.service.js';

/**
 * A username may fail 5 times, then waits 1 s, 2 s, 4 s ... at most a minute after each further
 * failure: guessing is slow, and nobody can keep a user locked out for longer than that.
 */
const BY_USERNAME: ThrottlePolicy = {
  freeFailures: 5,
  firstDelayMs: 1000,
  maxDelayMs: 60_000,
  forgetAfterMs: 15 * 60_000,
  maxKeys: 100_000,
};
/** An address that tries many usernames waits longer, up to a quarter of an hour. */
const BY_ADDRESS: ThrottlePolicy = {
  freeFailures: 20,
  firstDelayMs: 1000,
  maxDelayMs: 15 * 60_000,
  forgetAfterMs: 60 * 60_000,
  maxKeys: 100_000,
};

@Injectable()
export class AuthService {
  private readonly failuresByUsername = new FailureThrottle(BY_USERNAME);
  private readonly failuresByAddress = new FailureThrottle(BY_ADDRESS);
  private readonly logger = new Logger(AuthService.name);

  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionService,
    private readonly failures: AuthFailures,
  ) {}

  /**
   * Logs in, unless the username or the client's address failed too often lately (429 with
   * `Retry-After`). Each attempt counts as a failure before the password is checked, so a burst
   * of parallel guesses is throttled like one after another; a success takes it back, and starts
   * a session.
   */
  async login(
    { username, password }: LoginDto,
    address: string,
    userAgent: string | undefined,
  ): Promise<SessionTokens & { refresh: IssuedRefresh }> {
    const userKey = username.toLowerCase();
    const now = Date.now();
    const waitMs = Math.max(
      this.failuresByUsername.waitMs(userKey, now),
      this.failuresByAddress.waitMs(address, now),
    );
    if (waitMs > 0) {
      this.failures.count('throttled');
      const seconds = Math.ceil(waitMs / 1000);
      this.logger.log(`A login from ${address} was throttled (${seconds} s to wait)`);
      throw new RetryLaterException(`Too many failed logins: try again in ${seconds} s`, seconds);
    }
    this.failuresByUsername.failed(userKey, now);
    this.failuresByAddress.failed(address, now);
    const user = await this.users.authenticate(username, password);
    if (!user) {
      this.failures.count('password');
      // Not the username: people type their password into that field too.
      this.logger.log(`A login from ${address} failed: wrong username or password`);
      throw new UnauthorizedException('Wrong username or password');
    }
    this.logger.log(`User ${user.id} ("${username}") logged in from ${address}`);
    this.failuresByUsername.succeeded(userKey);
    this.failuresByAddress.forgiveOne(address);
    return this.sessions.start(user.id, userAgent);
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
