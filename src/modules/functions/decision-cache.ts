// A keep-alive decision reused for a moment: policies decide over the idle-time distribution (the
// default, cost, over 128 idle times), which once per request was a measurable share of the
// daemon's CPU under load (bench/functions/README.md), and decisions in minutes do not move in 50 ms.
import type { KeepAliveDecision, KeepAlivePolicy } from '../../contracts/policies.js';

const REUSE_MS = 50;

export class DecisionCache {
  private last?: { at: number; d: KeepAliveDecision };

  get(policy: KeepAlivePolicy, state: unknown, now: number): KeepAliveDecision {
    const c = this.last;
    if (c && now >= c.at && now - c.at < REUSE_MS) return c.d;
    const d = policy.decide(state, now);
    this.last = { at: now, d };
    return d;
  }

  /** The policy changed. */
  clear(): void {
    this.last = undefined;
  }
}
