// The state store contract: a versioned key-value store in the shape of etcd (revisions,
// compare-and-swap transactions, prefix listing, watch from a revision). Values are JSON.

export interface KeyValue<V = unknown> {
  key: string;
  value: V;
  /** Store revision at which the key was created (since its last deletion). */
  createRevision: number;
  /** Store revision of the last change to the key. */
  modRevision: number;
  /** Number of changes since creation (1 after the first put). */
  version: number;
}

export type Compare =
  | { key: string; target: 'modRevision' | 'createRevision' | 'version'; op?: '=' | '!=' | '<' | '>'; value: number }
  | { key: string; target: 'exists'; value: boolean };

export type TxnOp = { type: 'put'; key: string; value: unknown } | { type: 'delete'; key: string; prefix?: boolean } | { type: 'get'; key: string };

export interface TxnRequest {
  compare: Compare[];
  success: TxnOp[];
  failure?: TxnOp[];
}

export interface TxnResult {
  succeeded: boolean;
  revision: number;
  /** For each op of the branch taken, the KeyValue it read (get) or undefined. */
  results: Array<KeyValue | undefined>;
}

export interface WatchEvent {
  type: 'put' | 'delete';
  kv: KeyValue;
  /** The value before the change, when there was one. */
  prev?: KeyValue;
}

export interface ListOptions {
  limit?: number;
  /** Return keys strictly after this one (pagination). */
  after?: string;
}

export interface WatchOptions {
  /**
   * Default true: this process's writes under the prefix resolve only once this watch delivered
   * them. False for a watcher that applies its own writes itself (a cache), so writes need not wait.
   */
  readYourWrites?: boolean;
}

export interface StateStore {
  readonly backend: string;
  get<V = unknown>(key: string): Promise<KeyValue<V> | undefined>;
  /** Every key starting with prefix, in key order, and the store revision the listing reflects. */
  list<V = unknown>(prefix: string, opts?: ListOptions): Promise<{ items: KeyValue<V>[]; revision: number }>;
  /** Puts a value. With prevRevision set, fails with Conflict unless the key's modRevision equals it (0: must not exist). */
  put(key: string, value: unknown, opts?: { prevRevision?: number }): Promise<{ revision: number }>;
  /** Deletes one key (or all under it with prefix); returns how many were deleted. */
  delete(key: string, opts?: { prefix?: boolean }): Promise<{ deleted: number; revision: number }>;
  /** Atomically: if every compare holds, run success, else failure. */
  txn(req: TxnRequest): Promise<TxnResult>;
  /**
   * Calls onEvent for each change under prefix with revision > fromRevision (history first, then live),
   * in revision order. Throws Conflict when fromRevision has been compacted away. Returns the cancel function.
   */
  watch(prefix: string, fromRevision: number, onEvent: (e: WatchEvent) => void, opts?: WatchOptions): Promise<() => void>;
  /** The current store revision. */
  revision(): Promise<number>;
  /** Drops history older than revision (watches from before it then fail). */
  compact(revision: number): Promise<void>;
  close(): Promise<void>;
}
