// Registration of the embedded SQLite state store (the default back end).
import path from 'node:path';
import { Kinds } from '../../contracts/kinds.js';
import type { StateStore } from '../../contracts/state-store.js';
import { InvalidArgument } from '../../kernel/errors.js';
import type { ModuleDef } from '../../kernel/module.js';
import { SqliteStore } from './sqlite-store.js';

export interface SqliteStoreConfig {
  /** Database file; relative paths are inside the module's directory. */
  file: string;
  /** Keep at most this many revisions of history for watches. */
  historyRevisions: number;
  /** Run SQLite's quick_check at boot and refuse a corrupt store (default true). */
  quickCheck: boolean;
}

export const sqliteStoreDefaults: SqliteStoreConfig = { file: 'state.db', historyRevisions: 100_000, quickCheck: true };

export const sqliteStoreModule = (): ModuleDef<SqliteStoreConfig, StateStore> => ({
  kind: Kinds.stateStore,
  id: 'sqlite',
  description: 'embedded versioned key-value store (SQLite, WAL)',
  defaults: sqliteStoreDefaults,
  validate(c) {
    if (typeof c.file !== 'string' || c.file === '') throw new InvalidArgument('state-store.file must be a file name');
    if (!Number.isInteger(c.historyRevisions) || c.historyRevisions < 1) throw new InvalidArgument('state-store.historyRevisions must be a positive integer');
    if (typeof c.quickCheck !== 'boolean') throw new InvalidArgument('state-store.quickCheck must be true or false');
    return c;
  },
  init(ctx) {
    const store = new SqliteStore(path.resolve(ctx.dir, ctx.config.file), { quickCheck: ctx.config.quickCheck });
    ctx.meta.exports.file = path.resolve(ctx.dir, ctx.config.file);
    ctx.reconciler.register('state-store/compact', async () => {
      const rev = await store.revision();
      if (rev > ctx.config.historyRevisions) await store.compact(rev - ctx.config.historyRevisions);
    }, 300_000);
    return store;
  },
  stop: (store) => store.close(),
});
