// Registration of the controllers' leader election (issue 20). It is in the registry only with
// `--store etcd://...` (src/builtins.ts), beside the etcd store: with several servers on one etcd,
// every one serves the API and the one holding the lease runs the controllers, which ask
// isLeader() (services, node lifecycle, autoscaler). `llmos modules` shows who leads; events say
// when this server became or stopped being the leader.
import os from 'node:os';
import { leaderKind, type LeaderApi } from '../../contracts/leader.js';
import { InvalidArgument } from '../../kernel/errors.js';
import type { ModuleDef } from '../../kernel/module.js';
import type { LeaseElection } from './election.js';

export interface LeaderConfig {
  /** The lease TTL: how long the others wait after the leader's death before one takes over. */
  ttlSeconds: number;
  /** This server's name in the election (default HOSTNAME:PID). */
  name: string;
  key: string;
  timeoutMs: number;
}

export const leaderDefaults: LeaderConfig = { ttlSeconds: 10, name: '', key: '/llmos/leader', timeoutMs: 1500 };

type Internal = LeaderApi & { election: LeaseElection };

export const leaderModule = (endpoints: string[]): ModuleDef<LeaderConfig, Internal> => ({
  kind: leaderKind,
  id: 'etcd',
  description: 'leader election of the servers on one etcd: the leader runs the controllers',
  defaults: leaderDefaults,
  validate(c) {
    // etcd refuses leases shorter than its minimum (about 2 s with the default election timeout).
    if (!Number.isInteger(c.ttlSeconds) || c.ttlSeconds < 2 || c.ttlSeconds > 300) throw new InvalidArgument('leader.ttlSeconds must be an integer from 2 to 300');
    if (typeof c.name !== 'string') throw new InvalidArgument('leader.name must be a string');
    if (typeof c.key !== 'string' || !c.key.startsWith('/')) throw new InvalidArgument('leader.key must start with /');
    if (!Number.isInteger(c.timeoutMs) || c.timeoutMs < 100) throw new InvalidArgument('leader.timeoutMs must be an integer >= 100');
    return c;
  },
  async init(ctx) {
    const { LeaseElection } = await import('./election.js');
    const self = ctx.config.name || `${os.hostname()}:${process.pid}`;
    const listeners = new Set<(isLeader: boolean) => void>();
    const exports = ctx.meta.exports;
    Object.assign(exports, { self, leader: null, isLeader: false, ttlSeconds: ctx.config.ttlSeconds });
    const election = new LeaseElection({
      endpoints, key: ctx.config.key, self, ttlSeconds: ctx.config.ttlSeconds, timeoutMs: ctx.config.timeoutMs, log: ctx.log,
      onChange(isLeader, status) {
        Object.assign(exports, status);
        ctx.log.info(`leader election: ${isLeader ? 'this server leads (controllers run here)' : `this server follows${status.leader ? ` ${status.leader}` : ''}`}`);
        ctx.events.publish({ topic: isLeader ? '/cluster/leader-elected' : '/cluster/leader-lost', subject: `server/${self}`, message: isLeader ? `server ${self} is the leader: the controllers run on it` : `server ${self} is no longer the leader` });
        for (const fn of listeners) fn(isLeader);
      },
      onStatus: (status) => Object.assign(exports, status),
    });
    return {
      election,
      isLeader: () => election.isLeader(),
      status: () => election.status(),
      onChange(fn) {
        listeners.add(fn);
        return () => listeners.delete(fn);
      },
    };
  },
  start: (api) => api.election.start(),
  stop: (api) => api.election.stop(),
});
