// Leader election among the servers of one cluster store (issue 20): every server serves the API,
// one runs the controllers (service reconciler, node lifecycle, autoscaler). Only servers on etcd
// load the election; without it (one server, SQLite) every controller runs, as before.
export const leaderKind = 'llmos.leader.v1' as const;

export interface LeaderStatus {
  /** This server's identity in the election. */
  self: string;
  /** The server holding the lease, when one is known. */
  leader: string | null;
  isLeader: boolean;
}

export interface LeaderApi {
  /** Whether this server may run its controllers now (it holds a lease that has not run out). */
  isLeader(): boolean;
  status(): LeaderStatus;
  /** Called on every change of isLeader(); returns the unsubscribe function. */
  onChange(fn: (isLeader: boolean) => void): () => void;
}
