import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

/**
 * Build of the teacher dashboard. Served by the server under `/admin/` (hence `base`), output to
 * `<repo>/dist/renderer`. The server sends `Content-Security-Policy: default-src 'self'`, so the build must not
 * need inline scripts: the module-preload polyfill is off (it would be inlined by some Vite versions) and every
 * asset is emitted as a file.
 */
const rendererRoot = fileURLToPath(new URL('.', import.meta.url));
const outDir = fileURLToPath(new URL('../dist/renderer', import.meta.url));

export default defineConfig({
  root: rendererRoot,
  base: '/admin/',
  plugins: [react()],
  build: {
    outDir,
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: true,
    target: 'es2022',
  },
  server: {
    // `vite --config renderer/vite.config.ts` during development: forward the API to a running server.
    proxy: { '/api': process.env['XARES_DEV_API'] ?? 'http://localhost:8080' },
  },
});
