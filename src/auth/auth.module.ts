import { Global, Module } from '@nestjs/common';
import { createSecretKey, type KeyObject } from 'node:crypto';
import { AccessModule } from '../access/access.module.js';
import { UsersModule } from '../users/users.module.js';
import { AuthController } from './auth.controller.js';
import { AuthFailures } from './auth-failures.js';
import { AuthService } from './auth.service.js';
import { ReelayJwtStrategy } from './reelay-jwt.strategy.js';
import { SessionRepository } from './session.repository.js';
import { SessionService } from './session.service.js';
import { SIGNING_KEY, SigningSecretRepository } from './signing-secret.repository.js';
import { StreamTicketRepository } from './stream-ticket.repository.js';
import { StreamTicketService } from './stream-ticket.service.js';
import { TokenService } from './token.service.js';

/**
 * Login, sessions and token verification: the `reelay-jwt` passport strategy for REST routes,
 * TokenService for the stream transports (through TokenStreamAuthenticator); AppModule installs
 * JwtAuthGuard for every route.
 */
@Global()
@Module({
  imports: [AccessModule, UsersModule],
  controllers: [AuthController],
  providers: [
    AuthFailures,
    AuthService,
    SigningSecretRepository,
    {
      provide: SIGNING_KEY,
      inject: [SigningSecretRepository],
      useFactory: async (secrets: SigningSecretRepository): Promise<KeyObject> =>
        // A KeyObject: jsonwebtoken verifies it about 40x faster than a string secret.
        createSecretKey(Buffer.from(await secrets.load(), 'utf8')),
    },
    TokenService,
    ReelayJwtStrategy,
    SessionRepository,
    SessionService,
    StreamTicketRepository,
    StreamTicketService,
  ],
  exports: [TokenService, StreamTicketService, AuthFailures],
})
export class AuthModule {}
