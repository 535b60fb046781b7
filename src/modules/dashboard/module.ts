// Registration of the dashboard: the web UI built by Vite into dist/web. The API serves its files
// under /ui (src/modules/api/routes/dashboard.ts) while this module is loaded, because the API server
// is already listening when other modules init and Fastify cannot add routes after listen.
// Unloading it (or `modules.dashboard.enabled: false` in the config) takes the UI offline; the
// data API stays as it is.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kinds } from '../../contracts/kinds.js';
import type { ModuleDef } from '../../kernel/module.js';
import type { DashboardApi } from '../../contracts/dashboard.js';

export interface DashboardConfig {
  /** Where the built files are; empty = dist/web of this installation. */
  assets: string;
}

export type { DashboardApi } from '../../contracts/dashboard.js';

export const dashboardPath = '/ui/';

/** dist/web of this installation: the nearest ancestor with a package.json, then dist/web. */
export function defaultAssetsDir(from = path.dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  while (!existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return path.join(dir, 'dist', 'web');
}

export const isBuilt = (assets: string): boolean => existsSync(path.join(assets, 'index.html'));

export const dashboardModule = (): ModuleDef<DashboardConfig, DashboardApi> => ({
  kind: Kinds.dashboard,
  id: 'web',
  description: 'Web dashboard at /ui on the API address',
  requires: [Kinds.api],
  defaults: { assets: '' },
  init(ctx) {
    const assets = path.resolve(ctx.config.assets || process.env.LLMOS_DASHBOARD_DIR || defaultAssetsDir());
    const built = isBuilt(assets);
    // Loads either way: an unbuilt dashboard answers 503 with the build command instead of vanishing.
    if (!built) ctx.log.warn(`dashboard not built (no ${path.join(assets, 'index.html')}): run \`npx vite build web\``);
    ctx.meta.exports.path = dashboardPath;
    ctx.meta.exports.assets = assets;
    ctx.meta.exports.built = built;
    return { assets, path: dashboardPath };
  },
});
