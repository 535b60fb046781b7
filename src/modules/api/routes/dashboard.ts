// The dashboard's static files under /ui, served while the dashboard module is loaded. The files are
// public (publicPath in server.ts): the page asks for the token, and every datum it shows comes from
// /v1 with that token. Routes must exist before the API listens, so they live here and look the
// dashboard module up per request (503 when it is unloaded or not built).
import fastifyStatic from '@fastify/static';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { Kinds } from '../../../contracts/kinds.js';
import { Unavailable } from '../../../kernel/errors.js';
import type { RouteKernel } from './context.js';
import type { DashboardApi } from '../../../contracts/dashboard.js';
import type { Api } from '../server.js';

// The page's files answer HEAD too (the API's routes do not: server.ts exposeHeadRoutes).
const hide = { schema: { hide: true }, exposeHeadRoute: true } as const;

export function dashboardRoutes(app: Api, k: RouteKernel): void {
  app.get('/', hide, async (_req, reply) => reply.redirect('/ui/'));
  app.get('/ui', hide, async (_req, reply) => reply.redirect('/ui/'));

  void app.register(
    async (ui) => {
      // Only reply.sendFile is used (serve: false): the directory comes from the module per request.
      // The root is a placeholder: every sendFile names the module's directory as its root.
      await ui.register(fastifyStatic, {
        root: path.parse(process.cwd()).root,
        serve: false,
        cacheControl: false,
      });
      // File names under assets/ carry a content hash, so they are cached for good; index.html never.
      ui.addHook('onSend', async (req, reply) => {
        if (reply.statusCode === 200) reply.header('cache-control', req.url.startsWith('/ui/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
      });
      const assetsDir = (): string => {
        const d = k.getSingle<DashboardApi>(Kinds.dashboard);
        if (!existsSync(path.join(d.assets, 'index.html'))) throw new Unavailable(`the dashboard is not built: run \`npx vite build web\` (no ${path.join(d.assets, 'index.html')})`);
        return d.assets;
      };
      ui.get('/', { ...hide, prefixTrailingSlash: 'slash' }, async (_req, reply) => reply.sendFile('index.html', assetsDir()));
      ui.get('/*', hide, async (req, reply) => {
        const root = assetsDir();
        const rel = (req.params as { '*': string })['*'];
        const file = path.resolve(root, rel);
        if (file.startsWith(root + path.sep) && isFile(file)) return reply.sendFile(path.relative(root, file), root);
        // Page paths fall back to the app (it routes on the client); a missing asset stays a 404.
        if (!path.extname(rel)) return reply.sendFile('index.html', root);
        return reply.code(404).send({ error: `no dashboard file ${rel}`, code: 'E_NOT_FOUND' });
      });
    },
    { prefix: '/ui' },
  );
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}
