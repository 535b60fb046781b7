// Registration of the etcd state store (cluster mode). It is in the registry only when the daemon
// runs with `--store etcd://...` (src/daemon.ts), in place of the embedded SQLite store. The etcd
// client (gRPC) is imported only then, so a single-node boot does not load it.
import { Kinds } from '../../contracts/kinds.js';
import type { StateStore } from '../../contracts/state-store.js';
import { InvalidArgument } from '../../kernel/errors.js';
import type { ModuleDef } from '../../kernel/module.js';

export interface EtcdStoreConfig {
  endpoints: string[];
  /** Every LLMOS key is stored under this prefix, so one etcd can hold other data too. */
  prefix: string;
  /** Per-call deadline: a store call that cannot reach a quorum answers Unavailable (503) after it. */
  timeoutMs: number;
  /** Keep at most this many revisions of history for watches. */
  historyRevisions: number;
}

export const etcdStoreDefaults: EtcdStoreConfig = { endpoints: [], prefix: '/llmos', timeoutMs: 1500, historyRevisions: 100_000 };

export const etcdStoreModule = (): ModuleDef<EtcdStoreConfig, StateStore> => ({
  kind: Kinds.stateStore,
  id: 'etcd',
  description: 'versioned key-value store on an etcd v3 cluster',
  defaults: etcdStoreDefaults,
  validate(c) {
    if (!Array.isArray(c.endpoints) || c.endpoints.length === 0 || !c.endpoints.every((e) => typeof e === 'string' && /^https?:\/\//.test(e))) {
      throw new InvalidArgument('state-store.endpoints must be a non-empty list of http(s)://HOST:PORT');
    }
    if (typeof c.prefix !== 'string' || !c.prefix.startsWith('/')) throw new InvalidArgument('state-store.prefix must start with /');
    if (!Number.isInteger(c.timeoutMs) || c.timeoutMs < 100) throw new InvalidArgument('state-store.timeoutMs must be an integer >= 100');
    if (!Number.isInteger(c.historyRevisions) || c.historyRevisions < 1) throw new InvalidArgument('state-store.historyRevisions must be a positive integer');
    return c;
  },
  async init(ctx) {
    const { EtcdStore } = await import('./etcd-store.js');
    const store = new EtcdStore({ endpoints: ctx.config.endpoints, prefix: ctx.config.prefix, timeoutMs: ctx.config.timeoutMs });
    try {
      await store.revision(); // boot fails here, with "store unavailable", when etcd cannot be reached
    } catch (e) {
      await store.close();
      throw e;
    }
    ctx.meta.exports.endpoints = ctx.config.endpoints;
    ctx.meta.exports.prefix = ctx.config.prefix;
    ctx.reconciler.register('state-store/compact', async () => {
      const rev = await store.revision();
      if (rev > ctx.config.historyRevisions) await store.compact(rev - ctx.config.historyRevisions);
    }, 300_000);
    return store;
  },
  stop: (store) => store.close(),
});
