import { Injectable } from '@nestjs/common';
import type { TokenFailure } from './token.service.js';

/**
 * Why a request was refused its identity: a token's failure (REST routes and streams alike), a
 * wrong username or password, a login refused for too many failures, or a refresh cookie that
 * renews nothing.
 */
export type AuthFailureReason = TokenFailure | 'password' | 'throttled' | 'refresh';

export const AUTH_FAILURE_REASONS: readonly AuthFailureReason[] = [
  'missing',
  'expired',
  'invalid',
  'unknown-user',
  'revoked',
  'ticket',
  'password',
  'throttled',
  'refresh',
];

/** Refused authentications since the process started, by reason, for the metrics. */
@Injectable()
export class AuthFailures {
  private readonly counts = new Map<AuthFailureReason, number>();

  count(reason: AuthFailureReason): void {
    this.counts.set(reason, (this.counts.get(reason) ?? 0) + 1);
  }

  of(reason: AuthFailureReason): number {
    return this.counts.get(reason) ?? 0;
  }
}
