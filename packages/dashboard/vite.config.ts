import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Built into dist/ by `npm run build`; the server serves it at / (no CDN, no external requests).
export default defineConfig({
  plugins: [react()],
  base: '/',
  build: { outDir: 'dist', emptyOutDir: true },
});
