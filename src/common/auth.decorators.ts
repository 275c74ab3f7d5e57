import { createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import type { Request } from 'express';
import type { Principal } from '../access/principal.js';

export const IS_PUBLIC = 'reelay:public';
export const NEEDS_SERVER_ADMIN = 'reelay:server-admin';

/** The route needs no token. */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/** The route needs a server admin (403 for anyone else). */
export const ServerAdminOnly = () => SetMetadata(NEEDS_SERVER_ADMIN, true);

/** The authenticated Principal of the request. */
export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Principal =>
    context.switchToHttp().getRequest<Request & { user: Principal }>().user,
);
