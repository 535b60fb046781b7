// Endpoints LLMOS does not serve (yet), each a 501 naming what is missing: never a silent success.
import type { Call } from '../call.js';
import type { DockerDeps } from '../deps.js';
import { DockerError, orNoSuch } from '../errors.js';
import type { Router } from '../router.js';
import { ID } from './containers.js';

const no = (what: string, why: string, before?: (c: Call) => Promise<unknown>) => async (c: Call) => {
  await before?.(c);
  throw new DockerError(501, `${what} is not implemented by LLMOS: ${why}`);
};

export function unsupportedRoutes(r: Router, d: DockerDeps): void {
  // A missing container is still a 404 (what the CLI reports first).
  const exists = (c: Call) => orNoSuch('container', c.params.id!, () => d.containers().inspect(c.params.id!));
  r.on('GET', `/containers/${ID}/export`, no('docker export', 'not offered', exists));
  r.on('GET', `/containers/${ID}/changes`, no('docker diff', 'not offered', exists));
  // Without it the path matches only DELETE /images/{name}: a 405 instead of naming what is missing.
  r.on('GET', '/images/(?<name>.+)/history', no('docker history (GET /images/{name}/history)', 'LLMOS keeps no build history of images'));
  // Without it the path matches only DELETE /images/{name} (a 405).
  r.on('GET', '/images/search', no('GET /images/search', 'docker search: LLMOS does not search registries'));
  r.on('POST', '/build', no('docker build', 'LLMOS does not build images'));
  r.on('POST', '/commit', no('docker commit', 'LLMOS does not build images'));
  // What dockerd answers on a node that is not in a swarm (the CLI's inspect knows it).
  r.on(['GET', 'POST', 'DELETE'], '/(swarm|services|nodes|tasks|secrets|configs)(/.*)?', async () => {
    throw new DockerError(503, 'This node is not a swarm manager. LLMOS does not run swarm mode.');
  });
  r.on('GET', '/plugins', async (c) => c.json(200, []));
  r.on('GET', '/plugins/(?<name>.+)/json', async (c) => {
    throw new DockerError(404, `plugin ${c.params.name} not found`);
  });
  r.on(['GET', 'POST', 'DELETE'], '/(plugins|session|distribution)(/.*)?', no('plugins, sessions and distribution', 'not offered'));
  r.on('POST', '/auth', no('docker login (POST /auth)', 'use `llmos login`, whose credentials the daemon uses for pulls and pushes'));
  r.on('GET', '/system/df', no('docker system df', 'not offered'));
}
