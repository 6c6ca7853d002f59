import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin, type ProxyOptions } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
// Development only (`npx vite webui`): the API this dev server forwards /admin and /ui/session to.
const api = process.env.LLMGW_API ?? 'http://127.0.0.1:8080';
// Development only, never in the built app: before the API has console sessions, sign every proxied admin call
// with this admin JWT and answer GET /ui/session with a made-up user of role LLMGW_DEV_ROLE.
const devBearer = process.env.LLMGW_DEV_BEARER;

function devSession(): Plugin {
  return {
    name: 'llmgw-dev-session',
    apply: 'serve',
    configureServer(server) {
      if (!devBearer) return;
      server.middlewares.use('/ui/session', (req, res) => {
        const roles = [process.env.LLMGW_DEV_ROLE ?? 'admin'];
        res.setHeader('content-type', 'application/json');
        if (req.method === 'DELETE') res.statusCode = 204;
        res.end(req.method === 'DELETE' ? '' : JSON.stringify({ user: { id: 'dev', email: 'dev@localhost', roles } }));
      });
    },
  };
}

const forward: ProxyOptions = {
  target: api,
  changeOrigin: false,
  configure: (proxy) => {
    if (devBearer) proxy.on('proxyReq', (req) => req.setHeader('authorization', `Bearer ${devBearer}`));
  },
};

export default defineConfig({
  root,
  base: '/ui/',
  plugins: [devSession()],
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/webui', import.meta.url)),
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
  server: { port: 5173, proxy: { '/admin': forward, '/ui/session': forward } },
});
