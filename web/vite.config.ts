// Vite build of the dashboard: served by the daemon under /ui/, emitted next to the compiled
// daemon in dist/web so one `dist` folder holds everything `llmos up` needs.
import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/ui/',
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
    // The dashboard is one small page set; a single chunk keeps loading to two requests.
    chunkSizeWarningLimit: 300,
  },
  server: {
    // `npx vite web` during development: the API comes from a running daemon.
    proxy: { '/v1': process.env.LLMOS_HOST ?? 'http://127.0.0.1:7070' },
  },
});
