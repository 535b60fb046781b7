// The bridge guard (guard.ts) checked once per boot and again only when it may have changed,
// instead of two `iptables -t raw -S` forks around every attach. What can remove the guard while
// this daemon runs is another LLMOS daemon sharing the bridge (its clean stop on an empty bridge,
// guarded.ts releaseGuard) or the removal of a user network's bridge: both go through
// removeGuard/releaseGuard, which first write a new epoch to a host-wide file in /run. An attach
// reads that file (a read, no fork) and checks iptables again only when the epoch moved, or when
// the last check is older than maxAgeMs (a safety net for changes made by hand, e.g. a flush).
// The bridge's shared masquerade rule (masq.ts) is kept with it.
import { guardEpoch, installGuard } from './guard.js';
import { installMasq } from './masq.js';
import { saveTables } from './iptables.js';

export class GuardKeeper {
  private verified?: { epoch: string; at: number };
  private pending?: Promise<void>;
  /** How many times iptables was actually checked (for tests and the bench). */
  checks = 0;

  constructor(
    readonly bridge: string,
    /** With a subnet, the shared masquerade (masq.ts) is kept in place the same way. */
    public subnet?: string,
    private readonly maxAgeMs = 30_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Resolves once the guard is known to be in place (installs it when it is not). */
  async ensure(): Promise<void> {
    for (;;) {
      const epoch = await guardEpoch(this.bridge);
      const v = this.verified;
      if (v && v.epoch === epoch && this.now() - v.at < this.maxAgeMs) return;
      // One check at a time; a caller that read a newer epoch than the check saw loops once more.
      this.pending ??= this.check().finally(() => (this.pending = undefined));
      await this.pending;
    }
  }

  /** The next ensure() checks iptables again. */
  forget(): void {
    this.verified = undefined;
  }

  private async check(): Promise<void> {
    // The epoch is read before the check: a removal that starts after it moves it again.
    const epoch = await guardEpoch(this.bridge);
    const at = this.now();
    this.checks++;
    this.verified = undefined;
    // Both tables from one iptables-save (one process instead of `-t raw -S` and `-t nat -S`).
    const tables = this.subnet ? await saveTables() : undefined;
    await installGuard(this.bridge, tables ? (tables.get('raw') ?? []) : undefined);
    if (this.subnet) await installMasq(this.bridge, this.subnet, tables ? (tables.get('nat') ?? []) : undefined);
    this.verified = { epoch, at };
  }
}
