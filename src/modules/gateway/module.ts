// Registration of the function gateway: its own HTTP listener (kernel config `gateway`, set by
// `llmos up --gateway`), separate from the API so that function traffic needs no token (async
// calls to non-public functions excepted) and can be unloaded or moved independently. It looks the functions module up per request.
import type { Server } from 'node:http';
import { Kinds } from '../../contracts/kinds.js';
import type { ModuleDef } from '../../kernel/module.js';
import { boundAddress, ensureToken, parseListen } from '../../kernel/http-listen.js';
import type { FunctionsApi } from '../functions/module.js';
import { createGatewayServer } from './server.js';

export interface GatewayConfig {
  /** HOST:PORT; empty means the kernel's `gateway` setting. */
  listen: string;
  /** Host-based routing: NAME.DOMAIN and NAME.NAMESPACE.DOMAIN reach function NAME at its own root. */
  domain: string;
}

export interface GatewayApi {
  address: string;
  url: string;
  server: Server;
}

export const gatewayModule = (): ModuleDef<GatewayConfig, GatewayApi> => ({
  kind: Kinds.gateway,
  id: 'http',
  description: 'public HTTP gateway for functions: /fn/NAME/PATH and /async/fn/NAME/PATH',
  requires: [Kinds.functions],
  defaults: { listen: '', domain: 'fn.localhost' },
  async init(ctx) {
    const functions = ctx.lookup<FunctionsApi>(Kinds.functions);
    // The API token (made at first boot, whichever module comes first): async calls to non-public functions need it.
    const token = await ensureToken(ctx.dataDir);
    const server = createGatewayServer(functions, { token, domain: ctx.config.domain });
    const { host, port } = parseListen(ctx.config.listen || ctx.addresses.gateway);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = boundAddress(server);
    const url = `http://${address}`;
    functions().gatewayBase = url;
    ctx.meta.exports.address = address;
    return { address, url, server };
  },
  start(api) {
    // test/support/daemon.ts and users read the address from this line.
    process.stdout.write(`  gateway on ${api.url}\n`);
  },
  async stop({ server }) {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  },
});
