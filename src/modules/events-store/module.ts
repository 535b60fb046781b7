// Registration of the event history in the state store, so `llmos events` survives a restart: at
// init it puts the stored events back on the bus, then writes every new one (bounded by `keep`).
// It is listed right after the state store in src/builtins.ts, so it loads before the others.
import { Kinds } from '../../contracts/kinds.js';
import type { StateStore } from '../../contracts/state-store.js';
import { InvalidArgument, errorMessage } from '../../kernel/errors.js';
import { eventKey, type LlmosEvent } from '../../kernel/events.js';
import type { ModuleDef } from '../../kernel/module.js';

export interface EventsStoreConfig {
  /** Events kept in the store; older ones are trimmed. */
  keep: number;
  /** How often the trim runs, ms. */
  trimMs: number;
}

export interface EventsStoreApi {
  /** Resolves when every write started so far has finished (stop waits for it). */
  flush(): Promise<void>;
  /** Deletes the oldest events past `keep`. */
  trim(): Promise<void>;
  close(): Promise<void>;
}

const prefix = '/events/';

export const eventsStoreModule = (): ModuleDef<EventsStoreConfig, EventsStoreApi> => ({
  kind: Kinds.eventsStore,
  id: 'state-store',
  description: 'event history kept in the state store (bounded), restored at boot',
  requires: [Kinds.stateStore],
  defaults: { keep: 10_000, trimMs: 60_000 },
  validate(c) {
    if (!(Number.isInteger(c.keep) && c.keep >= 1)) throw new InvalidArgument('events-store.keep must be a positive integer');
    if (!(c.trimMs >= 1000)) throw new InvalidArgument('events-store.trimMs must be at least 1000');
    return c;
  },
  async init(ctx) {
    const store = ctx.getSingle<StateStore>(Kinds.stateStore);
    const { keep } = ctx.config;
    ctx.events.restore((await store.list<LlmosEvent>(prefix)).items.slice(-keep).map((kv) => kv.value));
    const inFlight = new Set<Promise<void>>();
    // Events are best effort (a full disk must not fail the action they describe); say so once per outage.
    let failing = false;
    const unsubscribe = ctx.events.subscribe('', (e) => {
      const p = store.put(prefix + eventKey(e), e).then(
        () => void (failing && ((failing = false), ctx.log.info('events are persisted again'))),
        (err: unknown) => void (!failing && ((failing = true), ctx.log.warn({ err }, `events are not persisted until the store accepts writes: ${errorMessage(err)}`))),
      );
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    });
    const trim = async (): Promise<void> => {
      const { items } = await store.list(prefix);
      if (items.length > keep) await store.txn({ compare: [], success: items.slice(0, items.length - keep).map((kv) => ({ type: 'delete' as const, key: kv.key })) });
    };
    const unregister = ctx.reconciler.register('events-store/trim', trim, ctx.config.trimMs);
    ctx.meta.exports.keep = keep;
    const flush = async (): Promise<void> => void (await Promise.all([...inFlight]));
    return {
      flush,
      trim,
      async close() {
        unsubscribe();
        unregister();
        await flush(); // the store closes after this module (it requires it): no write may outlive it
      },
    };
  },
  stop: (api) => api.close(),
});
