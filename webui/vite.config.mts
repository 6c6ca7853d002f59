import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// `npm run dev:ui`: the dev server forwards the API routes the console calls to a running gateway, so the
// session cookie and the admin API work as on the built console.
const api = process.env.LLMGW_API ?? 'http://127.0.0.1:8080';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/ui/',
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/webui', import.meta.url)),
    // a running gateway keeps serving the previous build meanwhile; scripts/console-build.mjs prunes old assets
    emptyOutDir: false,
    assetsDir: 'assets',
    // the served CSP has no 'unsafe-inline': no inlined scripts, styles or preload polyfill
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 600,
    sourcemap: false,
    rolldownOptions: {
      // TanStack Query's "use client" lines are for server components; a single-page app has none
      onwarn(warning, warn) {
        if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning);
      },
    },
  },
  server: { port: 5173, proxy: { '/admin': api, '/ui/session': api, '/ui/auth': api } },
});
