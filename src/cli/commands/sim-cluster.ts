// `llmos sim cluster`: N simulated agents (the real agent protocol, no containers, as KWOK's)
// against a real server this command starts on loopback (SQLite, or etcd), a burst of placements,
// then simultaneous node failures; it reports the server's footprint, heartbeat latency,
// placements/s and the time to detect the failures (src/sim/cluster.ts). Everything it starts
// (etcd, the server, their temp dirs) is gone when it returns. The `sim` group lives in sim.ts.
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { InvalidArgument } from '../../kernel/errors.js';
import { wholeNumber } from '../numbers.js';
import { parseDuration } from '../../kernel/quantity.js';
import { simulateCluster } from '../../sim/cluster.js';
import { abandon, llmosCommand } from '../../sim/cluster-server.js';

export function registerSimCluster(sim: Command, ctx: CliContext): Command {
  return sim
    .command('cluster')
    .description('simulated agents (real protocol, no containers) against a real server started here: footprint, heartbeat p99, placements/s, failure detection')
    .option('--nodes <n>', 'simulated agents', '5000')
    .option('--store <store>', 'sqlite, etcd (one member started on loopback) or etcd://HOST:PORT,...', 'etcd')
    .option('--placements <n>', 'placements in the burst', '50000')
    .option('--concurrency <n>', 'binds in flight during the burst', '16')
    .option('--fail <n>', 'simultaneous node failures (at most half the nodes)', '100')
    .option('--lease-interval <d>', 'the server\'s lease period (the agents renew at it)', '10s')
    .option('--node-grace <d>', 'the server\'s --node-grace (shortened from 40s, so failures show sooner)', '20s')
    .option('--soak <d>', 'how long the heartbeat footprint is measured', '30s')
    .option('--connections <n>', 'keep-alive TLS connections the simulated agents share', '64')
    .action(async (o: { nodes: string; store: string; placements: string; concurrency: string; fail: string; leaseInterval: string; nodeGrace: string; soak: string; connections: string }) => {
      if (!/^(sqlite|etcd|etcd:\/\/[^/\s]+)$/.test(o.store)) throw new InvalidArgument(`--store must be sqlite, etcd or etcd://HOST:PORT[,...], got "${o.store}"`);
      const leaseIntervalMs = Math.round(parseDuration(o.leaseInterval, '--lease-interval'));
      const nodeGraceMs = Math.round(parseDuration(o.nodeGrace, '--node-grace'));
      if (leaseIntervalMs < 100) throw new InvalidArgument('--lease-interval must be at least 100ms');
      if (nodeGraceMs < leaseIntervalMs) throw new InvalidArgument('--node-grace must be at least --lease-interval');
      const nodes = wholeNumber('--nodes', o.nodes, 2, 20_000);
      // Interrupted (Ctrl-C, a test's timeout): the server and etcd go too, with their temp dirs.
      const interrupted = (sig: NodeJS.Signals) => {
        abandon();
        process.exit(sig === 'SIGINT' ? 130 : 143);
      };
      process.once('SIGINT', interrupted).once('SIGTERM', interrupted);
      const r = await simulateCluster({
        llmos: llmosCommand(process.argv[1]!),
        nodes,
        store: o.store,
        placements: wholeNumber('--placements', o.placements, 0, 1_000_000),
        concurrency: wholeNumber('--concurrency', o.concurrency, 1, 256),
        fail: wholeNumber('--fail', o.fail, 1, nodes),
        leaseIntervalMs,
        nodeGraceMs,
        soakMs: Math.round(parseDuration(o.soak, '--soak')),
        connections: wholeNumber('--connections', o.connections, 1, 1024),
        onProgress: (line) => process.stderr.write(`sim cluster: ${line}\n`),
      }).finally(() => process.off('SIGINT', interrupted).off('SIGTERM', interrupted));
      ctx.out(r, () => [
        `${r.nodes} simulated nodes on ${r.store}, lease ${r.leaseIntervalMs / 1000} s, node grace ${r.nodeGraceMs / 1000} s`,
        `  joins:        ${r.join.perSecond}/s (${r.join.seconds} s, ${r.join.retries} retried)`,
        `  server:       ${r.server.rssMiB} MiB RSS (peak ${r.server.peakRssMiB}), ${r.server.cpuPercent}% of a core${r.etcd ? `; etcd ${r.etcd.rssMiB} MiB, ${r.etcd.cpuPercent}%` : ''}`,
        `  heartbeats:   ${r.heartbeats.perSecond}/s, p50 ${r.heartbeats.p50Ms} ms, p99 ${r.heartbeats.p99Ms} ms, ${r.heartbeats.failures} failed (under placements: p99 ${r.heartbeatsUnderPlacements.p99Ms} ms, ${r.heartbeatsUnderPlacements.failures} failed)`,
        `  placements:   ${r.placements.perSecond}/s (${r.placements.bound} of ${r.placements.placements} bound in ${r.placements.seconds} s, ${r.placements.unschedulable} unschedulable, ${r.placements.bindFailures} bind failures, bind p99 ${r.placements.bindP99Ms} ms)`,
        `  failures:     ${r.failures.detected}/${r.failures.stopped} marked NotReady in ${r.failures.seconds} s (p50 ${r.failures.p50Seconds} s; bound grace + one monitor period = ${r.failures.boundSeconds} s)`,
        `  spurious NotReady: ${r.spuriousNotReady}; this process: ${r.simRssMiB} MiB RSS`,
      ].join('\n'));
    });
}
