import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { join } from 'node:path';
import type { ErrorBody } from '../common/http-exception.filter.js';

/**
 * The page loads its own script, style sheet and API and nothing else: Vite's build has no inline
 * script or style, so none is allowed, and no other site may frame it.
 */
const PAGE_HEADERS = {
  'Content-Security-Policy':
    "default-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'Cache-Control': 'no-cache',
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'Cross-Origin-Opener-Policy': 'same-origin',
};

const NOT_BUILT: ErrorBody = {
  statusCode: 404,
  error: 'Not Found',
  message: 'The dashboard is not built: run `npm run build`, or point DASHBOARD_DIR at its build',
};

function asksForPage(request: Request): boolean {
  return (
    (request.method === 'GET' || request.method === 'HEAD') &&
    (request.path === '/' || request.path === '/index.html')
  );
}

/**
 * Serves the built dashboard: its page at `/` and its files under `/assets/`, paths no API route
 * uses, so that nothing in the folder can shadow one. The page is asked for again on every load
 * (no-cache) and names its assets by content hash, so the assets are cached for good. Without a
 * build, `/` answers 404 and the API works as ever.
 */
export function serveDashboard(app: NestExpressApplication, dir: string): void {
  const page = join(dir, 'index.html');
  app.use((request: Request, response: Response, next: NextFunction) => {
    if (!asksForPage(request)) return next();
    response.sendFile(page, { headers: PAGE_HEADERS, cacheControl: false }, (error?: Error) => {
      if (!error || response.headersSent) return;
      if ((error as { status?: number }).status === 404) response.status(404).json(NOT_BUILT);
      else next(error);
    });
  });
  app.useStaticAssets(join(dir, 'assets'), {
    prefix: '/assets/',
    index: false,
    redirect: false,
    immutable: true,
    maxAge: '365d',
    setHeaders: (response) => response.setHeader('X-Content-Type-Options', 'nosniff'),
  });
}
