// Registration of the Docker Engine API (v1.41, what Debian 12's docker CLI 20.10 speaks) on a
// Unix socket. It is a front end only: containers, images and the rest are the same modules the
// REST API serves, reached through their contracts at request time (unloaded: 503).
import type http from 'node:http';
import type { Socket } from 'node:net';
import { unlink } from 'node:fs/promises';
import { Kinds, type ModuleKind } from '../../contracts/kinds.js';
import type { MonitorApi } from '../../contracts/monitor.js';
import { clusterKind, type ClusterApi } from '../../contracts/cluster.js';
import { clusterContainers } from './remote.js';
import { RemoteContainers } from '../../kernel/remote-containers.js';
import { isNotFound, Unavailable } from '../../kernel/errors.js';
import type { ModuleDef } from '../../kernel/module.js';
import { LLMOS_VERSION } from '../../kernel/kernel.js';
import type { ContainersExtra, DockerDeps, ImagesExtra } from './deps.js';
import { dockerRouter } from './routes/index.js';
import { VOLUMES_KIND, type VolumesPort } from './routes/volumes.js';
import { userNetworksKind, type UserNetworksApi } from '../../contracts/user-networks.js';
import { createDockerServer } from './server.js';
import { prepareSocket, secureSocket, socketPath } from './socket.js';

export const DOCKER_API_KIND = Kinds.dockerApi;

export interface DockerApiConfig {
  /** Socket path; '' = `llmos up --docker-socket` / config.json's dockerSocket, else the default. */
  socket: string;
}

export interface DockerApiModule {
  server: http.Server;
  socket: string;
  sockets: Set<Socket>;
}

export const dockerApiModule = (): ModuleDef<DockerApiConfig, DockerApiModule> => ({
  kind: DOCKER_API_KIND,
  id: 'socket',
  description: 'Docker Engine API v1.41 on a Unix socket (docker CLI, compose, dockerode)',
  optional: [Kinds.containers, Kinds.images, Kinds.monitor, VOLUMES_KIND, userNetworksKind, clusterKind],
  defaults: { socket: '' },
  async init(ctx) {
    const need = <T>(kind: ModuleKind, what: string): T => {
      try {
        return ctx.getSingle<T>(kind);
      } catch (e) {
        if (isNotFound(e)) throw new Unavailable(`the ${what} module is not loaded`);
        throw e;
      }
    };
    // Where each node's containers were last seen, kept across requests (one lookup, not one per node).
    const located = new RemoteContainers();
    const deps: DockerDeps = {
      // On a server with nodes: every node's containers (ps, inspect, logs, stop, rm, ...), through their
      // tunnels, and create/start/exec placed or sent to the nodes (remote.ts).
      containers: () => {
        const local = need<ContainersExtra>(Kinds.containers, 'containers');
        const cluster = ctx.getOptional<ClusterApi>(clusterKind);
        return cluster ? clusterContainers(cluster.containersView(local), local, cluster, located) : local;
      },
      images: () => need<ImagesExtra>(Kinds.images, 'images'),
      monitor: () => ctx.getOptional<MonitorApi>(Kinds.monitor),
      volumes: () => ctx.getOptional<VolumesPort>(VOLUMES_KIND),
      networks: () => ctx.getOptional<UserNetworksApi>(userNetworksKind),
      host: ctx.host,
      dataDir: ctx.dataDir,
      version: LLMOS_VERSION,
      subscribe: (h) => ctx.events.subscribe('', h),
      recentEvents: () => ctx.events.recent(),
    };
    const socket = socketPath(ctx.config.socket || ctx.addresses.dockerSocket, ctx.dataDir, ctx.dir);
    await prepareSocket(socket);
    const server = createDockerServer({ router: dockerRouter(deps), serverName: `LLMOS/${LLMOS_VERSION} (linux)`, warn: (o, m) => ctx.log.warn(o, m) });
    const sockets = new Set<Socket>();
    server.on('connection', (s: Socket) => {
      sockets.add(s);
      s.once('close', () => sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socket, () => (server.off('error', reject), resolve()));
    });
    const perm = await secureSocket(socket);
    ctx.meta.exports.socket = socket;
    ctx.meta.exports.mode = perm.mode;
    ctx.log.info({ socket }, `Docker API on unix://${socket}`);
    return { server, socket, sockets };
  },
  async stop({ server, socket, sockets }) {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of sockets) s.destroy(); // streams (events, logs -f, attach) end with the daemon
    await closed;
    await unlink(socket).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
  },
});
