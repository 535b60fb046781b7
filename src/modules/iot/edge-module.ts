// Registration of the iot module's edge half (kind llmos.iot-edge.v1), loaded on cluster agents
// (`llmos up --join`): this node's iot module serves the devices bound to it (`device create
// --node N` on the server) with its own managed broker, and EdgeSync keeps them in step with the
// server, buffering telemetry while the server is away. A separate module (not a lookup inside the
// iot module) because the agent looks up the functions module, which looks up the iot module.
import path from 'node:path';
import { Gauge } from 'prom-client';
import { Kinds } from '../../contracts/kinds.js';
import { agentKind, type AgentLink } from '../../contracts/cluster.js';
import { iotEdgeKind, iotKind, type DeviceRuleHost, type IotApi } from '../../contracts/iot.js';
import type { MonitorApi } from '../../contracts/monitor.js';
import { InvalidArgument, SkipModule } from '../../kernel/errors.js';
import type { ModuleDef } from '../../kernel/module.js';
import { EdgeBuffer } from './edge-buffer.js';
import { EdgeRules } from './edge-rules.js';
import { EdgeSync } from './edge-sync.js';
import { IotService } from './service.js';

export interface IotEdgeConfig {
  /** How often the node syncs with the server (and, while cut off, tries again). */
  syncMs: number;
  /** The period while no device is bound to the node and nothing is buffered (a new device waits for it). */
  idleSyncMs: number;
  timeoutMs: number;
  /** Telemetry points kept for the server at most; past it the oldest are dropped, counted. */
  bufferPoints: number;
  /** Points per sync call. */
  batchPoints: number;
  persistMs: number;
}

export interface IotEdgeApi {
  status(): { node: string; buffered: number; dropped: number; syncs: number };
}

export const iotEdgeModule = (): ModuleDef<IotEdgeConfig, IotEdgeApi> => {
  let sync: EdgeSync | undefined;
  let unsubscribe: (() => void) | undefined;
  let unregister: (() => void) | undefined;
  return {
    kind: iotEdgeKind,
    id: 'default',
    description: 'IoT on an edge node: the devices bound to this node, synced with the server, telemetry buffered while it is away',
    requires: [iotKind, Kinds.monitor],
    // functions: the server's device rules for this node's devices run in this node's functions module.
    optional: [agentKind, Kinds.functions],
    defaults: { syncMs: 1000, idleSyncMs: 10_000, timeoutMs: 5000, bufferPoints: 100_000, batchPoints: 5000, persistMs: 2000 },
    validate(c) {
      for (const k of ['syncMs', 'idleSyncMs', 'timeoutMs', 'bufferPoints', 'batchPoints', 'persistMs'] as const) if (!(Number.isInteger(c[k]) && c[k] > 0)) throw new InvalidArgument(`iot-edge ${k} must be a positive integer, got ${c[k]}`);
      if (c.batchPoints > 10_000) throw new InvalidArgument('iot-edge batchPoints must be at most 10000');
      return c;
    },
    async init(ctx) {
      const agent = ctx.getOptional<AgentLink>(agentKind);
      if (!agent) throw new SkipModule('not a cluster agent (llmos up --join)');
      const svc = ctx.getSingle<IotApi>(iotKind);
      if (!(svc instanceof IotService)) throw new SkipModule('the iot module is not the built-in one');
      const monitor = ctx.getSingle<MonitorApi>(Kinds.monitor);
      const node = agent.nodeName;
      svc.nodeName = node;
      // Devices bound to this node from an earlier run: the broker lets them in again, server or not.
      if (svc.managedBroker) await svc.syncBrokerUsers();
      const file = path.join(ctx.dir, 'telemetry-buffer.json');
      const buffer = await EdgeBuffer.load(file, ctx.config.bufferPoints);
      const rules = new EdgeRules(() => ctx.getOptional<DeviceRuleHost>(Kinds.functions), ctx.log);
      const s = new EdgeSync(svc, agent, buffer, file, ctx.config, ctx.log, rules);
      sync = s;
      unsubscribe = svc.subscribe((ev, _values, device) => {
        if (ev.source !== 'telemetry' || device.node !== node || typeof ev.value === 'string') return;
        buffer.push(ev.device, ev.property, ev.time, Number(ev.value));
      });
      const names = ['llmos_iot_edge_buffered_points', 'llmos_iot_edge_dropped_points'] as const;
      void [
        new Gauge({ name: names[0], help: 'Telemetry points waiting for the server on this edge node', registers: [monitor.registry], collect() { this.set(buffer.size); } }),
        new Gauge({ name: names[1], help: 'Telemetry points dropped on this edge node because its buffer was full (oldest first)', registers: [monitor.registry], collect() { this.set(buffer.dropped); } }),
      ];
      unregister = () => {
        for (const n of names) monitor.registry.removeSingleMetric(n);
      };
      ctx.meta.exports.node = node;
      ctx.meta.exports.bufferPoints = ctx.config.bufferPoints;
      return { status: () => ({ node, buffered: buffer.size, dropped: buffer.dropped, syncs: s.syncs }) };
    },
    start() {
      sync?.start();
    },
    async stop() {
      unsubscribe?.();
      unregister?.();
      await sync?.stop();
    },
  };
};
