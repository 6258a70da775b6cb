import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The dev server is reached through the workspace's forwarded-port address (<workspace>-3000.<domain>),
// so it listens on every interface and accepts any Host header.
export default defineConfig({
  plugins: [react()],
  server: {
    host: '0.0.0.0',
    port: 3000,
    strictPort: true,
    allowedHosts: true,
  },
  preview: {
    host: '0.0.0.0',
    port: 3000,
    strictPort: true,
    allowedHosts: true,
  },
});
