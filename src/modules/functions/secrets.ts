// Secrets: named values in the state store, encrypted (secret-box.ts), given to handlers in env.
// Values never leave the daemon through the API (ls shows names and dates only).
import type { StateStore } from '../../contracts/state-store.js';
import { AlreadyExists, FailedPrecondition, InvalidArgument, NotFound } from '../../kernel/errors.js';
import type { SecretBox, Sealed } from './secret-box.js';
import { validateSecretName } from './spec.js';
import type { SecretInfo } from '../../contracts/functions.js';

export type { SecretInfo };

const PREFIX = '/secrets/';
const MAX_SECRET = 64 * 1024;

interface StoredSecret {
  name: string;
  sealed?: Sealed;
  /** Plaintext length, bytes (for ls, without decrypting). */
  size?: number;
  /** Written by versions before encryption: base64 plaintext; re-sealed by migrate(). */
  value?: string;
  createdAt: string;
  updatedAt: string;
}

export class Secrets {
  constructor(private readonly store: StateStore, private readonly box: SecretBox, private readonly usedBy: (name: string) => string[]) {}

  /** Seals secrets written in plaintext by older versions; returns how many. */
  async migrate(): Promise<number> {
    const { items } = await this.store.list<StoredSecret>(PREFIX);
    let n = 0;
    for (const kv of items) {
      const s = kv.value;
      if (s.sealed || s.value === undefined) continue;
      const plain = Buffer.from(s.value, 'base64');
      const next: StoredSecret = { name: s.name, sealed: await this.box.seal(s.name, plain), size: plain.length, createdAt: s.createdAt, updatedAt: s.updatedAt };
      await this.store.put(kv.key, next, { prevRevision: kv.modRevision });
      n++;
    }
    return n;
  }

  async create(name: string, value: Buffer, opts: { update?: boolean } = {}): Promise<SecretInfo> {
    validateSecretName(name);
    if (value.length > MAX_SECRET) throw new InvalidArgument(`secret ${name} is ${value.length} bytes; the limit is ${MAX_SECRET}`);
    const prev = await this.store.get<StoredSecret>(PREFIX + name);
    if (prev && !opts.update) throw new AlreadyExists(`secret ${name} already exists (use --update to replace it)`);
    const now = new Date().toISOString();
    const s: StoredSecret = { name, sealed: await this.box.seal(name, value), size: value.length, createdAt: prev?.value.createdAt ?? now, updatedAt: now };
    await this.store.put(PREFIX + name, s, { prevRevision: prev?.modRevision ?? 0 });
    return this.info(s);
  }

  async list(): Promise<SecretInfo[]> {
    const { items } = await this.store.list<StoredSecret>(PREFIX);
    return items.map((kv) => this.info(kv.value));
  }

  async remove(name: string): Promise<void> {
    const users = this.usedBy(name);
    if (users.length) throw new FailedPrecondition(`secret ${name} is used by function ${users.join(', ')}; remove it from them first`);
    const { deleted } = await this.store.delete(PREFIX + name);
    if (!deleted) throw new NotFound(`secret ${name} not found`);
  }

  /** The values of the named secrets, for an instance's env; NotFound names the missing one. */
  async resolve(names: readonly string[]): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const n of names) {
      const kv = await this.store.get<StoredSecret>(PREFIX + n);
      if (!kv) throw new NotFound(`secret ${n} not found (create it with: llmos secret create ${n})`);
      const s = kv.value;
      out[n] = (s.sealed ? await this.box.open(n, s.sealed) : Buffer.from(s.value ?? '', 'base64')).toString('utf8');
    }
    return out;
  }

  private info(s: StoredSecret): SecretInfo {
    return { name: s.name, size: s.size ?? Buffer.from(s.value ?? '', 'base64').length, createdAt: s.createdAt, updatedAt: s.updatedAt, usedBy: this.usedBy(s.name) };
  }
}
