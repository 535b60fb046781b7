// KV bindings (`--kv NAME`: `env.NAME.get/put/delete/list`, as Workers KV) backed by the state store.
// A binding name is a namespace of keys shared by the functions of one LLMOS namespace that declare
// it. Values are stored as text or base64 bytes with their metadata and expiry; expired keys read as
// absent and are deleted when met. Limits follow Workers KV (keys 512 bytes, values 25 MiB).
import type { StateStore } from '../../contracts/state-store.js';
import { InvalidArgument } from '../../kernel/errors.js';
import type { FunctionSpec } from './spec.js';

const ROOT = '/functions/kv/';
const MAX_KEY = 512;
const MAX_VALUE = 25 * 2 ** 20;
const MAX_METADATA = 1024;

interface Stored {
  /** Text, or base64 of bytes when `bin`. */
  v: string;
  bin?: boolean;
  metadata?: unknown;
  /** Seconds since the epoch, as Workers' `expiration`. */
  expiration?: number;
}

export type KvOp = 'get' | 'put' | 'delete' | 'list';
export interface KvArgs {
  key?: string;
  value?: string | Uint8Array;
  metadata?: unknown;
  expirationTtl?: number;
  expiration?: number;
  prefix?: string;
  limit?: number;
  cursor?: string;
}

export class FunctionKv {
  constructor(
    private readonly store: StateStore,
    private readonly now: () => number = Date.now,
  ) {}

  private base(spec: FunctionSpec, binding: string): string {
    if (!spec.kv.includes(binding)) throw new InvalidArgument(`function ${spec.name} has no KV binding ${binding}`);
    return `${ROOT}${spec.namespace}/${binding}/`;
  }

  private key(k: unknown): string {
    if (typeof k !== 'string' || !k.length || Buffer.byteLength(k) > MAX_KEY) throw new InvalidArgument(`KV keys are 1-${MAX_KEY} bytes of text`);
    return k;
  }

  private live(s: Stored | undefined): s is Stored {
    return !!s && (s.expiration === undefined || s.expiration * 1000 > this.now());
  }

  async op(spec: FunctionSpec, binding: string, op: KvOp, a: KvArgs): Promise<unknown> {
    const base = this.base(spec, binding);
    switch (op) {
      case 'get': {
        const k = base + this.key(a.key);
        const kv = await this.store.get<Stored>(k);
        if (!this.live(kv?.value)) {
          if (kv) await this.store.delete(k);
          return null;
        }
        const s = kv.value;
        return { value: s.bin ? new Uint8Array(Buffer.from(s.v, 'base64')) : s.v, metadata: s.metadata ?? null };
      }
      case 'put': {
        const k = base + this.key(a.key);
        const bin = typeof a.value !== 'string';
        if (bin && !(a.value instanceof Uint8Array)) throw new InvalidArgument('KV values are strings, ArrayBuffers or typed arrays');
        const size = bin ? (a.value as Uint8Array).byteLength : Buffer.byteLength(a.value as string);
        if (size > MAX_VALUE) throw new InvalidArgument(`KV values are at most ${MAX_VALUE} bytes`);
        if (a.metadata !== undefined && JSON.stringify(a.metadata).length > MAX_METADATA) throw new InvalidArgument(`KV metadata is at most ${MAX_METADATA} bytes of JSON`);
        let expiration = a.expiration;
        if (a.expirationTtl !== undefined) {
          if (!Number.isFinite(a.expirationTtl) || a.expirationTtl < 60) throw new InvalidArgument('expirationTtl must be at least 60 seconds');
          expiration = Math.floor(this.now() / 1000 + a.expirationTtl);
        }
        if (expiration !== undefined && !(Number.isFinite(expiration) && expiration * 1000 > this.now())) throw new InvalidArgument('expiration must be a time in the future (seconds since the epoch)');
        const s: Stored = { v: bin ? Buffer.from(a.value as Uint8Array).toString('base64') : (a.value as string), ...(bin ? { bin } : {}), ...(a.metadata !== undefined ? { metadata: a.metadata } : {}), ...(expiration !== undefined ? { expiration } : {}) };
        await this.store.put(k, s);
        return null;
      }
      case 'delete':
        await this.store.delete(base + this.key(a.key));
        return null;
      case 'list': {
        const prefix = typeof a.prefix === 'string' ? a.prefix : '';
        const limit = Math.max(1, Math.min(1000, Math.floor(Number(a.limit ?? 1000)) || 1000));
        const { items } = await this.store.list<Stored>(base + prefix);
        const keys = items
          .filter((kv) => this.live(kv.value))
          .map((kv) => ({ name: kv.key.slice(base.length), s: kv.value }))
          .sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0))
          .filter((k) => !a.cursor || k.name > a.cursor);
        const page = keys.slice(0, limit);
        const complete = keys.length <= limit;
        return {
          keys: page.map((k) => ({ name: k.name, ...(k.s.expiration !== undefined ? { expiration: k.s.expiration } : {}), ...(k.s.metadata !== undefined ? { metadata: k.s.metadata } : {}) })),
          list_complete: complete,
          ...(complete ? {} : { cursor: page[page.length - 1]!.name }),
        };
      }
    }
  }

  /** Every key of a namespace's binding (when no function uses it any more, or for tests). */
  async drop(namespace: string, binding: string): Promise<void> {
    await this.store.delete(`${ROOT}${namespace}/${binding}/`, { prefix: true });
  }
}
