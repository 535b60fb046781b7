// The set-up most cluster tests share: a netns cluster with a registry on its bridge holding one
// busybox image that the nodes may pull, and the server's CLI with its exit status checked. On a
// failure it prints what the server and the agents said; afterwards everything is stopped and the
// host is checked for leftovers.
import assert from 'node:assert/strict';
import { clusterReport, startNetnsCluster, type NetnsCluster, type NetnsClusterOptions } from './cluster.js';
import { pushBusyboxImage, startRegistry, type BusyboxImageOptions, type TestRegistry } from './registry.js';

export interface ImageCluster {
  cluster: NetnsCluster;
  registry: TestRegistry;
  /** The pushed image's reference. */
  image: string;
  /** `llmos ARGS` on the server: asserts exit status 0 and returns stdout. */
  cli(args: string[]): Promise<string>;
}

export interface ImageClusterOptions extends NetnsClusterOptions {
  /** The image's repository in the registry (default test/busybox) and how it is built. */
  repo?: string;
  push?: BusyboxImageOptions;
}

export async function withImageCluster(count: number, opts: ImageClusterOptions, body: (t: ImageCluster) => Promise<void>): Promise<void> {
  let cluster: NetnsCluster | undefined;
  let registry: TestRegistry | undefined;
  let image = '';
  try {
    cluster = await startNetnsCluster(count, {
      ...opts,
      beforeNodes: async (ip) => {
        registry = await startRegistry({ host: ip });
        image = (await pushBusyboxImage(registry, opts.repo ?? 'test/busybox', opts.push ?? { tag: '1' })).ref;
        await opts.beforeNodes?.(ip);
      },
      nodeModules: (i) => ({ images: { insecureRegistries: [registry!.host] }, ...opts.nodeModules?.(i) }),
    });
    const server = cluster.server;
    const cli = async (args: string[]): Promise<string> => {
      const r = await server.cli(args, { timeoutMs: 60_000 });
      assert.equal(r.code, 0, `llmos ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    await body({ cluster, registry: registry!, image, cli });
  } catch (e) {
    const ev = await cluster?.server.cli(['events', '--prefix', '/']).catch(() => undefined);
    console.error(`failed: ${String((e as Error).stack)}\nevents: ${ev?.stdout.slice(-4000)}\n${cluster ? await clusterReport(cluster) : 'no cluster'}`);
    throw e;
  } finally {
    await cluster?.stop();
    await registry?.stop();
  }
  assert.deepEqual(await cluster.leftovers(), []);
}
