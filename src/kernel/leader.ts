// The pure decision behind the controllers' leader election: may the holder of an etcd lease still
// act? etcd expires a lease TTL after the last keepalive it received, which is no earlier than the
// moment the holder sent it; so the holder stops acting a margin before sentAt + TTL, and no two
// servers act at once while another waits for the key to expire.

/** Share of the TTL kept as a safety margin against clock-rate drift and scheduling delay. */
export const leaseMargin = 0.1;

export interface LeaseHold {
  /** The election key carries this server's lease. */
  elected: boolean;
  /** When the keepalive last confirmed by etcd was sent (ms, this process's clock). */
  renewedSentAt?: number;
}

export function holdsLeadership(h: LeaseHold, ttlMs: number, now: number): boolean {
  return h.elected && h.renewedSentAt !== undefined && now < h.renewedSentAt + ttlMs * (1 - leaseMargin);
}
