import { ValidationPipe } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import cookieParser from 'cookie-parser';
import { BodyShapePipe } from './common/body-shape.pipe.js';
import { corsPolicy } from './common/cors-policy.js';
import { HttpExceptionFilter } from './common/http-exception.filter.js';
import type { AppConfig } from './config/app-config.js';
import { APP_CONFIG } from './config/config.provider.js';
import { serveDashboard } from './dashboard/serve-dashboard.js';

/** What main.ts and the e2e tests both apply to the application. */
export function configureApp(app: NestExpressApplication): void {
  app.disable('x-powered-by');
  const { corsOrigins, dashboardDir } = app.get<AppConfig>(APP_CONFIG);
  // Without listed origins no CORS headers at all; the Socket.IO channel applies the same list.
  if (corsOrigins.length > 0) app.enableCors(corsPolicy(corsOrigins));
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
      .setTitle('Reelay')
      .setDescription('Media server core with a real-time event API (GET /sse and Socket.IO)')
      .setVersion('0.1.0')
      .addBearerAuth()
      .addCookieAuth('token', { type: 'apiKey' }, 'token')
      .addCookieAuth('refresh', { type: 'apiKey' }, 'refresh')
      .build(),
  );
  SwaggerModule.setup('api/docs', app, document);
}
