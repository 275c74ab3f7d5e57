import { ValidationPipe } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import cookieParser from 'cookie-parser';
import { APP_INFO } from './app.info.js';
import { BodyShapePipe } from './common/body-shape.pipe.js';
import { corsPolicy } from './common/cors-policy.js';
import { HttpExceptionFilter } from './common/http-exception.filter.js';
import type { AppConfig } from './config/app-config.js';
import { APP_CONFIG } from './config/config.provider.js';
import { serveDashboard } from './dashboard/serve-dashboard.js';
import { SseService } from './events/sse/sse.service.js';
import { REQUEST_ID_HEADER, requestLogging } from './logging/request-logging.middleware.js';

/** What main.ts and the e2e tests both apply to the application. */
export function configureApp(app: NestExpressApplication): void {
  app.disable('x-powered-by');
  const { corsOrigins, dashboardDir, trustedProxies } = app.get<AppConfig>(APP_CONFIG);
  // `request.ip` (login throttling's key) and `request.secure` (the cookies' Secure flag) follow
  // X-Forwarded-For and X-Forwarded-Proto only as far back as the hops are listed proxies; with
  // none listed, a client could otherwise name any address it likes.
  app.set('trust proxy', trustedProxies.length > 0 ? [...trustedProxies] : false);
  // First, so that every request has its id, whatever answers it.
  const sse = app.get(SseService, { strict: false });
  app.use(requestLogging({ outlivesResponse: (socket) => sse.carriesStream(socket) }));
  // Without listed origins no CORS headers at all; the Socket.IO channel applies the same list.
  // Their pages may read a response's request id, to quote it when something failed.
  if (corsOrigins.length > 0) app.enableCors(corsPolicy(corsOrigins, [REQUEST_ID_HEADER]));
  app.use(cookieParser());
  serveDashboard(app, dashboardDir);
  app.useGlobalPipes(
    new BodyShapePipe(),
    new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }),
  );
  app.useGlobalFilters(new HttpExceptionFilter());
  // The shutdown drains (README, "Stopping"); once it is over, the stop was clean: exit code 0,
  // where Nest would otherwise raise the signal again and end with 143 or 130.
  app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle(APP_INFO.title)
      .setDescription(APP_INFO.description)
      .setVersion(APP_INFO.version)
      .addBearerAuth()
      .addCookieAuth('token', { type: 'apiKey' }, 'token')
      .addCookieAuth('refresh', { type: 'apiKey' }, 'refresh')
      .build(),
  );
  SwaggerModule.setup('api/docs', app, document);
}
