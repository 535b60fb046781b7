// Every route group of the Docker API, in match order (explicit 501s last).
import type { DockerDeps } from '../deps.js';
import { Router } from '../router.js';
import { archiveRoutes } from './archive.js';
import { containerRoutes } from './containers.js';
import { execRoutes } from './exec.js';
import { imageRoutes } from './images.js';
import { networkRoutes } from './networks.js';
import { statsRoutes } from './stats.js';
import { streamRoutes } from './streams.js';
import { systemRoutes } from './system.js';
import { unsupportedRoutes } from './unsupported.js';
import { volumeRoutes } from './volumes.js';

export function dockerRouter(d: DockerDeps): Router {
  const r = new Router();
  systemRoutes(r, d);
  imageRoutes(r, d);
  containerRoutes(r, d);
  archiveRoutes(r, d);
  streamRoutes(r, d);
  execRoutes(r, d);
  statsRoutes(r, d);
  networkRoutes(r, d);
  volumeRoutes(r, () => d.volumes());
  unsupportedRoutes(r, d);
  return r;
}
