// A small pool of network namespaces already on the bridge (`ip netns add`, then CNI ADD of
// `loopback` and `bridge` + `host-local`), so a container with nothing of its own to configure (no
// published port, the default bridge) starts without those four processes on its path.
// An entry is named `llmos-TAG-pool-HEX` (its netns, its lease and its veth's peer); a container
// claims one with a symlink from its own netns name (cni-network.ts), which is also the record of
// the claim that boot reads. The entries the pool holds are listed in a state file with the
// daemon's pid, for the leak checker (test/support/leaks.ts) to accept while the daemon lives.
// Free entries go at stop; after a SIGKILL, boot removes every entry no container claims.
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { errorMessage } from '../../kernel/errors.js';
import type { CniResult } from './cni.js';
import { replaceFile } from '../../kernel/replace-file.js';

export interface PoolEntry {
  /** CNI container id, also the netns name. */
  cniId: string;
  result: CniResult;
}

export interface NetnsPoolOptions {
  /** Entries kept ready; 0 turns the pool off. */
  size: number;
  /** `llmos-TAG-pool-`: the entries' name prefix. */
  prefix: string;
  /** Where the held entries are listed (pid and CNI ids). */
  stateFile: string;
  /** The refill waits this long after the last take, so it does not compete with the starts (each fork blocks the daemon). */
  refillDelayMs: number;
  /** Makes the namespace and plugs it in (the bridge guard is ensured first by the caller's `add`). */
  add(cniId: string): Promise<CniResult>;
  /** Undoes add; idempotent. */
  remove(cniId: string, result?: CniResult): Promise<void>;
  warn(msg: string): void;
}

/** True when the name is a pool entry's of this prefix (any run of this daemon's data dir). */
export function isPoolId(cniId: string, prefix: string): boolean {
  return cniId.startsWith(prefix);
}

export class NetnsPool {
  private readonly free: PoolEntry[] = [];
  /** Free entries and the one being made: what this run holds. */
  private readonly held = new Set<string>();
  private filling?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private saving: Promise<void> = Promise.resolve();
  private closed = false;
  private started = false;

  constructor(private readonly o: NetnsPoolOptions) {}

  /** An entry of this run (free or being made): not a leftover. */
  holds(cniId: string): boolean {
    return this.held.has(cniId);
  }

  /** A ready entry, or undefined when none is (the caller makes a namespace the usual way). Starts the pool on first use. */
  take(): PoolEntry | undefined {
    if (this.closed || this.o.size <= 0) return undefined;
    const e = this.free.shift();
    if (e) this.held.delete(e.cniId);
    // Each take pushes the refill back: it runs once starts pause, not during the start that took.
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.schedule(this.started ? this.o.refillDelayMs : 0);
    this.started = true;
    if (e) void this.save();
    return e;
  }

  /** Gives back an entry a claim could not use (it stays ready). */
  giveBack(e: PoolEntry): void {
    if (this.closed) {
      void this.o.remove(e.cniId, e.result).catch((err) => this.o.warn(`pooled network namespace ${e.cniId}: ${errorMessage(err)}`));
      return;
    }
    this.free.unshift(e);
    this.held.add(e.cniId);
    void this.save();
  }

  private schedule(delayMs: number): void {
    if (this.closed || this.timer || this.filling) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.fill();
    }, delayMs);
    this.timer.unref();
  }

  /** Makes entries one at a time until the pool is full; a failure stops it until the next take. */
  fill(): Promise<void> {
    this.filling ??= (async () => {
      try {
        while (!this.closed && this.held.size < this.o.size) {
          const cniId = this.o.prefix + randomBytes(6).toString('hex');
          // Listed before it exists: the leak checker and boot never see an unlisted entry of a live run.
          this.held.add(cniId);
          await this.save();
          try {
            const result = await this.o.add(cniId);
            if (this.closed) throw new Error('the pool was closed');
            this.free.push({ cniId, result });
          } catch (e) {
            this.held.delete(cniId);
            await this.o.remove(cniId).catch(() => undefined);
            if (!this.closed) this.o.warn(`network namespace pool: ${errorMessage(e)}`);
            break;
          }
        }
      } finally {
        this.filling = undefined;
        void this.save();
      }
    })();
    return this.filling;
  }

  /** Writes the state file; writes are chained so the last one wins (awaited where the order matters). */
  private save(): Promise<void> {
    const text = JSON.stringify({ pid: process.pid, entries: [...this.held] }) + '\n';
    this.saving = this.saving.then(async () => {
      if (this.closed && !this.held.size) return;
      await replaceFile(this.o.stateFile, text);
    }).catch((e) => this.o.warn(`network namespace pool state: ${errorMessage(e)}`));
    return this.saving;
  }

  /** Removes the free entries and waits for a fill under way; the next take fills the pool again (a new bridge subnet). */
  async drain(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.filling;
    const free = this.free.splice(0);
    for (const e of free) this.held.delete(e.cniId);
    this.started = false;
    await this.save();
    const errs = await Promise.all(free.map((e) => this.o.remove(e.cniId, e.result).then(() => undefined, (err: unknown) => err)));
    const err = errs.find((x) => x !== undefined);
    if (err) throw err;
  }

  /** At stop: no more fills; the free entries are removed (claimed ones go with their containers). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.filling;
    const first = await Promise.all(this.free.splice(0).map((e) => this.o.remove(e.cniId, e.result).then(() => undefined, (err: unknown) => err)));
    this.held.clear();
    await this.saving;
    await rm(this.o.stateFile, { force: true });
    const err = first.find((x) => x !== undefined);
    if (err) throw err;
  }
}
