// Leader election of the servers on one etcd (issue 20): a key carrying the leader's lease, taken
// with a create-if-absent transaction. etcd deletes the key when the lease runs out (its holder
// died or lost the quorum), so the next attempt of another server takes it. Every server watches
// the key and tries at once when it is deleted (expiry or resignation), so a takeover follows the
// old lease's end by one round trip; a poll (TTL/4) backs the watch up and tells who leads. Whether the holder may act is holdsLeadership's
// decision (src/kernel/leader.ts): it stops a margin before its lease could have run out.
import { Etcd3, type IOptions, type Lease, type Watcher } from 'etcd3';
import type { Logger } from 'pino';
import type { LeaderStatus } from '../../contracts/leader.js';
import { errorMessage } from '../../kernel/errors.js';
import { holdsLeadership } from '../../kernel/leader.js';

export interface ElectionOptions {
  endpoints: string[];
  /** The election key (under the store's prefix). */
  key: string;
  self: string;
  ttlSeconds: number;
  /** Per-call deadline, as the store's. */
  timeoutMs: number;
  auth?: IOptions['auth'];
  credentials?: IOptions['credentials'];
  log: Logger;
  onChange: (isLeader: boolean, status: LeaderStatus) => void;
  /** After every poll (who leads, seen from here). */
  onStatus?: (status: LeaderStatus) => void;
}

interface Held {
  lease: Lease;
  id: string;
  firedAt: number;
  renewedSentAt: number;
}

export class LeaseElection {
  private readonly client: Etcd3;
  private held?: Held;
  private elected = false;
  private leader: string | null = null;
  private leading = false;
  private stopped = false;
  private timer?: NodeJS.Timeout;
  private wake?: () => void;
  /** The key was deleted while an attempt ran: try again without sleeping. */
  private kicked = false;
  private watcher?: Promise<Watcher | undefined>;
  private loop?: Promise<void>;

  constructor(private readonly o: ElectionOptions) {
    this.client = new Etcd3({
      hosts: o.endpoints,
      auth: o.auth,
      credentials: o.credentials,
      dialTimeout: o.timeoutMs,
      // Unary calls (grant, txn, revoke) are bounded like the store's; keepalive streams are not.
      defaultCallOptions: (c) => (c.isStream ? {} : { deadline: Date.now() + o.timeoutMs }),
    });
  }

  /** Polls well within the TTL, so a takeover follows the old lease's expiry closely. */
  private get pollMs(): number {
    return Math.min(1000, (this.o.ttlSeconds * 1000) / 4);
  }

  start(): void {
    this.watcher = this.watchKey();
    this.loop = (async () => {
      while (!this.stopped) {
        this.kicked = false;
        await this.attempt().catch((e) => this.o.log.debug({ err: e }, `leader election: ${errorMessage(e)}`));
        this.evaluate();
        this.o.onStatus?.(this.status());
        if (this.kicked || this.stopped) continue;
        await new Promise<void>((r) => {
          this.wake = r;
          this.timer = setTimeout(r, this.pollMs);
        });
      }
    })();
  }

  /** Wakes the loop when the election key is deleted. The client re-opens the watch after a failure by itself. */
  private async watchKey(): Promise<Watcher | undefined> {
    try {
      const w = await this.client.watch().key(this.o.key).create();
      w.on('delete', () => this.kick());
      w.on('error', () => undefined);
      return w;
    } catch (e) {
      this.o.log.warn(`leader election: cannot watch ${this.o.key} (${errorMessage(e)}); takeovers wait for the next poll`);
      return undefined;
    }
  }

  private kick(): void {
    this.kicked = true;
    clearTimeout(this.timer);
    this.wake?.();
  }

  isLeader(): boolean {
    return holdsLeadership({ elected: this.elected, renewedSentAt: this.held?.renewedSentAt }, this.o.ttlSeconds * 1000, Date.now());
  }

  status(): LeaderStatus {
    return { self: this.o.self, leader: this.isLeader() ? this.o.self : this.leader, isLeader: this.isLeader() };
  }

  /** Notifies on a change of isLeader(), also one that comes from the lease running out between polls. */
  private evaluate(): void {
    const now = this.isLeader();
    if (now === this.leading) return;
    this.leading = now;
    this.o.onChange(now, this.status());
  }

  private async grant(): Promise<Held> {
    const firedAt = Date.now();
    const lease = this.client.lease(this.o.ttlSeconds, { autoKeepAlive: true });
    const h: Held = { lease, id: '', firedAt, renewedSentAt: firedAt };
    lease.on('keepaliveFired', () => (h.firedAt = Date.now()));
    lease.on('keepaliveSucceeded', () => (h.renewedSentAt = h.firedAt));
    lease.on('lost', (e: Error) => {
      this.o.log.warn(`leader election: lease lost (${errorMessage(e)})`);
      if (this.held === h) this.drop();
    });
    try {
      h.id = await lease.grant();
    } catch (e) {
      lease.release();
      throw e;
    }
    return h;
  }

  private drop(): void {
    this.held?.lease.release();
    this.held = undefined;
    this.elected = false;
    this.evaluate();
  }

  private async attempt(): Promise<void> {
    if (!this.held) this.held = await this.grant();
    const h = this.held;
    const value = JSON.stringify({ server: this.o.self });
    const res = await this.client.if(this.o.key, 'Create', '==', 0).then(this.client.put(this.o.key).value(value).lease(h.id)).else(this.client.get(this.o.key)).commit();
    if (this.held !== h) return; // lost meanwhile
    if (res.succeeded) {
      this.elected = true;
      this.leader = this.o.self;
      return;
    }
    const kv = res.responses[0]?.response_range.kvs[0];
    this.elected = !!kv && BigInt(kv.lease) === BigInt(h.id);
    this.leader = kv ? parseServer(kv.value.toString()) : null;
  }

  /** Resigns (the others take over at once, not after the TTL) and closes the client. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.wake?.();
    await this.loop;
    // A watch still connecting to an unreachable etcd is not waited for past the call deadline.
    const w = await Promise.race([this.watcher, new Promise<undefined>((r) => setTimeout(() => r(undefined), this.o.timeoutMs).unref())]);
    await w?.cancel().catch(() => undefined);
    const h = this.held;
    this.held = undefined;
    this.elected = false;
    if (h) await h.lease.revoke().catch((e) => this.o.log.warn(`leader election: could not resign (${errorMessage(e)}); the lease runs out in ${this.o.ttlSeconds} s`));
    this.client.close();
  }
}

function parseServer(text: string): string | null {
  try {
    const v = JSON.parse(text) as { server?: unknown };
    return typeof v.server === 'string' ? v.server : null;
  } catch {
    return null;
  }
}
