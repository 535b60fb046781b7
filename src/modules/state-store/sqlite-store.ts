// The embedded default state store: SQLite (better-sqlite3) in WAL mode. Every write is one
// SQLite transaction, so a crash (even SIGKILL) leaves either all of a change or none of it.
import type Database from 'better-sqlite3';
import { chmod } from 'node:fs/promises';
import { Conflict, InvalidArgument, isDiskFull } from '../../kernel/errors.js';
import { checkDb, openStoreDb, storeError } from './sqlite-open.js';
import type { Compare, KeyValue, ListOptions, StateStore, TxnOp, TxnRequest, TxnResult, WatchEvent } from '../../contracts/state-store.js';

interface Row {
  key: string;
  value: string;
  create_rev: number;
  mod_rev: number;
  version: number;
}

interface Watcher {
  prefix: string;
  onEvent: (e: WatchEvent) => void;
}

const toKv = <V>(r: Row): KeyValue<V> => ({ key: r.key, value: JSON.parse(r.value) as V, createRevision: r.create_rev, modRevision: r.mod_rev, version: r.version });

/** The smallest string greater than every string starting with prefix (for range scans). */
function prefixEnd(prefix: string): string {
  return prefix + '\u{10FFFF}';
}

export class SqliteStore implements StateStore {
  readonly backend = 'sqlite';
  private readonly db: Database.Database;
  private readonly watchers = new Set<Watcher>();
  private rev: number;

  /** Opens the file; quick_check runs unless disabled (boot refuses a corrupt store). */
  constructor(readonly file: string, opts: { quickCheck?: boolean } = {}) {
    this.db = openStoreDb(file, opts);
    try {
      this.db.exec(`
        CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, create_rev INTEGER NOT NULL, mod_rev INTEGER NOT NULL, version INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS history (rev INTEGER NOT NULL, idx INTEGER NOT NULL, type TEXT NOT NULL, key TEXT NOT NULL, value TEXT, create_rev INTEGER, version INTEGER, prev TEXT, PRIMARY KEY (rev, idx)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
        INSERT OR IGNORE INTO meta VALUES ('revision', 0), ('compacted', 0);
      `);
    } catch (e) {
      // On a full disk an existing store still opens for reads; writes fail with NoSpace until space returns.
      if (!isDiskFull(e) || !this.hasSchema()) {
        this.db.close();
        throw storeError(e, file);
      }
    }
    this.rev = this.metaValue('revision');
  }

  private hasSchema(): boolean {
    const r = this.db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name IN ('kv', 'history', 'meta')").get() as { n: number };
    return r.n === 3 && (this.db.prepare("SELECT count(*) AS n FROM meta WHERE name IN ('revision', 'compacted')").get() as { n: number }).n === 2;
  }

  private metaValue(name: string): number {
    return (this.db.prepare('SELECT value FROM meta WHERE name = ?').get(name) as { value: number }).value;
  }

  private row(key: string): Row | undefined {
    return this.db.prepare('SELECT * FROM kv WHERE key = ?').get(key) as Row | undefined;
  }

  async get<V = unknown>(key: string): Promise<KeyValue<V> | undefined> {
    const r = this.row(key);
    return r ? toKv<V>(r) : undefined;
  }

  async list<V = unknown>(prefix: string, opts: ListOptions = {}): Promise<{ items: KeyValue<V>[]; revision: number }> {
    const from = opts.after !== undefined && opts.after >= prefix ? opts.after : undefined;
    const rows = this.db
      .prepare(`SELECT * FROM kv WHERE key ${from === undefined ? '>=' : '>'} ? AND key < ? ORDER BY key ${opts.limit ? 'LIMIT ' + Math.max(1, Math.floor(opts.limit)) : ''}`)
      .all(from ?? prefix, prefixEnd(prefix)) as Row[];
    return { items: rows.map((r) => toKv<V>(r)), revision: this.rev };
  }

  async put(key: string, value: unknown, opts: { prevRevision?: number } = {}): Promise<{ revision: number }> {
    const compare: Compare[] = opts.prevRevision === undefined ? [] : [{ key, target: 'modRevision', value: opts.prevRevision }];
    const r = await this.txn({ compare, success: [{ type: 'put', key, value }] });
    if (!r.succeeded) throw new Conflict(`put ${key}: revision is no longer ${opts.prevRevision}`);
    return { revision: r.revision };
  }

  async delete(key: string, opts: { prefix?: boolean } = {}): Promise<{ deleted: number; revision: number }> {
    const { result, events } = this.exec({ compare: [], success: [{ type: 'delete', key, prefix: opts.prefix }] });
    return { deleted: events.length, revision: result.revision };
  }

  async txn(req: TxnRequest): Promise<TxnResult> {
    return this.exec(req).result;
  }

  private exec(req: TxnRequest): { result: TxnResult; events: WatchEvent[] } {
    for (const op of [...req.success, ...(req.failure ?? [])]) {
      if (typeof op.key !== 'string' || op.key === '') throw new InvalidArgument('store key must be a non-empty string');
      if (op.type === 'put' && op.value === undefined) throw new InvalidArgument(`put ${op.key}: value is undefined`);
    }
    const events: WatchEvent[] = [];
    const run = this.db.transaction(() => {
      const succeeded = req.compare.every((c) => this.holds(c));
      const ops = succeeded ? req.success : (req.failure ?? []);
      const nextRev = this.rev + 1;
      const results: Array<KeyValue | undefined> = [];
      for (const op of ops) results.push(this.apply(op, nextRev, events));
      if (events.length > 0) {
        this.db.prepare("UPDATE meta SET value = ? WHERE name = 'revision'").run(nextRev);
        this.rev = nextRev;
      }
      return { succeeded, revision: this.rev, results };
    });
    let result: TxnResult;
    try {
      result = run();
    } catch (e) {
      this.rev = this.metaValue('revision'); // the transaction rolled back
      throw storeError(e, this.file);
    }
    for (const e of events) for (const w of this.watchers) if (e.kv.key.startsWith(w.prefix)) w.onEvent(e);
    return { result, events };
  }

  private holds(c: Compare): boolean {
    const r = this.row(c.key);
    if (c.target === 'exists') return !!r === c.value;
    const actual = r ? { modRevision: r.mod_rev, createRevision: r.create_rev, version: r.version }[c.target] : 0;
    switch (c.op ?? '=') {
      case '=': return actual === c.value;
      case '!=': return actual !== c.value;
      case '<': return actual < c.value;
      case '>': return actual > c.value;
    }
  }

  private apply(op: TxnOp, rev: number, events: WatchEvent[]): KeyValue | undefined {
    const hist = this.db.prepare('INSERT INTO history VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    if (op.type === 'get') {
      const r = this.row(op.key);
      return r ? toKv(r) : undefined;
    }
    if (op.type === 'put') {
      const prev = this.row(op.key);
      const value = JSON.stringify(op.value);
      const row: Row = { key: op.key, value, create_rev: prev?.create_rev ?? rev, mod_rev: rev, version: (prev?.version ?? 0) + 1 };
      this.db.prepare('INSERT OR REPLACE INTO kv VALUES (?, ?, ?, ?, ?)').run(row.key, row.value, row.create_rev, row.mod_rev, row.version);
      hist.run(rev, events.length, 'put', row.key, value, row.create_rev, row.version, prev ? JSON.stringify(prev) : null);
      events.push({ type: 'put', kv: toKv(row), prev: prev ? toKv(prev) : undefined });
      return undefined;
    }
    const rows = op.prefix
      ? (this.db.prepare('SELECT * FROM kv WHERE key >= ? AND key < ?').all(op.key, prefixEnd(op.key)) as Row[])
      : ([this.row(op.key)].filter(Boolean) as Row[]);
    for (const prev of rows) {
      this.db.prepare('DELETE FROM kv WHERE key = ?').run(prev.key);
      hist.run(rev, events.length, 'delete', prev.key, null, prev.create_rev, prev.version, JSON.stringify(prev));
      events.push({ type: 'delete', kv: { ...toKv(prev), modRevision: rev }, prev: toKv(prev) });
    }
    return undefined;
  }

  async watch(prefix: string, fromRevision: number, onEvent: (e: WatchEvent) => void): Promise<() => void> {
    const compacted = this.metaValue('compacted');
    if (fromRevision < compacted) throw new Conflict(`watch from revision ${fromRevision}: history before ${compacted} was compacted`);
    type H = { rev: number; type: 'put' | 'delete'; key: string; value: string | null; create_rev: number; version: number; prev: string | null };
    const past = this.db.prepare('SELECT * FROM history WHERE rev > ? AND key >= ? AND key < ? ORDER BY rev, idx').all(fromRevision, prefix, prefixEnd(prefix)) as H[];
    for (const h of past) {
      const prev = h.prev ? toKv(JSON.parse(h.prev) as Row) : undefined;
      const kv: KeyValue = h.type === 'put'
        ? { key: h.key, value: JSON.parse(h.value!), createRevision: h.create_rev, modRevision: h.rev, version: h.version }
        : { ...prev!, modRevision: h.rev };
      onEvent({ type: h.type, kv, prev });
    }
    const w: Watcher = { prefix, onEvent };
    this.watchers.add(w);
    return () => this.watchers.delete(w);
  }

  async revision(): Promise<number> {
    return this.rev;
  }

  async compact(revision: number): Promise<void> {
    try {
      this.db.transaction(() => {
        this.db.prepare('DELETE FROM history WHERE rev <= ?').run(revision);
        this.db.prepare("UPDATE meta SET value = MAX(value, ?) WHERE name = 'compacted'").run(revision);
      })();
    } catch (e) {
      throw storeError(e, this.file);
    }
  }

  /** quick_check, or integrity_check with full: the problems found (none: sound). */
  async check(full = false): Promise<string[]> {
    return checkDb(this.db, full);
  }

  /** A consistent copy to dest through SQLite's online backup (writes may go on meanwhile). */
  async backup(dest: string): Promise<{ totalPages: number }> {
    try {
      const r = await this.db.backup(dest);
      await chmod(dest, 0o600);
      return { totalPages: r.totalPages };
    } catch (e) {
      throw storeError(e, dest);
    }
  }

  async close(): Promise<void> {
    this.watchers.clear();
    if (this.db.open) this.db.close();
  }
}
