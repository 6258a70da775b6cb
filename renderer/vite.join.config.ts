import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

/**
 * Build of the participant join page (`renderer/join.html`). The server answers `/` with the built
 * `join.html` and serves its assets under `/join/` (hence `base`); output to `<repo>/dist/join`. As for the
 * dashboard, the page runs under a CSP without inline scripts: no module-preload polyfill, every asset a file.
 */
const rendererRoot = fileURLToPath(new URL('.', import.meta.url));
const outDir = fileURLToPath(new URL('../dist/join', import.meta.url));

export default defineConfig({
  root: rendererRoot,
  base: '/join/',
  plugins: [react()],
  build: {
    outDir,
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: true,
    target: 'es2022',
    rollupOptions: { input: fileURLToPath(new URL('./join.html', import.meta.url)) },
  },
});
