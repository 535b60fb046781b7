// Join tokens: `K10<CA hash>::<id>.<secret>`. The id names the stored record, the secret is kept
// only as a hash, with an expiry. A token is reusable until it expires or is deleted (as k3s').
import { randomBytes } from 'node:crypto';
import type { StateStore } from '../../contracts/state-store.js';
import { parseJoinToken, type TokenCreate, type TokenCreated, type TokenInfo } from '../../contracts/cluster.js';
import { NotFound, Unauthenticated } from '../../kernel/errors.js';
import { hashSecret, newSecret, secretMatches } from './secrets.js';

interface TokenRecord {
  hash: string;
  description: string;
  createdAt: string;
  expiresAt: string;
}

const prefix = '/cluster/tokens/';
export const defaultTokenTtlSeconds = 24 * 3600;

export class JoinTokens {
  constructor(
    private readonly store: StateStore,
    private readonly caHash: () => Promise<string>,
    private readonly now: () => number = Date.now,
  ) {}

  async create(req: TokenCreate): Promise<TokenCreated> {
    const id = randomBytes(6).toString('hex');
    const secret = newSecret();
    const createdAt = new Date(this.now()).toISOString();
    const expiresAt = new Date(this.now() + (req.ttlSeconds ?? defaultTokenTtlSeconds) * 1000).toISOString();
    const rec: TokenRecord = { hash: hashSecret(secret), description: req.description ?? '', createdAt, expiresAt };
    await this.store.put(prefix + id, rec, { prevRevision: 0 });
    return { ...this.info(id, rec), token: `K10${await this.caHash()}::${id}.${secret}` };
  }

  private info(id: string, r: TokenRecord): TokenInfo {
    return { id, description: r.description, createdAt: r.createdAt, expiresAt: r.expiresAt, expired: Date.parse(r.expiresAt) <= this.now() };
  }

  async list(): Promise<TokenInfo[]> {
    const { items } = await this.store.list<TokenRecord>(prefix);
    return items.map((kv) => this.info(kv.key.slice(prefix.length), kv.value));
  }

  async delete(id: string): Promise<void> {
    const { deleted } = await this.store.delete(prefix + id);
    if (!deleted) throw new NotFound(`no join token ${id} (see llmos token list)`);
  }

  /** Throws Unauthenticated, with the reason, unless the token is this cluster's, known and unexpired. */
  async verify(token: string): Promise<void> {
    const t = parseJoinToken(token);
    if (!t) throw new Unauthenticated('malformed join token (expected K10<ca-hash>::<id>.<secret>, from llmos token create)');
    if (t.caHash !== (await this.caHash())) throw new Unauthenticated('join token is for another cluster: its CA hash does not match this server\'s CA');
    const rec = (await this.store.get<TokenRecord>(prefix + t.id))?.value;
    if (!rec || !secretMatches(t.secret, rec.hash)) throw new Unauthenticated('invalid join token (unknown or deleted; see llmos token list)');
    if (Date.parse(rec.expiresAt) <= this.now()) throw new Unauthenticated(`join token ${t.id} expired at ${rec.expiresAt} (create another with llmos token create)`);
  }
}
