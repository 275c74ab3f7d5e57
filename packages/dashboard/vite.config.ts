import react from '@vitejs/plugin-react';
import { defineConfig, loadEnv } from 'vite';

/** The server's routes, which `npm run dev` passes on to a running server. */
const API_PATHS = [
  '/auth',
  '/users',
  '/libraries',
  '/backups',
  '/events',
  '/sse',
  '/health',
  '/api',
];

// Built into dist/ by `npm run build`; the server serves it at / (no CDN, no external requests).
export default defineConfig(({ mode }) => {
  const { REELAY_URL = 'http://127.0.0.1:3000' } = loadEnv(mode, '.', 'REELAY_');
  return {
    plugins: [react()],
    base: '/',
    build: { outDir: 'dist', emptyOutDir: true },
    // Same origin for the page, the API and the stream, as when the server serves the build.
    server: { proxy: Object.fromEntries(API_PATHS.map((path) => [path, REELAY_URL])) },
  };
});
