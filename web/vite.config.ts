import { defineConfig } from 'vite';

// The console is served by nguon-server from web/dist (see [server] web_root in the config).
// During `npm run dev`, API calls are proxied to a running server: NGUON_API=http://127.0.0.1:PORT.
export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    assetsInlineLimit: 0,
    sourcemap: false,
  },
  server: {
    proxy: {
      '/api': { target: process.env.NGUON_API ?? 'http://127.0.0.1:8080', changeOrigin: false },
    },
  },
});
